// The netfilter hooks a packet meets at each point of its path — for each, the ordered (table, chain) list the kernel
// runs by priority — and the one loop that runs them. Other tables' base chains on a hook join these lists by priority.
import type { HostModel } from '../model/types.js';
import type { TableName } from '../netfilter/ruleset.js';
import { walkHook } from '../netfilter/walk-chain.js';
import type { HookOutcome } from '../netfilter/walk-chain.js';
import type { Decision } from '../../snapshot/contract.js';
import { hostMatch } from './leg.js';
import type { Leg, LegResult } from './leg.js';
import { applyNat, undoNat } from './nat.js';

export type HookPoint = 'prerouting' | 'input' | 'forward' | 'output' | 'output-filter' | 'postrouting';

export type HookEntry =
  /** A base chain; nat chains see only a connection's first packet (conntrack replays their decision after). */
  | { kind: 'chain'; table: TableName; chain: string; priority: number; firstPacketOnly: boolean }
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

export interface HookRun {
  in: string | null;
  out: string | null;
  /** What MASQUERADE picks: the preferred source of the route out. */
  prefsrc?: number | null;
  /** A frame bridged between two ports: a DNAT would re-route it, which netdiag does not follow. */
  bridged?: boolean;
}

export type HookResult = { stop: LegResult } | { stop: null; translated: boolean };

/** Run every entry of `point` in order: the packet stops at the first drop, or passes with NAT applied. */
export function runHook(leg: Leg, host: HostModel, point: HookPoint, run: HookRun): HookResult {
  if (!host.ruleset) return { stop: leg.stopped(leg.decision('missing-data', host.name, `the firewall of ${host.name} was not collected (see the snapshot's errors)`)) };
  let translated = false;
  for (const e of HOOKS[point]) {
    if (e.kind === 'undo-nat') {
      undoNat(leg, host, e.undo);
      continue;
    }
    if (e.firstPacketOnly && leg.pkt.ctstate !== 'NEW') continue;
    const r = runChain(leg, host, e.table, e.chain, run.in, run.out);
    if (r.stop) return { stop: leg.stopped(r.stop) };
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

/** One base chain: walk it, record the step, and say whether it stopped the packet. */
function runChain(leg: Leg, host: HostModel, table: TableName, chain: string, inIface: string | null, outIface: string | null): { stop: Decision | null; outcome: HookOutcome } {
  const p = leg.pkt;
  p.inIface = inIface;
  p.outIface = outIface;
  let m = matchHosts.get(host);
  if (!m) matchHosts.set(host, (m = hostMatch(host)));
  const outcome = walkHook(host.ruleset?.get(table), chain, p, m, host.jumpLimit);
  const interesting = outcome.path.length > 0 || outcome.verdict !== 'ACCEPT' || (outcome.policyOf !== null && table === 'filter');
  if (interesting) {
    leg.note(() => ({ type: 'chain', table, chain, in: inIface, out: outIface, verdict: outcome.verdict, decidedBy: outcome.decidedBy, policy: outcome.decidedBy ? null : outcome.policyOf ? (host.ruleset?.get(table)?.get(chain)?.policy ?? null) : null, path: outcome.path }));
  }
  const r = outcome.decidedBy;
  const cite = r ? { table, chain: r.chain, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes } : { table, chain };
  if (outcome.verdict === 'unknown') {
    const why = outcome.unknownWhy ? ` (${outcome.unknownWhy})` : '';
    return { stop: leg.decision('unknown-rule', host.name, r ? `netdiag cannot evaluate ${table} ${r.chain} rule ${r.index}: ${r.text}${why}` : `netdiag cannot evaluate ${table} ${chain}${why}`, cite), outcome };
  }
  if (outcome.verdict === 'DROP' || outcome.verdict === 'REJECT') {
    if (r) return { stop: leg.decision('rule', host.name, `${table} ${r.chain} rule ${r.index} ${outcome.verdict === 'DROP' ? 'drops' : 'rejects'} it: ${r.text}`, cite), outcome };
    return { stop: leg.decision('policy', host.name, `no rule accepts it and ${table} ${chain}'s policy is DROP`, cite), outcome };
  }
  if (table === 'filter' && leg.record) {
    leg.acceptedBy = r ? leg.decision('rule', host.name, `${table} ${r.chain} rule ${r.index} accepts it: ${r.text}`, cite) : leg.decision('policy', host.name, `${table} ${chain}'s policy ACCEPT lets it through`, cite);
  }
  return { stop: null, outcome };
}
