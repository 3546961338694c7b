// The matrix's shortcut, held: containers that every rule treats alike share one walk per class pair; the answers
// must equal one walk per ordered pair, on every captured snapshot, synthetic hosts, and rule sets perturbed at random.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticHost } from '../../../bench/synthetic.js';
import { buildWorld } from '../../../rules/model/build.js';
import { countPairs, drain, eachPair } from '../../../rules/matrix/matrix.js';
import { textRows } from '../../../present/matrix-text.js';
import { matrixContainers } from '../../../rules/matrix/matrix.js';
import { qualifiedName } from '../../../rules/query/resolve.js';
import { verdictOfAddresses } from '../../../rules/why/verdict.js';
import { walkFlow } from '../../../rules/walk/flow.js';
import type { Flow, MatrixPair } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { parseNftJson } from '../../../collectors/nft-json.js';
import { planRoutes } from '../../../rules/plan/plan-routes.js';
import { applySteps } from '../../../rules/changes/predict.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import type { World } from '../../../rules/model/types.js';
import { CAPTURED, REPO } from '../fixtures.js';
import { rng } from '../derive.js';

const load = (p: string) => parseSnapshot(JSON.parse(readFileSync(p, 'utf8')));
const seed = load(join(REPO, 'examples/seed-host.json'));
const mobyDocker = load(join(CAPTURED, 'moby-topology/docker.json'));
const mobyPeer = load(join(CAPTURED, 'moby-topology/peer.json'));
const reach = ['h1', 'h2', 'b1', 'b2'].map((h) => load(join(CAPTURED, `reach/${h}.json`)));

/** One walk per ordered pair and address: what the matrix must equal. */
function naive(world: World, flow: Flow): MatrixPair[] {
  const cs = matrixContainers(world);
  const out: MatrixPair[] = [];
  for (const a of cs) {
    for (const b of cs) {
      if (a === b) continue;
      const vs = b.endpoints.map((e) => walkFlow(world, { kind: 'container', container: a }, e.ip, flow, 0, false, b).outcome);
      out.push({ from: qualifiedName(a, world), to: qualifiedName(b, world), verdict: verdictOfAddresses(b, vs), addresses: b.endpoints.map((e, i) => ({ ip: e.ipText, verdict: vs[i]! })) });
    }
  }
  return out;
}

function shared(world: World, flow: Flow): { pairs: MatrixPair[]; walks: number } {
  const pairs: MatrixPair[] = [];
  const s = eachPair(world, flow, (p) => pairs.push({ ...p, addresses: [...p.addresses] }));
  return { pairs, walks: s.walks };
}

/** Rules an administrator writes in DOCKER-USER, naming the snapshot's own addresses, bridges and ports. */
function perturb(s: HostSnapshot, seedValue: number, count: number): HostSnapshot {
  const r = rng(seedValue);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out = structuredClone(s);
  const ips = (out.docker?.containers ?? []).flatMap((c) => c.endpoints.map((e) => e.ip)).filter((x): x is string => x !== null);
  const bridges = (out.docker?.networks ?? []).map((n) => n.bridge).filter((b): b is string => b !== null);
  const user = out.firewall?.tables.find((t) => t.name === 'filter')?.chains.find((c) => c.name === 'DOCKER-USER');
  if (!user || ips.length === 0) return out;
  const shapes = [
    () => `-A DOCKER-USER -s ${pick(ips)}/32 -d ${pick(ips)}/32 -j DROP`,
    () => `-A DOCKER-USER -s ${pick(ips)}/32 -j ACCEPT`,
    () => `-A DOCKER-USER -d ${pick(ips)}/32 -p tcp -m tcp --dport ${pick([80, 6379, 8080])} -j REJECT --reject-with icmp-port-unreachable`,
    () => `-A DOCKER-USER -i ${pick(bridges)} -o ${pick(bridges)} -j DROP`,
    () => `-A DOCKER-USER -s ${pick(ips).replace(/\.\d+$/, '.0')}/24 -p icmp -j DROP`,
    () => `-A DOCKER-USER -m iprange --src-range ${pick(ips)}-${pick(ips)} -j DROP`,
  ];
  const added = Array.from({ length: count }, () => ({ index: 0, text: pick(shapes)(), packets: 0, bytes: 0 }));
  user.rules = [...added, ...user.rules].map((x, i) => ({ ...x, index: i + 1 }));
  return out;
}

/**
 * An operator's native nftables table beside Docker's rules (captured in the lab): a set of blocked sources and a
 * range of rejected destinations, renamed to name some of the host's containers so that nft alone tells them apart.
 */
function withOpsTable(s: HostSnapshot, blocked: string, range: [string, string]): HostSnapshot {
  const out = structuredClone(s);
  const text = readFileSync(join(CAPTURED, 'nft/ops-beside-iptables-nft.nft.json'), 'utf8').replace('"10.9.0.5"', JSON.stringify(blocked)).replace('["10.1.0.0", "10.1.0.50"]', JSON.stringify(range));
  out.nftables = parseNftJson(text);
  return out;
}

/** Three synthetic hosts on one LAN, and the same with `plan routes` applied on h1 only, and on all three. */
const lan3 = ['h1', 'h2', 'h3'].map((n, i) => syntheticHost(2, 2, n, { lan: `10.99.0.${i + 1}`, firstSubnet: i * 2 }));
const lanPlan = planRoutes(lan3);
const routed = (hosts: string[]) => applySteps(lan3, lanPlan.hosts.filter((h) => hosts.includes(h.name)).flatMap((h) => h.steps));

const flows: Flow[] = [
  { proto: 'icmp', port: null },
  { proto: 'tcp', port: 80 },
  { proto: 'tcp', port: 6379 },
];

const worlds: [string, HostSnapshot[]][] = [
  ['the seed host (captured)', [seed]],
  ['the moby topology, two hosts (captured)', [mobyDocker, mobyPeer]],
  ['a synthetic 20.10 host, 4 networks × 5 containers', [syntheticHost(4, 5)]],
  ['two copies of the seed host (the same subnets, the same addresses)', [seed, { ...structuredClone(seed), name: 'lab-h2' }]],
  // The text rows are built per destination class and spread over its members: hosts of several classes each,
  // one-member classes, and a host alone on its layout, all captured.
  ['the reach lab\'s four hosts and the seed host (captured, five distinct hosts)', [...reach, seed]],
  ['the same five hosts, in the other order', [seed, ...reach].reverse()],
  ['two synthetic hosts on a LAN', [syntheticHost(2, 3, 'h1', { lan: '10.99.0.1', subnetBase: 0 }), syntheticHost(2, 3, 'h2', { lan: '10.99.0.2', subnetBase: 10 })]],
  ...[1, 2, 3, 4, 5, 6].map((k): [string, HostSnapshot[]] => [`the seed host with 4 random DOCKER-USER rules (seed ${k})`, [perturb(seed, k, 4)]]),
  ...[7, 8, 9, 10].map((k): [string, HostSnapshot[]] => [`a synthetic host with 8 random DOCKER-USER rules (seed ${k})`, [perturb(syntheticHost(3, 4), k, 8)]]),
  ['three synthetic hosts on a LAN, no routes between them', lan3],
  ['three synthetic hosts, routes and accepts planned on h1 only', routed(['h1'])],
  ['three synthetic hosts, routes and accepts planned on all', routed(['h1', 'h2', 'h3'])],
  ['a synthetic host with an operator\'s nftables table naming some containers by address', [withOpsTable(syntheticHost(3, 4), '172.20.0.3', ['172.20.1.2', '172.20.1.3'])]],
  // Long enough that DOCKER-USER is walked through its address index, not scanned.
  ...[11, 12].map((k): [string, HostSnapshot[]] => [`a synthetic host with 40 random DOCKER-USER rules (seed ${k})`, [perturb(syntheticHost(3, 4), k, 40)]]),
];

/** The matrix as its text rows (what matrix --json and --format ndjson write), parsed back. */
function fromText(world: World, flow: Flow, format: 'json' | 'ndjson'): { pairs: MatrixPair[]; counts: Record<string, number> } {
  const counts = { reachable: 0, blocked: 0, unknown: 0, 'no-address': 0 };
  const rows: Buffer[] = [];
  const steps = textRows(world, flow, format, counts);
  for (let r = steps.next(); !r.done; r = steps.next()) rows.push(r.value);
  const text = Buffer.concat(rows).toString('utf8');
  const pairs = format === 'json' ? (JSON.parse(`[${text.slice(1)}]`) as MatrixPair[]) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as MatrixPair);
  return { pairs, counts };
}

describe.each(worlds)('%s', (_name, snapshots) => {
  const world = buildWorld(snapshots);
  it.each(flows)('class-sharing matrix = one walk per pair ($proto $port)', (flow) => {
    const got = shared(world, flow);
    expect(got.pairs).toEqual(naive(world, flow));
    // The shortcut must be one: never more walks than the naive way, and fewer where containers are alike.
    const n = matrixContainers(world).length;
    const naiveWalks = matrixContainers(world).reduce((k, b) => k + b.endpoints.length * (n - 1), 0);
    expect(got.walks).toBeLessThanOrEqual(naiveWalks);
  });
  it.each(['json', 'ndjson'] as const)('the %s rows are the same pairs in the same order, with the same counts', (format) => {
    const flow = flows[1]!;
    const want = naive(world, flow);
    const got = fromText(world, flow, format);
    expect(got.pairs).toEqual(want);
    const counts = { reachable: 0, blocked: 0, unknown: 0, 'no-address': 0 };
    for (const p of want) counts[p.verdict]++;
    expect(got.counts).toEqual(counts);
  });
  it('countPairs weighs class pairs to the same counts', () => {
    const flow = flows[0]!;
    const counts = { reachable: 0, blocked: 0, unknown: 0 };
    for (const p of naive(world, flow)) counts[p.verdict]++;
    expect(countPairs(world, flow, () => true).counts).toEqual(counts);
  });
});

describe('text rows where classes interleave and a class has one member', () => {
  it('a fleet of two hosts whose containers alternate classes gives the per-pair answers', () => {
    const world = buildWorld([syntheticHost(2, 3, 'h1', { lan: '10.99.0.1', subnetBase: 0 }), perturb(syntheticHost(3, 2, 'h2', { lan: '10.99.0.2', subnetBase: 10 }), 5, 6)]);
    world.hosts[1]!.containers.reverse();
    for (const format of ['json', 'ndjson'] as const) expect(fromText(world, flows[0]!, format).pairs).toEqual(naive(world, flows[0]!));
    expect(drain(textRows(buildWorld([syntheticHost(1, 1)]), flows[0]!, 'json', { reachable: 0, blocked: 0, unknown: 0, 'no-address': 0 })).pairs).toBe(0);
  });
});

describe('the shortcut saves walks where containers are alike', () => {
  it('20 containers on 4 networks share walks', () => {
    const world = buildWorld([syntheticHost(4, 5)]);
    expect(shared(world, { proto: 'icmp', port: null }).walks).toBeLessThan(20 * 19 / 4);
  });
});

describe('the random rule sets are not inert', () => {
  it('they change verdicts and split classes (else the property above would hold trivially)', () => {
    const flow: Flow = { proto: 'icmp', port: null };
    const base = shared(buildWorld([seed]), flow).pairs.map((p) => p.verdict).join();
    const changed = [1, 2, 3, 4, 5, 6].filter((k) => shared(buildWorld([perturb(seed, k, 4)]), flow).pairs.map((p) => p.verdict).join() !== base);
    expect(changed.length).toBeGreaterThan(0);
    const plain = eachPair(buildWorld([syntheticHost(3, 4)]), flow, () => undefined).classes;
    const split = Math.max(...[7, 8, 9, 10].map((k) => eachPair(buildWorld([perturb(syntheticHost(3, 4), k, 8)]), flow, () => undefined).classes));
    expect(split).toBeGreaterThan(plain);
  });
});
