// "Reach" as users mean it, on snapshots captured in the lab's scenarios (whose verdicts the lab checks against real
// probes): services and their sockets, the host as target and source, shared namespaces, --link with icc=false,
// the bridged two-host recipe, and names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const load = (name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'reach', `${name}.json`), 'utf8')));
const ping = parseFlow(undefined);
const tcp = (p: number) => parseFlow(`${p}/tcp`);

describe('services and namespaces (h1)', () => {
  const world = buildWorld([load('h1')]);
  it.each([
    ['client', 'web', 80, 'reachable', null],
    ['client', 'loop', 80, 'blocked', /listens on 80\/tcp only on 127\.0\.0\.1:80: the connection is refused from outside; bind the service to 0\.0\.0\.0/],
    ['client', 'alt', 80, 'blocked', /nothing listens on \S+:80\/tcp in alt: the connection is refused \(it listens on \[::\]:8080\/tcp\)/],
    ['client', 'alt', 8080, 'reachable', null],
    ['client', 'side', 80, 'reachable', null],
    ['side', 'client', 80, 'reachable', null],
    ['none1', 'web', 80, 'blocked', /none1 has no route/],
    ['hostc', 'web', 80, 'reachable', null],
    ['client', 'hostc', 8080, 'reachable', null],
    ['client', 'hostc', 80, 'blocked', /nothing listens on \S+:80\/tcp in host h1/],
    ['client', '10.77.0.11', 8081, 'blocked', /nothing listens on 10\.77\.0\.11:8081\/tcp in host h1/],
    ['h1', 'client', 80, 'reachable', null],
  ] as const)('%s → %s :%i is %s', (from, to, port, verdict, reason) => {
    const a = why(world, from, to, tcp(port));
    expect(a.verdict).toBe(verdict);
    if (reason) expect(a.addresses.map((x) => x.decidedBy?.reason).join('\n')).toMatch(reason);
  });
  it('names whose namespace each uses', () => {
    expect(why(world, 'side', 'web', ping).from.namespace).toBe("web's (--network container:web)");
    expect(why(world, 'web', 'side', ping).to.namespace).toBe("web's (--network container:web)");
    expect(why(world, 'hostc', 'web', ping).from.namespace).toBe("the host's (--network host)");
  });
  it('resolves names through the embedded DNS on a user network, aliases too, and not from the default bridge', () => {
    expect(why(world, 'web', 'svc-client', ping).dns).toMatchObject({ resolves: true, via: 'embedded-dns', network: 'net-svc', name: 'svc-client' });
    expect(why(world, 'c0', 'web', ping).dns).toMatchObject({ resolves: false, note: expect.stringMatching(/default bridge has no embedded DNS/) });
    expect(why(world, 'side', 'client', ping).dns.resolves).toBe(true);
  });
});

describe('--link with icc=false (h2)', () => {
  const world = buildWorld([load('h2')]);
  it('opens exactly the linked port, one way, decided by the rule Docker wrote for the link', () => {
    const a = why(world, 'client2', 'web2', tcp(80));
    expect(a.verdict).toBe('reachable');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ chain: 'DOCKER', text: expect.stringMatching(/--dport 80 -j ACCEPT$/) });
    expect(why(world, 'web2', 'client2', tcp(80)).verdict).toBe('blocked');
    expect(why(world, 'client2', 'web2', ping).verdict).toBe('blocked');
    expect(why(world, 'other2', 'web2', tcp(80)).verdict).toBe('blocked');
  });
  it('resolves web2 from client2 through the /etc/hosts entry --link wrote', () => {
    expect(why(world, 'client2', 'web2', ping).dns).toMatchObject({ resolves: true, via: 'hosts-file', note: expect.stringMatching(/written by --link web2/) });
    expect(why(world, 'other2', 'web2', ping).dns.resolves).toBe(false);
  });
});

describe('the bridged two-host recipe (b1, b2)', () => {
  const snaps = [load('b1'), load('b2')];
  const world = buildWorld(snaps);
  it('walks across the segment, both ways, and names the duplicate gateway on the way', () => {
    const a = why(world, 'b1/r1', 'b2/s1', ping);
    expect(a.verdict).toBe('reachable');
    expect(a.addresses[0]!.request.map((h) => h.at)).toContainEqual({ kind: 'bridge', host: 'b2', name: 'docker0' });
    expect(why(world, 'b2/s1', 'b1/r2', tcp(80)).verdict).toBe('reachable');
  });
  it('alone, a host sees only a port leading off it: unknown, not a confident drop', () => {
    const alone = why(buildWorld([snaps[0]!]), 'r1', snaps[1]!.docker!.containers[0]!.endpoints[0]!.ip!, ping);
    expect(alone.verdict).toBe('unknown');
    expect(alone.addresses[0]!.decidedBy?.reason).toMatch(/leaves through eth1, onto a segment outside the hosts in view/);
  });
  it('doctor: the gateway owned twice, no IPAM overlap (fixed-cidr split), the cable not an orphan veth', () => {
    const codes = doctorAll(snaps).map((f) => f.code);
    expect(codes).toContain('segment-duplicate-gateway');
    expect(codes).not.toContain('segment-ipam-overlap');
    expect(codes).not.toContain('orphan-veth');
    expect(doctorAll([snaps[0]!]).map((f) => f.code)).toContain('orphan-veth');
  });
});
