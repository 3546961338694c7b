// The netfilter hooks a packet meets at each point of its path — for each, the ordered (table, chain) list the kernel
// runs by priority — and the one loop that runs them. Other tables' base chains on a hook join these lists by priority.
import type { HostModel } from '../model/types.js';
import type { Ruleset, TableName } from '../netfilter/ruleset.js';
import type { Family, Ip } from '../addr/addr.js';
import { walkNftChain } from '../nftables/eval.js';
import { seesFamily, tableOf } from '../nftables/model.js';
import type { NftChainModel, NftRuleset } from '../nftables/model.js';
import { walkHook } from '../netfilter/walk-chain.js';
import type { HookOutcome } from '../netfilter/walk-chain.js';
import type { Decision, RuleRef } from '../../snapshot/contract.js';
import { hostMatch } from './leg.js';
import type { DecisionFields, Leg, LegResult } from './leg.js';
import { applyNat, undoNat } from './nat.js';
import { meaningOf } from '../meaning/host.js';
import { ruleDecisionCode } from '../meaning/decision.js';
import { DOCKER_NFT } from '../meaning/layouts.js';

export type HookPoint = 'prerouting' | 'input' | 'forward' | 'output' | 'output-filter' | 'postrouting';

export type HookEntry =
  /** A base chain; nat chains see only a connection's first packet (conntrack replays their decision after). */
  | { kind: 'chain'; table: TableName; chain: string; priority: number; firstPacketOnly: boolean }
  /** A native nftables base chain on the same hook, at its own priority. */
  | { kind: 'nft'; chain: NftChainModel; priority: number; firstPacketOnly: boolean }
  /** Conntrack undoing a translation on a reply: the destination before routing, the source after. */
  | { kind: 'undo-nat'; undo: 'snat' | 'dnat'; priority: number };

const chain = (table: TableName, name: string, priority: number): HookEntry => ({ kind: 'chain', table, chain: name, priority, firstPacketOnly: table === 'nat' });

// iptables registers its tables at fixed priorities (linux/netfilter_ipv4.h): raw -300, mangle -150, nat's DNAT
// -100, filter 0, nat's SNAT 100; the NAT core un-NATs replies at those same two NAT priorities.
export const HOOKS: Readonly<Record<HookPoint, readonly HookEntry[]>> = {
  prerouting: [chain('raw', 'PREROUTING', -300), chain('mangle', 'PREROUTING', -150), { kind: 'undo-nat', undo: 'snat', priority: -100 }, chain('nat', 'PREROUTING', -100)],
  input: [chain('mangle', 'INPUT', -150), chain('filter', 'INPUT', 0)],
  forward: [chain('mangle', 'FORWARD', -150), chain('filter', 'FORWARD', 0)],
  // The OUTPUT hook in two: a packet whose destination nat OUTPUT changed is routed again before filter OUTPUT sees it.
  output: [chain('raw', 'OUTPUT', -300), chain('mangle', 'OUTPUT', -150), chain('nat', 'OUTPUT', -100)],
  'output-filter': [chain('filter', 'OUTPUT', 0)],
  postrouting: [chain('mangle', 'POSTROUTING', -150), chain('nat', 'POSTROUTING', 100), { kind: 'undo-nat', undo: 'dnat', priority: 100 }],
};

/** Where a native base chain runs: its hook, and for output, before or after the reroute that follows NAT. */
function pointOf(c: NftChainModel): HookPoint | null {
  switch (c.hook) {
    case 'prerouting':
    case 'input':
    case 'forward':
    case 'postrouting':
      return c.hook;
    case 'output':
      return (c.prio ?? 0) < 0 ? 'output' : 'output-filter';
    default:
      return null;
  }
}

type Plan = Record<HookPoint, HookEntry[]>;
const plans = { 4: new WeakMap<HostModel, Plan>(), 6: new WeakMap<HostModel, Plan>() };

/** The iptables tables a packet of `family` crosses: iptables' for IPv4, ip6tables' for IPv6 (ip6tables uses the same priorities). */
export function rulesetFor(host: HostModel, family: Family): Ruleset | null {
  return family === 4 ? host.ruleset : host.ruleset6;
}

/** The host's entries at each point for one family: its iptables tables and native base chains, by priority (a stable sort). */
export function hookPlan(host: HostModel, family: Family = 4): Plan {
  let plan = plans[family].get(host);
  if (plan) return plan;
  plan = Object.fromEntries(Object.entries(HOOKS).map(([k, v]) => [k, [...v]])) as Plan;
  for (const c of host.nft?.baseChains ?? []) {
    if (!seesFamily(c.family, family)) continue;
    const point = pointOf(c);
    if (point) plan[point].push({ kind: 'nft', chain: c, priority: c.prio ?? 0, firstPacketOnly: c.type === 'nat' });
  }
  for (const list of Object.values(plan)) list.sort((a, b) => a.priority - b.priority);
  plans[family].set(host, plan);
  return plan;
}

/** A base chain with no rules (an emptied iptables table): whatever order it runs in, it sees and changes nothing. */
function inert(rules: Ruleset | null, e: HookEntry): boolean {
  if (e.kind === 'nft') return e.chain.rules.length === 0;
  if (e.kind === 'chain') return (rules?.get(e.table)?.get(e.chain)?.rules.length ?? 0) === 0;
  return true;
}

export interface HookRun {
  in: string | null;
  out: string | null;
  /** What MASQUERADE picks: the preferred source of the route out. */
  prefsrc?: Ip | null;
  /** A frame bridged between two ports: a DNAT would re-route it, which netdiag does not follow. */
  bridged?: boolean;
}

export type HookResult = { stop: LegResult } | { stop: null; translated: boolean };

/** Run every entry of `point` in order: the packet stops at the first drop, or passes with NAT applied. */
export function runHook(leg: Leg, host: HostModel, point: HookPoint, run: HookRun): HookResult {
  const family = leg.pkt.family;
  const rules = rulesetFor(host, family);
  if (!rules) {
    const what = family === 4 ? 'firewall' : 'IPv6 firewall (ip6tables-save)';
    return { stop: leg.stopped(leg.decision('missing-data', host.name, `the ${what} of ${host.name} was not collected (see the snapshot's errors)`, { missing: 'firewall' })) };
  }
  let translated = false;
  const entries = hookPlan(host, family)[point];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as HookEntry;
    if (e.kind === 'undo-nat') {
      undoNat(leg, host, e.undo);
      continue;
    }
    if (e.firstPacketOnly && leg.pkt.ctstate !== 'NEW') continue;
    const markBefore = leg.pkt.mark;
    const r = e.kind === 'nft' ? runNftChain(leg, host, e.chain, run.in, run.out) : runChain(leg, host, rules, e.table, e.chain, run.in, run.out);
    if (r.stop) return { stop: leg.stopped(r.stop) };
    const changed = r.outcome.nat !== null || leg.pkt.mark !== markBefore;
    const peer = changed ? entries.find((x, j) => j !== i && x.kind !== 'undo-nat' && x.priority === e.priority && !(x.firstPacketOnly && leg.pkt.ctstate !== 'NEW') && !inert(rules, x)) : undefined;
    if (peer) {
      // Base chains of equal priority run in an order the kernel does not define; one that changes the packet makes it matter.
      const name = (x: HookEntry) => (x.kind === 'nft' ? `${x.chain.family} ${x.chain.table} ${x.chain.name}` : x.kind === 'chain' ? `${x.table} ${x.chain}` : '');
      return { stop: leg.stopped(leg.decision('unknown-rule', host.name, `${name(e)} and ${name(peer)} both run at priority ${e.priority} on this hook, in an order the kernel does not define, and ${name(e)} changes the packet`)) };
    }
    const nat = r.outcome.nat;
    if (!nat) continue;
    if (run.bridged && (nat.kind === 'DNAT' || nat.kind === 'REDIRECT')) {
      return { stop: leg.stopped(leg.decision('unknown-rule', host.name, 'a bridged frame was DNATed; netdiag does not follow re-routed bridged frames', r.outcome.decidedBy ? { text: r.outcome.decidedBy.text } : {})) };
    }
    const cannot = applyNat(leg, host, r.outcome, run.out, run.prefsrc ?? null);
    if (cannot) return { stop: leg.stopped(cannot) };
    translated = true;
  }
  return { stop: null, translated };
}

const matchHosts = new WeakMap<HostModel, ReturnType<typeof hostMatch>>();

function matchHost(host: HostModel): ReturnType<typeof hostMatch> {
  let m = matchHosts.get(host);
  if (!m) matchHosts.set(host, (m = hostMatch(host)));
  return m;
}

/** A rule's citation with what it means here, recorded where it decides: its code (told by where the packet came from) and owner. */
function meant(host: HostModel, j: Judged, r: RuleRef): RuleCite {
  const m = meaningOf(host.meanings, r);
  return { ...j.cite(r), code: ruleDecisionCode(m, { in: j.inIface, out: j.outIface }, host.meanings), ...(m ? { owner: m.owner } : {}) };
}

/** One iptables base chain: walk it, record the step, and say whether it stopped the packet. */
function runChain(leg: Leg, host: HostModel, rules: Ruleset, table: TableName, chain: string, inIface: string | null, outIface: string | null): { stop: Decision | null; outcome: HookOutcome } {
  leg.pkt.inIface = inIface;
  leg.pkt.outIface = outIface;
  const outcome = walkHook(rules.get(table), chain, leg.pkt, matchHost(host), host.jumpLimit);
  const policy = outcome.decidedBy ? null : outcome.policyOf ? (rules.get(table)?.get(chain)?.policy ?? null) : null;
  // ip6tables' rules are cited as such, so a fix or a reader goes to the right tool.
  const v6 = leg.pkt.family === 6;
  const extra = v6 ? { ip6tables: true } : {};
  const cite = (r: RuleRef): RuleCite => ({ table, chain: r.chain, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes, ...extra, in: inIface, out: outIface });
  const tool = v6 ? 'ip6tables ' : '';
  const chainCite = () => ({ table, chain, ...extra, in: inIface, out: outIface, code: table === 'filter' && chain === 'FORWARD' ? ('forward-policy' as const) : ('policy' as const) });
  return judge(leg, host, { table, chain, inIface, outIface, outcome, policy, filter: table === 'filter', name: (r) => (r ? `${tool}${table} ${r.chain} rule ${r.index}` : `${tool}${table} ${chain}`), cite, chainCite });
}

/** One native nftables base chain, cited as `family table chain handle N`. */
function runNftChain(leg: Leg, host: HostModel, c: NftChainModel, inIface: string | null, outIface: string | null): { stop: Decision | null; outcome: HookOutcome } {
  leg.pkt.inIface = inIface;
  leg.pkt.outIface = outIface;
  const outcome = walkNftChain(tableOf(host.nft as NftRuleset, c), c, leg.pkt, matchHost(host));
  const table = `${c.family} ${c.table}`;
  const cite = (r: RuleRef): RuleCite => ({ table, chain: r.chain, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes, family: c.family, handle: r.handle, in: inIface, out: outIface });
  // Docker 29's own forward chain takes its policy from ip_forward at startup: the FORWARD policy of that backend.
  const chainCite = () => ({ table, chain: c.name, family: c.family, in: inIface, out: outIface, code: c.hook === 'forward' && c.table === DOCKER_NFT.table ? ('forward-policy' as const) : ('policy' as const) });
  return judge(leg, host, { table, chain: c.name, inIface, outIface, outcome, policy: outcome.policyOf ? (c.policy === 'drop' ? 'DROP' : 'ACCEPT') : null, filter: c.type === 'filter' && (c.hook === 'forward' || c.hook === 'input' || c.hook === 'output'), name: (r) => (r ? `${table} ${r.chain} handle ${r.handle}` : `${table} ${c.name}`), cite, chainCite });
}

interface Judged {
  table: string;
  chain: string;
  inIface: string | null;
  outIface: string | null;
  outcome: HookOutcome;
  policy: string | null;
  /** A filtering chain: its accept is what let a reachable packet through. */
  filter: boolean;
  name: (r: RuleRef | null) => string;
  /** A rule of this chain, as a decision cites it (its meaning added where it decides). */
  cite: (r: RuleRef) => RuleCite;
  /** The chain itself cited (its policy decided; the FORWARD policy Docker sets is `forward-policy`), made when asked. */
  chainCite: () => DecisionFields<'policy'>;
}

type RuleCite = DecisionFields<'rule'>;

/** What a base chain's outcome means for the packet: the step, and the decision when it stops there. */
function judge(leg: Leg, host: HostModel, j: Judged): { stop: Decision | null; outcome: HookOutcome } {
  const { outcome, table, chain } = j;
  const interesting = outcome.path.length > 0 || outcome.verdict !== 'ACCEPT' || (outcome.policyOf !== null && j.filter);
  if (interesting) leg.note(() => ({ type: 'chain', table, chain, in: j.inIface, out: j.outIface, verdict: outcome.verdict, decidedBy: outcome.decidedBy, policy: j.policy, path: outcome.path }));
  const r = outcome.decidedBy;
  // Passing through a chain is most of a verdict-only walk: nothing is cited unless something is said.
  if (outcome.verdict === 'ACCEPT' && !(j.filter && leg.record)) return { stop: null, outcome };
  if (outcome.verdict === 'unknown') {
    const why = outcome.unknownWhy ? ` (${outcome.unknownWhy})` : '';
    // Not what the rule means when it applies: netdiag cannot tell whether it does.
    const { code: _policy, ...chain } = j.chainCite();
    return { stop: leg.decision('unknown-rule', host.name, `netdiag cannot evaluate ${j.name(r)}${r ? `: ${r.text}` : ''}${why}`, r ? j.cite(r) : chain), outcome };
  }
  if (outcome.verdict === 'DROP' || outcome.verdict === 'REJECT') {
    // Asked where the routes alone lead: the packet goes on as if accepted.
    if (leg.ignoreDrops) return { stop: null, outcome };
    if (r) return { stop: leg.decision('rule', host.name, `${j.name(r)} ${outcome.verdict === 'DROP' ? 'drops' : 'rejects'} it: ${r.text}`, meant(host, j, r)), outcome };
    return { stop: leg.decision('policy', host.name, `no rule accepts it and ${table} ${chain}'s policy is DROP`, j.chainCite()), outcome };
  }
  if (j.filter && leg.record) {
    leg.acceptedBy = r ? leg.decision('rule', host.name, `${j.name(r)} accepts it: ${r.text}`, meant(host, j, r)) : leg.decision('policy', host.name, `${table} ${chain}'s policy ACCEPT lets it through`, j.chainCite());
  }
  return { stop: null, outcome };
}

/**
 * A netdev ingress chain sees every frame a host's interfaces receive, before any bridge, macvlan port or IP hook:
 * netdiag does not evaluate one, so a frame arriving there is unknown, naming the chain (null: the host has none).
 */
export function unevaluatedIngress(w: Leg, host: HostModel): LegResult | null {
  const ingress = host.nft?.unmodelled.find((c) => c.hook === 'ingress');
  if (!ingress) return null;
  return w.stopped(w.decision('unknown-rule', host.name, `${ingress.family} ${ingress.table} ${ingress.name} (hook ingress) has rules netdiag does not evaluate`, { table: `${ingress.family} ${ingress.table}`, chain: ingress.name, family: ingress.family }));
}
