// Docker's own rules against what Docker writes for the networks and published ports it reports (per backend, from
// layouts' DOCKER_WRITES): absent ones are named, never inferred from the presence of those same rules.
import type { DockerContainer, DockerNetwork, HostSnapshot, PublishedPort } from '../../snapshot/host-snapshot.js';
import type { RuleRef } from '../../snapshot/contract.js';
import type { SnapshotRules } from '../meaning/host.js';
import type { RuleMeaning } from '../meaning/types.js';
import { version, versionAtLeast } from '../meaning/context.js';
import { DOCKER_NFT, DOCKER_WRITES, dockerNftBridgeChain, GATEWAY_MODE_OMITS, isDockerChain, NFT_BACKEND_FROM, SWARM_INGRESS } from '../meaning/layouts.js';
import type { DockerBackend, ExpectedRule } from '../meaning/layouts.js';
import { parseIp } from '../addr/addr.js';

/** How Docker's backend was told: its own report, its rules still in place, its version (one backend only), or not at all. */
export type BackendBasis = 'reported' | 'rules' | 'version' | 'unknown';

/** The backends whose layout Docker's rules are expected in: one when it can be told, both when it cannot. */
export function expectedBackends(s: HostSnapshot): { backends: DockerBackend[]; basis: BackendBasis } {
  const said = s.docker?.firewallBackend;
  if (said) return { backends: [said.includes('nftables') ? 'nftables' : 'iptables'], basis: 'reported' };
  if (s.nftables?.tables.some((t) => t.name === DOCKER_NFT.table && t.source === 'nft')) return { backends: ['nftables'], basis: 'rules' };
  if (s.firewall?.tables.some((t) => t.chains.some((c) => isDockerChain(c.name)))) return { backends: ['iptables'], basis: 'rules' };
  const v = version(s.docker?.version);
  if (v !== null && !versionAtLeast(v, NFT_BACKEND_FROM)) return { backends: ['iptables'], basis: 'version' };
  return { backends: ['iptables', 'nftables'], basis: 'unknown' };
}

/** One network's or published port's expected rules that no backend holds. */
export interface MissingRules {
  network: DockerNetwork;
  /** Per network: isolation, forward accepts, MASQUERADE. */
  absent: ExpectedRule[];
  /** Per published port (IPv4): its DNAT. */
  ports: { container: DockerContainer; port: PublishedPort }[];
}

interface DockerRule {
  table: string;
  meaning: RuleMeaning;
  accepts: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether an nftables statement matches the in or out interface against one of `bridges` (`iifname != "br-…"` too). */
function nftNamesBridge(e: Record<string, unknown>, bridges: ReadonlySet<string>): boolean {
  const m = isObject(e.match) ? e.match : null;
  const left = m && isObject(m.left) && isObject(m.left.meta) ? m.left.meta.key : null;
  if (left !== 'iifname' && left !== 'oifname') return false;
  const right = m?.right;
  const values = Array.isArray(right) ? right : isObject(right) && Array.isArray(right.set) ? right.set : [right];
  return values.some((v) => typeof v === 'string' && bridges.has(v));
}

/**
 * Docker's own IPv4 rules of the tables it writes into, on one backend, with their meanings. With `bridges`, only
 * rules that name one of them by interface (every rule Docker writes for a network does, negated or not: its
 * MASQUERADE `! -o br`, its isolation and accepts), sit in a chain of one of them, or DNAT (with the userland proxy
 * off a DNAT names no bridge) are read: `why` classifies no other rule.
 */
function dockerRules(rules: SnapshotRules, backend: DockerBackend, bridges: ReadonlySet<string> | null): DockerRule[] {
  const tables = new Set(Object.values(DOCKER_WRITES[backend]).flatMap((w) => w.tables));
  const out: DockerRule[] = [];
  const add = (table: string, ref: RuleRef, accepts: boolean) => {
    const meaning = rules.meanings.byRule.get(ref);
    if (meaning?.owner === 'docker') out.push({ table, meaning, accepts });
  };
  if (backend === 'iptables') {
    for (const [table, chains] of rules.ruleset ?? []) {
      if (!tables.has(table)) continue;
      for (const c of chains.values()) {
        for (const r of c.rules) {
          if (bridges && r.parsed.target.kind !== 'DNAT' && !r.parsed.matches.some((m) => (m.kind === 'in' || m.kind === 'out') && bridges.has(m.iface))) continue;
          add(table, r.ref, r.parsed.target.kind === 'ACCEPT');
        }
      }
    }
  } else {
    for (const t of rules.nft?.tables ?? []) {
      if (t.family !== 'ip' || !tables.has(t.name)) continue;
      for (const [name, c] of t.chains) {
        const own = bridges !== null && bridges.has(dockerNftBridgeChain(name)?.bridge ?? '');
        for (const r of c.rules) {
          if (bridges && !own && !r.expr.some((e) => 'dnat' in e || nftNamesBridge(e, bridges))) continue;
          add(t.name, r.ref, r.expr.some((e) => 'accept' in e));
        }
      }
    }
  }
  return out;
}

const ipv4 = (ip: string) => parseIp(ip) !== null && !ip.includes(':');

/** What Docker writes for `n` on any backend: isolation always; accepts and MASQUERADE unless it is --internal (MASQUERADE only when masquerading); less what its gateway mode leaves out. */
function expectedFor(n: DockerNetwork): ExpectedRule[] {
  const v4 = n.subnets.some((x) => ipv4(x.subnet.split('/')[0] as string));
  const omits = GATEWAY_MODE_OMITS[n.gatewayModeIpv4] ?? [];
  const all: ExpectedRule[] = n.internal ? ['isolation'] : ['isolation', 'forward-accept', ...(n.masquerade && v4 ? (['masquerade'] as const) : [])];
  return all.filter((x) => !omits.includes(x));
}

/**
 * The expected rules absent from every backend Docker may use, for its bridge networks (only those with an ID in
 * `only`, when given: `why` asks for a pair's networks). Empty when Docker was not read.
 */
export function missingDockerRules(s: HostSnapshot, rules: SnapshotRules, only?: ReadonlySet<string>): { missing: MissingRules[]; backends: DockerBackend[]; basis: BackendBasis } {
  const { backends, basis } = expectedBackends(s);
  // By name: Docker lists its networks in an order a daemon restart may change, and the finding reads the same.
  const nets = (s.docker?.networks ?? []).filter((n) => n.driver === 'bridge' && n.bridge && (!only || only.has(n.id))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // A backend whose rules were not collected cannot show them missing: nothing is said rather than guessed.
  const collected = (b: DockerBackend) => (b === 'iptables' ? s.firewall !== null : s.nftables !== null);
  if (!s.docker || nets.length === 0 || !backends.every(collected)) return { missing: [], backends, basis };
  const held = backends.map((b) => ({ b, rules: dockerRules(rules, b, only ? new Set(nets.map((n) => n.bridge as string)) : null) }));
  const has = (what: ExpectedRule, match: (m: RuleMeaning) => boolean, internal = false) =>
    held.some(({ b, rules: rs }) => {
      const w = DOCKER_WRITES[b][what];
      const codes = internal && w.internalCodes ? w.internalCodes : w.codes;
      return rs.some((r) => w.tables.includes(r.table) && codes.includes(r.meaning.code) && (!w.accept || r.accepts) && match(r.meaning));
    });
  const missing: MissingRules[] = [];
  // A container on several networks has its ports DNATed once, to its address on the first of them listed.
  const portsAt = new Map<string, string>();
  for (const c of s.docker.containers) {
    const e = c.endpoints.find((x) => x.ip && nets.some((n) => n.id === x.networkId && !n.internal));
    if (e) portsAt.set(c.id, e.networkId);
  }
  for (const n of nets) {
    const br = n.bridge as string;
    const absent = expectedFor(n).filter((what) => !has(what, (m) => (what === 'masquerade' ? m.networks.includes(n.id) : m.bridges.includes(br)), n.internal));
    const dnat = !(GATEWAY_MODE_OMITS[n.gatewayModeIpv4] ?? []).includes('dnat');
    const ports = s.docker.containers.flatMap((c) =>
          dnat && portsAt.get(c.id) === n.id
            ? dedupe(c.ports.filter((p) => p.hostPort !== null && ipv4(p.hostIp))).filter((p) => !has('dnat', (m) => m.containers.includes(c.id) && m.ports.includes(p.hostPort as number))).map((port) => ({ container: c, port }))
            : [],
        );
    if (absent.length > 0 || ports.length > 0) missing.push({ network: n, absent, ports });
  }
  return { missing, backends, basis };
}

/** One entry per host port and protocol (Docker lists a port once per address it binds). */
function dedupe(ps: PublishedPort[]): PublishedPort[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.hostPort}/${p.protocol}`;
    return !seen.has(k) && (seen.add(k), true);
  });
}

/** The words for each expected rule, as operators name them. */
export const EXPECTED_WORDS: Readonly<Record<ExpectedRule, string>> = { isolation: 'isolation', 'forward-accept': 'forward accepts', masquerade: 'MASQUERADE', dnat: 'DNAT' };

/** One port swarm's routing mesh publishes on this node, and which of the rules Docker writes for it are absent. */
export interface MissingIngress {
  service: string;
  port: number;
  protocol: string;
  absent: string[];
}

/**
 * The routing mesh's rules absent from iptables, per port a service publishes through ingress (read from a manager's
 * service list: a worker's snapshot does not say which ports are published). Empty when iptables was not collected.
 */
export function missingIngressRules(s: HostSnapshot, rules: SnapshotRules): MissingIngress[] {
  const ports = (s.swarm?.services ?? []).flatMap((svc) => svc.ports.filter((p) => p.publishMode === 'ingress' && p.publishedPort !== null).map((p) => ({ service: svc.name, port: p.publishedPort as number, protocol: p.protocol })));
  const rs = rules.ruleset;
  // Without IPVS (ingress_sbox's read as null) dockerd's ingress setup fails before it writes these: nothing expected.
  const ipvs = s.swarm?.namespaces.some((n) => n.role === 'ingress-sbox' && n.ipvs !== null) ?? false;
  if (ports.length === 0 || !rs || s.swarm?.state !== 'active' || !ipvs) return [];
  const chain = (table: 'nat' | 'filter', name: string) => rs.get(table)?.get(name)?.rules ?? [];
  const jumps = (table: 'nat' | 'filter', from: readonly string[]) => from.some((c) => chain(table, c).some((r) => r.parsed.target.kind === 'jump' && r.parsed.target.chain === SWARM_INGRESS.chain));
  const hasPort = (table: 'nat' | 'filter', port: number, proto: string, target: 'DNAT' | 'ACCEPT') =>
    chain(table, SWARM_INGRESS.chain).some((r) => r.parsed.target.kind === target && r.parsed.matches.some((m) => m.kind === 'proto' && !m.neg && m.proto === proto) && r.parsed.matches.some((m) => m.kind === 'dport' && !m.neg && m.ranges.some(([lo, hi]) => lo <= port && port <= hi)));
  const natJump = jumps('nat', SWARM_INGRESS.natFrom);
  const filterJump = jumps('filter', SWARM_INGRESS.filterFrom);
  const out: MissingIngress[] = [];
  for (const p of ports) {
    const absent = [
      ...(natJump ? [] : [`jump to nat ${SWARM_INGRESS.chain} from ${SWARM_INGRESS.natFrom.join('/')}`]),
      ...(hasPort('nat', p.port, p.protocol, 'DNAT') ? [] : [`DNAT for ${p.port}/${p.protocol} in nat ${SWARM_INGRESS.chain}`]),
      ...(filterJump ? [] : [`jump to filter ${SWARM_INGRESS.chain} from ${SWARM_INGRESS.filterFrom.join(' or ')}`]),
      ...(hasPort('filter', p.port, p.protocol, 'ACCEPT') ? [] : [`accept of ${p.port}/${p.protocol} in filter ${SWARM_INGRESS.chain}`]),
    ];
    if (absent.length > 0) out.push({ ...p, absent });
  }
  return out;
}
