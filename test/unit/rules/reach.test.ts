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
  // What decided, as typed fields: the decision's kind and code, and for a refused connection what the namespace listens on.
  const loopbackOnly = { kind: 'socket', code: 'loopback-only', listening: ['127.0.0.1:80/tcp'] };
  const nothingOn80 = (listening: string[]) => ({ kind: 'socket', code: 'nothing-listens', listening });
  const hostListens = ['0.0.0.0:8080/tcp', '[::]:8080/tcp'];
  it.each([
    ['client', 'web', 80, 'reachable', null],
    ['client', 'loop', 80, 'blocked', loopbackOnly],
    ['client', 'alt', 80, 'blocked', nothingOn80(['[::]:8080/tcp'])],
    ['client', 'alt', 8080, 'reachable', null],
    ['client', 'side', 80, 'reachable', null],
    ['side', 'client', 80, 'reachable', null],
    ['none1', 'web', 80, 'blocked', { kind: 'route', code: 'no-route', listening: null }],
    ['hostc', 'web', 80, 'reachable', null],
    ['client', 'hostc', 8080, 'reachable', null],
    ['client', 'hostc', 80, 'blocked', nothingOn80(hostListens)],
    ['client', '10.77.0.11', 8081, 'blocked', nothingOn80(hostListens)],
    ['h1', 'client', 80, 'reachable', null],
  ] as const)('%s → %s :%i is %s', (from, to, port, verdict, decided) => {
    const a = why(world, from, to, tcp(port));
    expect(a.verdict).toBe(verdict);
    if (!decided) return;
    for (const x of a.addresses) {
      const last = x.request.at(-1)?.steps.at(-1);
      const listening = last?.type === 'socket' ? { result: last.result, listening: last.listening } : null;
      expect({ kind: x.decidedBy?.kind, code: x.decidedBy?.code, host: x.decidedBy?.host, listening }, x.decidedBy?.reason).toEqual({
        kind: decided.kind,
        code: decided.code,
        host: 'h1',
        listening: decided.listening ? { result: 'refused', listening: decided.listening } : null,
      });
    }
  });
  it('names whose namespace each uses', () => {
    expect(why(world, 'side', 'web', ping).from.namespace).toBe("web's (--network container:web)");
    expect(why(world, 'web', 'side', ping).to.namespace).toBe("web's (--network container:web)");
    expect(why(world, 'hostc', 'web', ping).from.namespace).toBe("the host's (--network host)");
  });
  it('resolves names through the embedded DNS on a user network, aliases too, and not from the default bridge', () => {
    expect(why(world, 'web', 'svc-client', ping).dns).toMatchObject({ resolves: true, via: 'embedded-dns', network: 'net-svc', name: 'svc-client' });
    // Why it does not resolve has no field of its own: the note says it (the default bridge has no embedded DNS).
    expect(why(world, 'c0', 'web', ping).dns).toMatchObject({ resolves: false, via: null, network: null, addresses: [], note: expect.stringMatching(/default bridge has no embedded DNS/) });
    expect(why(world, 'side', 'client', ping).dns.resolves).toBe(true);
  });
});

describe('--link with icc=false (h2)', () => {
  const world = buildWorld([load('h2')]);
  it('opens exactly the linked port, one way, decided by the rule Docker wrote for the link', () => {
    const a = why(world, 'client2', 'web2', tcp(80));
    expect(a.verdict).toBe('reachable');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'rule', chain: 'DOCKER', code: 'link', text: expect.stringMatching(/--dport 80 -j ACCEPT$/) });
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
    // Both hosts' docker0 crossed (the cable joins them), then delivered to s1.
    const steps = a.addresses[0]!.request.flatMap((h) => h.steps);
    expect(steps.flatMap((s) => (s.type === 'bridge' ? [s.bridge] : []))).toEqual(['docker0', 'docker0']);
    expect(steps.filter((s) => s.type === 'chain').map((s) => s.type === 'chain' && s.verdict)).toEqual(['ACCEPT', 'ACCEPT']);
    expect(steps.at(-1)).toMatchObject({ type: 'deliver', address: snaps[1]!.docker!.containers.find((c) => c.name === 's1')!.endpoints[0]!.ip });
    expect(a.addresses[0]!.request.map((h) => h.at)).toContainEqual({ kind: 'bridge', host: 'b2', name: 'docker0' });
    expect(why(world, 'b2/s1', 'b1/r2', tcp(80)).verdict).toBe('reachable');
  });
  it('alone, a host sees only a port leading off it: unknown, not a confident drop', () => {
    const alone = why(buildWorld([snaps[0]!]), 'r1', snaps[1]!.docker!.containers[0]!.endpoints[0]!.ip!, ping);
    expect(alone.verdict).toBe('unknown');
    expect(alone.addresses[0]!.decidedBy).toMatchObject({ kind: 'exit', code: 'unknown', host: 'b1' });
    expect(alone.addresses[0]!.request.at(-1)!.steps.at(-1)).toEqual({ type: 'leave', action: 'exited', iface: 'eth1', nextHop: snaps[1]!.docker!.containers[0]!.endpoints[0]!.ip, toHost: null });
  });
  it('doctor: the gateway owned twice, no IPAM overlap (fixed-cidr split), the cable not an orphan veth', () => {
    const codes = doctorAll(snaps).map((f) => f.code);
    expect(codes).toContain('segment-duplicate-gateway');
    expect(codes).not.toContain('segment-ipam-overlap');
    expect(codes).not.toContain('orphan-veth');
    // Alone, b1 cannot see its cable's other end: said as such, never called garbage (issue 23, item 4).
    const alone = doctorAll([snaps[0]!]);
    expect(alone.map((f) => f.code)).not.toContain('orphan-veth');
    expect(alone.find((f) => f.code === 'bridge-port-outside-view')).toMatchObject({ severity: 'info', subject: 'eth1' });
  });
});
