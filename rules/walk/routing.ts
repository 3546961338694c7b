// The route step a walk records for the kernel's routing decision (rules/model/route-lookup.ts), and how a decision
// that stops or cannot be evaluated ends a leg.
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { routeText } from '../model/route-lookup.js';
import type { RouteDecision } from '../model/route-lookup.js';
import type { Leg, LegResult } from './leg.js';

/** The route step: the table and route the kernel picked for `dst`, or what it found instead, and the rule that chose. */
export function routeStep(leg: Leg, d: RouteDecision, dst: Ip): void {
  const e = d.entry;
  leg.lastRoute = e ? { at: leg.place(), table: d.table, entry: e } : null;
  leg.note(() => ({
    type: 'route',
    table: d.table,
    route: e ? routeText(e) : null,
    dst: ipText(dst),
    result: d.kind === 'unicast' ? 'forward' : (d.kind as Exclude<RouteDecision['kind'], 'unicast' | 'unknown'>),
    outIface: e?.route.dev ?? null,
    via: e?.route.gateway ?? null,
    ...(d.rule ? { rule: { priority: d.rule.priority, text: d.rule.text } } : {}),
  }));
}

/** ` (rule 100: from 172.18.0.0/16 lookup 100)` when a rule besides the kernel's own chose: for a decision's sentence. */
export function ruleClause(d: RouteDecision): string {
  return d.rule ? ` (rule ${d.rule.priority}: ${d.rule.text})` : '';
}

/** The leg stops where the rules cannot be evaluated for this packet: unknown, naming the rule and what it depends on. */
export function unknownRoute(leg: Leg, host: string, d: RouteDecision): LegResult {
  const u = d.unknown as NonNullable<RouteDecision['unknown']>;
  const cmd = u.rule.rule.family === 'inet6' ? 'ip -6 rule' : 'ip rule';
  const text = `${u.rule.priority}: ${u.rule.text}`;
  const reason = `netdiag cannot evaluate ${cmd} ${text} for this packet: it depends on ${u.why}`;
  if (u.missing) return leg.stopped(leg.decision('missing-data', host, reason, { missing: u.missing }));
  return leg.stopped(leg.decision('unknown-rule', host, reason, { table: cmd, text }));
}

/** Why a route decision stops the packet, as a route decision's `result` says it. */
export function routeFailure(d: RouteDecision): 'none' | 'blackhole' | 'unreachable' | 'prohibit' | 'broadcast' {
  return d.kind === 'unicast' || d.kind === 'local' || d.kind === 'unknown' ? 'none' : d.kind;
}
