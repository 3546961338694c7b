// Lab: a two-node swarm — two attachable overlays with containers on both nodes (one on both overlays), bridge
// containers, the hosts' own services. Every pair × address (containers and hosts, both ways) against real probes:
// as built, with udp/4789 closed in one node's INPUT, and with a neighbour entry NetworkDB wrote taken away.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { Flow, Step } from '../../snapshot/contract.js';
import { Lab, labUnavailable, must } from './lab.js';
import type { LabHost } from './lab.js';
import { checks, disagreements, unambiguous } from './pairs.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping: Flow = { proto: 'icmp', port: null };
const http: Flow = { proto: 'tcp', port: 80 };

async function snap(h: LabHost): Promise<HostSnapshot> {
  const r = await h.netdiag(['snapshot', '--host-name', h.name]);
  if (r.exitCode !== 0) throw new Error(`snapshot of ${h.name} failed: ${r.stderr}`);
  const s = parseSnapshot(JSON.parse(r.stdout));
  if (s.errors.length > 0) throw new Error(`snapshot of ${h.name} has errors: ${JSON.stringify(s.errors)}`);
  return s;
}

/** iptables-save without its timestamps and counters: the rules as they are. */
const stripCounters = (text: string) => text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');

const steps = (hops: { steps: Step[] }[]) => hops.flatMap((h) => h.steps);

describe.skipIf(skip !== null)('swarm overlays across two nodes', () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let byName: Map<string, LabHost>;
  const world = async () => buildWorld(await Promise.all([snap(h1), snap(h2)]));

  beforeAll(async () => {
    lab = await Lab.create();
    [h1, h2] = await Promise.all([lab.host('h1', { lan: '10.77.0.11/24', bip: '192.168.101.1/24' }), lab.host('h2', { lan: '10.77.0.12/24', bip: '192.168.102.1/24' })]);
    byName = new Map([h1, h2].map((h) => [h.name, h]));
    // h2's docker_gwbridge made by hand before it joins, on a subnet of its own (Docker's documented way to choose
    // it): every node's would otherwise be the same 172.17.0.0/16, whose addresses no probe can tell apart.
    await h2.docker(['network', 'create', '--subnet', '172.19.0.0/16', '-o', 'com.docker.network.bridge.name=docker_gwbridge', '-o', 'com.docker.network.bridge.enable_icc=false', '-o', 'com.docker.network.bridge.enable_ip_masquerade=true', 'docker_gwbridge']);
    await h1.docker(['swarm', 'init', '--advertise-addr', '10.77.0.11']);
    const token = (await h1.docker(['swarm', 'join-token', '-q', 'worker'])).trim();
    await h2.docker(['swarm', 'join', '--token', token, '10.77.0.11:2377']);
    await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.60.1.0/24', 'ov1']);
    await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.60.2.0/24', 'ov2']);
    await Promise.all([h1.run('a1', { network: 'ov1' }), h1.run('b1', { network: 'ov2' }), h1.run('c1', { network: 'ov1' }), h1.run('br1')]);
    // A worker sees an attachable network once a container of its own joins it.
    // One at a time: each attachment on a worker is a request to the manager, and two at once can time out there.
    for (const [name, network] of [['a2', 'ov1'], ['b2', 'ov2'], ['br2', undefined]] as const) await h2.run(name, network ? { network } : {});
    await h1.docker(['network', 'connect', 'ov2', 'c1']);
    for (const h of [h1, h2]) h.startDaemon('/bin/busybox', ['httpd', '-f', '-p', '80', '-h', '/tmp'], `${lab.dir}/${h.name}-httpd.log`);
    // NetworkDB gossips the endpoints: wait until each node's overlay namespace has the other's.
    const a2 = await h2.ip('a2', 'ov1');
    for (let i = 0; i < 50 && !(await h1.probe('a1', a2)); i++) await new Promise((r) => setTimeout(r, 200));
  }, 240_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every pair × address, containers and hosts both ways: ping and 80/tcp', async () => {
    const w = await world();
    for (const flow of [ping, http]) expect(await disagreements('swarm', byName, unambiguous(w, checks(w, flow, ['h1', 'h2'])), flow, 'as built')).toEqual([]);
  }, 300_000);

  it('a container to its overlay peer on the other node: the inner flow and the VXLAN packet both in the trace', async () => {
    const w = await world();
    const a = why(w, 'h1/a1', 'h2/a2', http);
    expect(a.verdict).toBe('reachable');
    const request = steps(a.addresses[0]?.request ?? []);
    expect(request.find((s) => s.type === 'vxlan' && s.op === 'encapsulate')).toMatchObject({ network: 'ov1', outer: { dst: '10.77.0.12', port: 4789 } });
    expect(request.find((s) => s.type === 'vxlan' && s.op === 'decapsulate')).toMatchObject({ network: 'ov1' });
    // The outer packet crossed h1's OUTPUT and h2's INPUT; the reply came back the same way.
    expect(a.addresses[0]?.request.some((h) => h.at.kind === 'host' && h.at.host === 'h2')).toBe(true);
    expect(steps(a.addresses[0]?.reply ?? []).some((s) => s.type === 'vxlan' && s.op === 'encapsulate')).toBe(true);
    // Names across nodes on a shared overlay: what the model says, and what a1's resolver really answers.
    expect(why(w, 'h1/a1', 'a2', ping).dns).toMatchObject({ resolves: true, addresses: [await h2.ip('a2', 'ov1')] });
    expect(await h1.lookup('a1', 'a2')).toBe(await h2.ip('a2', 'ov1'));
    expect(why(w, 'h1/a1', 'br2', ping).dns.resolves).toBe(false);
    expect(await h1.lookup('a1', 'br2')).toBeNull();
    // Overlays are isolated from each other: a1 reaches ov2 only by a route out of docker_gwbridge, which goes nowhere.
    expect(why(w, 'h1/a1', 'h2/b2', ping).verdict).toBe('blocked');
    // h1 alone does not see h2: the VXLAN packet leaves the hosts in view, and the answer says so.
    const r = await h1.netdiag(['why', 'a1', await h2.ip('a2', 'ov1')]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/VXLAN/);
  });

  it('udp/4789 dropped in h2\'s INPUT: every pair again, and the drop is named on the VXLAN packet', async () => {
    await h2.mustExec('iptables', ['-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    try {
      const w = await world();
      const d = why(w, 'h1/a1', 'h2/a2', ping).addresses[0]?.decidedBy;
      expect(d).toMatchObject({ kind: 'rule', host: 'h2', chain: 'INPUT', tunnel: { network: 'ov1', dst: '10.77.0.12', port: 4789 } });
      // The other way the request leaves h2 fine and h1 drops nothing: the reply's VXLAN packet is the one h2 drops.
      expect(why(w, 'h2/a2', 'h1/a1', ping).addresses[0]?.decidedBy).toMatchObject({ kind: 'rule', host: 'h2', direction: 'reply', tunnel: { dst: '10.77.0.12' } });
      for (const flow of [ping, http]) expect(await disagreements('swarm', byName, unambiguous(w, checks(w, flow, ['h1', 'h2'])), flow, '4789 closed on h2')).toEqual([]);

      // The fix, applied from h2 with h1's snapshot beside its own: the accept on h2, verified by a2's own ping.
      const dir = mkdtempSync(join(tmpdir(), 'netdiag-swarm-fix-'));
      writeFileSync(join(dir, 'h1.json'), JSON.stringify(await snap(h1)));
      const before = await h2.mustExec('iptables-save', ['-t', 'filter']);
      const args = ['--snapshot', join(dir, 'h1.json'), '--host-name', 'h2', '--state-dir', join(dir, 'state')];
      const elsewhere = await h2.netdiag(['fix', 'a1', 'a2', '--apply', '--yes', ...args]);
      expect(elsewhere.exitCode).toBe(2);
      expect(elsewhere.stderr).toMatch(/a1 is not on h2.*ask it the other way round/);
      const applied = await h2.netdiag(['fix', 'a2', 'a1', '--apply', '--yes', '--json', ...args]);
      expect(applied.exitCode, applied.stderr).toBe(0);
      const result = JSON.parse(applied.stdout) as { id: string; verified: boolean; fix: { title: string } };
      expect(result).toMatchObject({ verified: true, fix: { title: 'open 4789/udp on h2 for h1' } });
      expect(await h1.probe('a1', await h2.ip('a2', 'ov1'))).toBe(true);
      const back = await h2.netdiag(['rollback', result.id, '--state-dir', join(dir, 'state')]);
      expect(back.exitCode, back.stderr).toBe(0);
      expect(stripCounters(await h2.mustExec('iptables-save', ['-t', 'filter']))).toBe(stripCounters(before));
      expect(await h1.probe('a1', await h2.ip('a2', 'ov1'))).toBe(false);
    } finally {
      await h2.mustExec('iptables', ['-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    }
  }, 300_000);

  it('a neighbour entry NetworkDB wrote, taken away on h1: that peer is unreachable from h1, and the model says why', async () => {
    const a2 = await h2.ip('a2', 'ov1');
    // The overlay network's namespace (not ingress's): the one whose vxlan device has a2's entry.
    const nss = (await must('ls', [`${h1.dir}/exec/netns`])).split('\n').filter((n) => n.startsWith('1-'));
    let owner: string | null = null;
    for (const n of nss) if ((await must('nsenter', [`--net=${h1.dir}/exec/netns/${n}`, 'ip', 'neigh', 'show', a2])).includes(a2)) owner = n;
    expect(owner).not.toBeNull();
    await must('nsenter', [`--net=${h1.dir}/exec/netns/${owner}`, 'ip', 'neigh', 'del', a2, 'dev', 'vxlan0']);
    // The containers' own ARP caches still hold it (a frame to a cached MAC still finds the forwarding entry): flush
    // them, from outside with iproute2, so the next packet asks again — and nothing answers.
    for (const c of ['a1', 'c1']) {
      const key = (await h1.docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', c])).trim();
      await must('nsenter', [`--net=${key}`, 'ip', 'neigh', 'flush', 'all']);
    }
    const w = await world();
    expect(why(w, 'h1/a1', 'h2/a2', ping).addresses.find((x) => x.ip === a2)?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'no-peer', code: 'overlay-no-peer', network: 'ov1' });
    const list = checks(w, ping, ['h1', 'h2']).filter((c) => c.ip === a2);
    expect(await disagreements('swarm', byName, list, ping, 'neighbour entry removed')).toEqual([]);
  }, 300_000);
});
