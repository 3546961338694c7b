// The defects fuzzing found in the model, each from its repro, on snapshots derived from the captured seed host:
// every one must end in a defined verdict with its reason, never an exception and never a confident wrong answer.
import { describe, expect, it } from 'vitest';
import { doctor } from '../../../rules/doctor/doctor.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { countPairs, eachPair } from '../../../rules/matrix/matrix.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { appendRules, bridgeOf, seedHost, withRules } from '../derive.js';

const ping = parseFlow(undefined);

describe('1. repeated addresses: reachable only when the request lands in the asked container', () => {
  it('two default hosts with the same subnets: h1/redis-2 → h2/redis-1 lands in h1/redis-1, so it is blocked, saying where', () => {
    const world = buildWorld([seedHost('lab-h1'), seedHost('lab-h2')]);
    const a = why(world, 'lab-h1/redis-2', 'lab-h2/redis-1', ping);
    expect(a.verdict).toBe('blocked');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', host: 'lab-h1' });
    expect(a.addresses[0]!.deliveredTo).toBe('lab-h1/redis-1');
    expect(why(world, 'lab-h1/redis-2', 'lab-h1/redis-1', ping).verdict).toBe('reachable');
    // plan routes counts these pairs: none of the cross-host pairs reaches its container.
    expect(countPairs(world, ping, (x, y) => x.host !== y.host).counts.reachable).toBe(0);
  });

  it('two containers sharing an address on one host: the one that answers first is not the other', () => {
    const s = seedHost();
    const r1 = s.docker!.containers.find((c) => c.name === 'redis-1')!;
    const twin = { ...structuredClone(r1), id: `${r1.id[0] === 'f' ? 'e' : 'f'}${r1.id.slice(1)}`, name: 'redis-1b' };
    s.docker!.containers.push(twin);
    s.links!.sandboxes.push({ ...structuredClone(s.links!.sandboxes.find((x) => x.containerId === r1.id)!), containerId: twin.id, name: 'redis-1b' });
    s.routes!.sandboxes.push({ ...structuredClone(s.routes!.sandboxes.find((x) => x.containerId === r1.id)!), containerId: twin.id });
    const world = buildWorld([parseSnapshot(s)]);
    const answers = ['redis-1', 'redis-1b'].map((b) => why(world, 'redis-2', b, ping));
    expect(answers.map((x) => x.verdict).sort()).toEqual(['blocked', 'reachable']);
    expect(answers.find((x) => x.verdict === 'blocked')!.addresses[0]!.decidedBy?.kind).toBe('elsewhere');
  });
});

describe('2. a jump loop is unknown, naming the rule that closes it, and the matrix still finishes', () => {
  it.each([
    ['-A DOCKER-USER -j DOCKER-USER', [] as string[], [] as [string, string][], 'DOCKER-USER', 1],
    ['-A DOCKER-USER -j LOOP-A', ['LOOP-A', 'LOOP-B'], [['LOOP-A', '-A LOOP-A -j LOOP-B'], ['LOOP-B', '-A LOOP-B -j LOOP-A']], 'LOOP-B', 1],
  ])('%s', (top, chains, more, chain, index) => {
    let s = withRules(seedHost(), 'filter', 'DOCKER-USER', [top], chains);
    for (const [c, r] of more) s = appendRules(s, 'filter', c, [r]);
    const world = buildWorld([s]);
    const a = why(world, 'alpine-01', 'redis-1', ping);
    expect(a.verdict).toBe('unknown');
    // Why the rule is unknown (a loop, not a parse problem or the depth limit) has no field of its own yet: the reason says it.
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'unknown-rule', code: 'unknown', table: 'filter', chain, index, reason: expect.stringMatching(/closing a loop/) });
    const verdicts: string[] = [];
    expect(eachPair(world, ping, (p) => verdicts.push(p.verdict)).pairs).toBe(6);
    expect(new Set(verdicts)).toEqual(new Set(['unknown']));
  });
});

describe('3. nesting past the kernel\'s limit', () => {
  const nested = (backend: 'nf_tables' | 'legacy') => {
    const names = Array.from({ length: 64 }, (_, i) => `DEEP-${i}`);
    let s = withRules(seedHost(), 'filter', 'DOCKER-USER', ['-A DOCKER-USER -j DEEP-0'], names);
    names.forEach((n, i) => (s = appendRules(s, 'filter', n, [i < 63 ? `-A ${n} -j DEEP-${i + 1}` : `-A ${n} -j RETURN`])));
    s.firewall!.backend = backend;
    return buildWorld([s]);
  };
  it('nf_tables loads no chain 16 jumps below its base chain: unknown, naming the rule that goes past it', () => {
    const a = why(nested('nf_tables'), 'alpine-01', 'redis-1', ping);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'unknown-rule', code: 'unknown', chain: 'DEEP-13', reason: expect.stringMatching(/nests jumps 16 deep, past what the kernel loads \(15\)/) });
  });
  it('legacy x_tables has no such limit: 64 deep without a loop is walked to its end', () => {
    expect(why(nested('legacy'), 'alpine-01', 'redis-1', ping).addresses[0]!.decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2' });
  });
});

describe('4. doctor never builds a regular expression from data', () => {
  it('a bridge named virbr(0 (legal) is reported, not a crash', () => {
    const s = seedHost();
    s.links!.interfaces.push({ ...structuredClone(s.links!.interfaces.find((i) => i.name === 'docker0')!), ifindex: 99, name: 'virbr(0', addresses: [] });
    expect(doctor(s).some((f) => f.title.includes('virbr(0'))).toBe(true);
    // And an ACCEPT naming it is recognised as one, so the finding goes.
    withRules(s, 'filter', 'DOCKER-USER', ['-A DOCKER-USER -i virbr(0 -j ACCEPT']);
    expect(doctor(s).some((f) => f.title.includes('virbr(0'))).toBe(false);
  });
});

describe('5. a host without local-table routes', () => {
  it('is missing data naming the local table, not a runaway recursion', () => {
    const s = seedHost();
    s.routes!.routes = s.routes!.routes.filter((r) => r.table !== 'local');
    const a = why(buildWorld([s]), 'redis-2', '172.18.0.1', ping);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'missing-data', code: 'unknown', reason: expect.stringMatching(/no local route for it/) });
  });
});

describe('7. a container reaching itself', () => {
  it.each([['alpine-01'], ['172.17.0.2']])('alpine-01 → %s is reachable over lo, nothing crossed', (to) => {
    const a = why(buildWorld([seedHost()]), 'alpine-01', to, ping);
    expect(a.verdict).toBe('reachable');
    // One hop, in alpine-01's own namespace: a local route, then delivered; no bridge and no chain on the way.
    expect(a.addresses[0]!.request).toHaveLength(1);
    const steps = a.addresses[0]!.request[0]!.steps;
    expect(steps[0]).toMatchObject({ type: 'route', table: 'local', result: 'local', dst: '172.17.0.2' });
    expect(steps.some((s) => s.type === 'bridge' || s.type === 'chain')).toBe(false);
    expect(steps.at(-1)).toEqual({ type: 'deliver', action: 'delivered', to: 'container alpine-01', address: '172.17.0.2', into: { kind: 'container', host: 'lab-h1', name: 'alpine-01' } });
  });
});

describe('8. the rule parser never guesses on what iptables-save would not print', () => {
  it.each([
    '-A DOCKER-USER -s 172.17.0.2/32 ! -j DROP',
    '-A DOCKER-USER ! ! -s 172.17.0.2/32 -j DROP',
    '-A DOCKER-USER -j DROP extra',
    '-A DOCKER-USER -j FORWARD DOCKER-USER',
    '-A DOCKER-USER -s 172.17.0.2/32 -j DROP !',
    '-A DOCKER-USER -j REJECT --reject-with',
    '-A DOCKER-USER -j ACCEPT -A OTHER',
  ])('%s has a problem, and walking it is unknown', (text) => {
    expect(parseRule(text).problems.length).toBeGreaterThan(0);
    const a = why(buildWorld([withRules(seedHost(), 'filter', 'DOCKER-USER', [text])]), 'alpine-01', 'redis-1', ping);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'unknown-rule', code: 'unknown', chain: 'DOCKER-USER', index: 1, text, reason: expect.stringMatching(/not a rule iptables-save prints/) });
  });
  it.each(['-A DOCKER-USER ! -s 172.17.0.2/32 -j DROP', '-A X -j LOG --log-prefix "a b" --log-level 4', '-A X -j MASQUERADE --random-fully', '-A X -p tcp -j REJECT --reject-with tcp-reset'])('%s is fine', (text) => {
    expect(parseRule(text).problems).toEqual([]);
  });
});

describe('10. a collector that failed', () => {
  it('leaves every pair unknown naming it, instead of no pairs at all', () => {
    const s = seedHost();
    s.links = null;
    s.collectors.links = { status: 'failed', durationMs: 1 };
    s.errors.push({ collector: 'links', message: 'ip -j -d addr show failed: Cannot open netlink socket: Permission denied', hint: 'run netdiag as root' });
    const world = buildWorld([s]);
    const pairs: string[] = [];
    eachPair(world, ping, (p) => pairs.push(p.verdict));
    expect(pairs).toEqual(Array(6).fill('unknown'));
    const a = why(world, 'alpine-01', 'redis-1', ping);
    expect(a.addresses.map((x) => x.ip)).toEqual(['172.18.0.2']);
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'missing-data', code: 'unknown', host: 'lab-h1' });
    // The collector's own error is passed on to the user word for word: that part is the product.
    expect(a.addresses[0]!.decidedBy?.reason).toContain('links: ip -j -d addr show failed: Cannot open netlink socket: Permission denied');
  });
});

describe('a service on the host itself, dropped by INPUT', () => {
  it('is blocked, decided by the INPUT rule, and its fixes are computed without re-reading the shown name', async () => {
    const { fixesFor } = await import('../../../rules/changes/fixes.js');
    const s = seedHost();
    const world = buildWorld([withRules(s, 'filter', 'INPUT', [`-A INPUT -i ${bridgeOf(s, 'net-redis')} -p tcp -m tcp --dport 9000 -j DROP`])]);
    const flow = parseFlow('9000/tcp');
    const a = why(world, 'redis-1', '172.18.0.1', flow);
    expect(a.verdict).toBe('blocked');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ table: 'filter', chain: 'INPUT', index: 1 });
    expect(() => fixesFor(world, a, flow)).not.toThrow();
  });
});
