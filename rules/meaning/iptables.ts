// The meaning of one iptables rule, from its parsed matches and target and Docker's own data: who wrote it, what it
// does in Docker's terms, and which bridges, networks, containers, addresses and ports it names.
import { cidrText, isHostPrefix, isLoopback } from '../addr/addr.js';
import type { Match, ParsedRule } from '../iptables/ast.js';
import { atLeast, networkOfSubnet } from './context.js';
import type { MeaningContext } from './context.js';
import { ADMIN_CHAIN, chainManager, DNS_CHAINS, DOCKER_CHAIN, DOCKER_CHAINS, DOCKER_IPSETS, isDockerChain, ISOLATING_CODES, ISOLATION_CHAINS, netdiagIdOf, RAW_DROPS_FROM } from './layouts.js';
import type { Owner, RuleCode, RuleMeaning } from './types.js';

const BUILT_IN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** The match of kind K (matches such as `src | dst` share one shape). */
type Of<M, K> = M extends { kind: infer MK } ? (K extends MK ? M : never) : never;
type MatchOf<K extends Match['kind']> = Of<Match, K>;

const find = <K extends Match['kind']>(p: ParsedRule, kind: K): MatchOf<K> | undefined => p.matches.find((m) => m.kind === kind) as MatchOf<K> | undefined;

/** The interfaces a rule names, and whether each is negated. */
function ifaces(p: ParsedRule): { in: MatchOf<'in'> | undefined; out: MatchOf<'out'> | undefined } {
  return { in: find(p, 'in'), out: find(p, 'out') };
}

const drops = (p: ParsedRule) => p.target.kind === 'DROP' || p.target.kind === 'REJECT';

/** Whether a rule in a built-in chain is one Docker writes there, judged by its shape against Docker's data. */
function dockersInBuiltIn(table: string, chain: string, p: ParsedRule, ctx: MeaningContext): RuleCode | null {
  const t = p.target;
  const { in: i, out: o } = ifaces(p);
  const bridgeIn = i && ctx.bridges.has(i.iface) ? i : undefined;
  const bridgeOut = o && ctx.bridges.has(o.iface) ? o : undefined;
  if ((t.kind === 'jump' || t.kind === 'goto') && isDockerChain(t.chain)) return 'rule';
  if (table === 'raw' && chain === 'PREROUTING' && t.kind === 'DROP' && atLeast(ctx, RAW_DROPS_FROM)) return rawDrop(p, ctx, i, bridgeIn);
  if (table === 'nat') return (t.kind === 'MASQUERADE' || t.kind === 'SNAT') && dockersMasquerade(p, ctx, bridgeOut) ? 'masquerade' : null;
  if (table !== 'filter' || chain !== 'FORWARD') return null;
  // 28.0.0 matched its bridges by an ipset of its own.
  if (p.ipsets.some((x) => DOCKER_IPSETS.has(x.name))) return 'rule';
  // 20.10–27 put each bridge's rules straight into FORWARD: replies into it, out of it, and (icc on) within it.
  if (t.kind === 'ACCEPT') {
    const ct = find(p, 'ctstate');
    const replies = ct !== undefined && !ct.neg && ct.states.every((x) => x === 'RELATED' || x === 'ESTABLISHED');
    if (bridgeOut && !bridgeOut.neg && !i && replies) return 'rule';
    if (bridgeIn && !bridgeIn.neg && o && o.iface === bridgeIn.iface && !ct) return 'rule';
    // 28.0.0 appended the outgoing accept without `! -o`.
    if (bridgeIn && !bridgeIn.neg && !o && !ct && p.matches.length === 1) return 'rule';
    return null;
  }
  if (t.kind === 'DROP' && bridgeIn && bridgeOut && !i?.neg && !o?.neg && i?.iface === o?.iface) {
    // Docker drops same-bridge traffic only for a network created with icc off; anyone else's such drop is theirs.
    const n = ctx.bridges.get(bridgeIn.iface);
    return n === null || n?.icc === false ? 'icc-off' : null;
  }
  return null;
}

/** raw PREROUTING drops Docker 28+ writes: direct access to a container from off its bridge, a loopback-published port from off the host. */
function rawDrop(p: ParsedRule, ctx: MeaningContext, i: MatchOf<'in'> | undefined, bridgeIn: MatchOf<'in'> | undefined): RuleCode | null {
  const dst = find(p, 'dst');
  if (!dst || dst.neg || !i?.neg) return null;
  const port = find(p, 'dport')?.ranges[0]?.[0];
  // `-d <host-ip> ! -i lo -p tcp --dport P -j DROP`, for a port published on a loopback address.
  if (isLoopback(dst.cidr.addr) && i.iface === 'lo') return !ctx.dockerRead || (port !== undefined && ctx.loopbackPorts.has(port)) ? 'loopback-publish' : null;
  // `-d <container> ! -i <its bridge> -j DROP` (28.0–28.1 with `-p tcp --dport P`, per published port).
  if (!bridgeIn || !isHostPrefix(dst.cidr)) return null;
  if (!ctx.dockerRead) return 'direct-access';
  const c = ctx.containerByIp.get(dst.cidr.addr);
  const n = ctx.bridges.get(bridgeIn.iface);
  return c && n && c.endpoints.some((e) => e.networkId === n.id) ? 'direct-access' : null;
}

/**
 * Docker's source NAT: a network's subnet leaving by any other interface (`-s <subnet> ! -o <bridge>`), the host's own
 * traffic into a bridge with the userland proxy off (`-o <bridge> -m addrtype --src-type LOCAL`), and 20.10–28's
 * hairpin for a published port (`-s C/32 -d C/32 -p tcp --dport P`).
 */
function dockersMasquerade(p: ParsedRule, ctx: MeaningContext, bridgeOut: MatchOf<'out'> | undefined): boolean {
  const src = find(p, 'src');
  const dst = find(p, 'dst');
  if (src && !src.neg && (networkOfSubnet(ctx, src.cidr) || (bridgeOut?.neg && !ctx.dockerRead))) return !dst || dst.cidr.addr === src.cidr.addr;
  if (src && dst && !src.neg && !dst.neg && src.cidr.addr === dst.cidr.addr && src.cidr.bits === dst.cidr.bits) return !ctx.dockerRead || ctx.containerByIp.has(src.cidr.addr);
  const local = find(p, 'addrtype');
  return bridgeOut !== undefined && !bridgeOut.neg && local !== undefined && local.side === 'src' && local.types.includes('LOCAL');
}

/** What a rule in one of Docker's own chains does. */
function dockersCode(table: string, chain: string, p: ParsedRule, ctx: MeaningContext): RuleCode {
  const t = p.target;
  const { in: i, out: o } = ifaces(p);
  if (DNS_CHAINS.has(chain)) return 'dns';
  if (table === 'nat') {
    if (t.kind === 'DNAT') return 'dnat';
    // 20.10–28 with the userland proxy: traffic from a bridge to a published port is left to docker-proxy.
    if (t.kind === 'RETURN' && i && !i.neg && ctx.bridges.has(i.iface)) return 'proxy-return';
    if (t.kind === 'MASQUERADE' || t.kind === 'SNAT') return 'masquerade';
    return 'rule';
  }
  if (drops(p)) {
    // --internal: `! -s <subnet> -o <bridge>` / `! -d <subnet> -i <bridge>`: everything not of the network itself.
    if (ISOLATION_CHAINS.has(chain)) return p.matches.some((m) => (m.kind === 'src' || m.kind === 'dst') && m.neg) ? 'internal' : 'isolation';
    if (i && o && !i.neg && !o.neg && i.iface === o.iface) return 'icc-off';
    // 28+: the DOCKER chain ends each bridge with `! -i <bridge> -o <bridge> -j DROP`: only published ports get in.
    if (chain === DOCKER_CHAIN && i?.neg && o && !o.neg && i.iface === o.iface) return 'unpublished-port';
    return 'rule';
  }
  if (t.kind === 'ACCEPT' && chain === DOCKER_CHAIN) {
    // --link with icc off: `-s <linker> -d <linked> -i br -o br -p tcp --dport P -j ACCEPT` (and the reverse by sport).
    const src = find(p, 'src');
    if (src && !src.neg && (find(p, 'dport') || find(p, 'sport'))) return 'link';
    return 'published';
  }
  return 'rule';
}

export function iptablesMeaning(table: string, chain: string, p: ParsedRule, ctx: MeaningContext): RuleMeaning {
  const comment = find(p, 'comment');
  const netdiagId = netdiagIdOf(comment?.text);
  let owner: Owner = 'admin';
  let manager: string | null = null;
  let code: RuleCode = 'rule';
  const t = p.target;
  if (netdiagId !== null) {
    owner = 'netdiag';
    code = chain === ADMIN_CHAIN ? 'admin-rule' : 'rule';
  } else if (chain === ADMIN_CHAIN) {
    // Docker's own `-A DOCKER-USER -j RETURN` (≤ 28.2.1) is the only rule of DOCKER-USER it writes.
    const bare = t.kind === 'RETURN' && p.matches.length === 0;
    owner = bare ? 'docker' : 'admin';
    code = bare ? 'rule' : 'admin-rule';
  } else if (DOCKER_CHAINS.has(chain)) {
    owner = 'docker';
    code = dockersCode(table, chain, p, ctx);
  } else if ((manager = chainManager(chain) ?? ((t.kind === 'jump' || t.kind === 'goto') && BUILT_IN.has(chain) ? chainManager(t.chain) : null))) {
    owner = 'manager';
  } else if (BUILT_IN.has(chain)) {
    const docker = dockersInBuiltIn(table, chain, p, ctx);
    if (docker !== null) {
      owner = 'docker';
      code = docker;
    }
  }
  return { code, owner, manager, isolatesOtherBridges: owner === 'docker' && ISOLATING_CODES.has(code), ...names(p, ctx), netdiagId };
}

/** The bridges, networks, containers, addresses and ports a rule names. */
function names(p: ParsedRule, ctx: MeaningContext): Pick<RuleMeaning, 'bridges' | 'networks' | 'containers' | 'addresses' | 'ports'> {
  const bridges = new Set<string>();
  const networks = new Set<string>();
  const containers = new Set<string>();
  const addresses = new Set<string>();
  const ports = new Set<number>();
  for (const m of p.matches) {
    if ((m.kind === 'in' || m.kind === 'out') && ctx.bridges.has(m.iface)) {
      bridges.add(m.iface);
      const n = ctx.bridges.get(m.iface);
      if (n) networks.add(n.id);
    }
    if (m.kind === 'src' || m.kind === 'dst') {
      addresses.add(cidrText(m.cidr));
      const c = ctx.containerByIp.get(m.cidr.addr);
      if (c && isHostPrefix(m.cidr)) containers.add(c.id);
      const n = networkOfSubnet(ctx, m.cidr);
      if (n) networks.add(n.id);
    }
    if (m.kind === 'dport') for (const [from] of m.ranges) ports.add(from);
  }
  if (p.target.kind === 'DNAT' && p.target.toIp !== null) {
    const c = ctx.containerByIp.get(p.target.toIp);
    if (c) containers.add(c.id);
  }
  return { bridges: [...bridges], networks: [...networks], containers: [...containers], addresses: [...addresses], ports: [...ports] };
}
