// Issue 23, item 4: doctor advice that never destroys what it cannot see. On the captured bridged recipe, b1 alone sees
// its cable eth1 (a veth on docker0 whose other end is in another namespace) and must not call it garbage; on hosts
// captured without a running Docker (never started, and stopped), one line says so and nothing is derived from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../../rules/doctor/doctor.js';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { rootErrors } from '../../../rules/query/root-errors.js';
import { describeErrors } from '../../../cli/render/errors.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const load = (dir: string, name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, dir, `${name}.json`), 'utf8')));

describe('a bridge port whose other end this host cannot see', () => {
  const b1 = load('reach', 'b1');
  it('b1 alone: eth1 is said to lead outside the view (possibly an uplink), info only, and nothing says delete', () => {
    const eth1 = b1.links!.interfaces.find((i) => i.name === 'eth1')!;
    // What the snapshot knows: a veth on docker0, its peer in namespace nsid 0, which holds none of the containers read.
    expect(eth1).toMatchObject({ kind: 'veth', master: 'docker0', peer: { netnsId: 0 } });
    const found = doctorAll([b1]);
    const f = found.find((x) => x.subject === 'eth1');
    expect(f).toMatchObject({ code: 'bridge-port-outside-view', severity: 'info' });
    expect(f!.title).toMatch(/another network namespace \(nsid 0\).*possibly the uplink/);
    expect(found.map((x) => x.code)).not.toContain('orphan-veth');
    for (const x of found) expect(`${x.title} ${x.fix}`).not.toMatch(/ip link del/);
    // Nothing a person must act on: doctor exits 0.
    expect(found.filter((x) => x.severity !== 'info')).toEqual([]);
  });
  it('with b2 in view the same port is the segment\'s cable: not reported as a port at all', () => {
    expect(doctorAll([b1, load('reach', 'b2')]).map((x) => x.code)).not.toContain('bridge-port-outside-view');
  });
  it('the containers\' own veths are never reported', () => {
    expect(doctor(b1).filter((x) => x.code === 'bridge-port-outside-view').map((x) => x.subject)).toEqual(['eth1']);
  });
});

describe('a host without Docker', () => {
  const plain = load('nodocker', 'plain');
  const stopped = load('nodocker', 'stopped');
  it('never started (ip_forward at the kernel\'s 0): one finding, and no forwarding error derived from it', () => {
    expect(plain.docker).toBeNull();
    expect(plain.sysctls!.values['net.ipv4.ip_forward']).toBe('0');
    // Four collectors each said Docker is missing; one of them is the cause.
    expect(plain.errors).toHaveLength(4);
    expect(rootErrors(plain).map((e) => e.collector)).toEqual(['docker']);
    expect(describeErrors(plain, true)).toHaveLength(1);
    const f = doctorAll([plain]);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['docker-not-running', 'info']]);
  });
  it('stopped (its bridges, chains and ip_forward=1 left behind): still one finding; its leftover bridges are not "foreign"', () => {
    expect(stopped.links!.interfaces.map((i) => i.name)).toContain('docker0');
    expect(doctorAll([stopped]).map((x) => x.code)).toEqual(['docker-not-running']);
  });
  it('beside a host with Docker, that host is checked as before', () => {
    const codes = doctorAll([plain, load('reach', 'h1')]).map((x) => `${x.host} ${x.code}`);
    expect(codes).toContain('plain docker-not-running');
    expect(codes.filter((c) => c.startsWith('plain '))).toEqual(['plain docker-not-running']);
  });
});
