// The kernel's routing decision: policy rules in priority order, then the longest prefix in the table they name; and the step that records it.
import { familyOf, inCidr, ipText, networkOf, parseCidr, parseIp } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { Interface, PolicyRule, RouteEntry, Routing } from '../model/types.js';
import type { Leg } from './leg.js';

export interface RouteDecision {
  /** unicast: forward or deliver out `dev`; local: for this namespace; the rest drop the packet. */
  kind: 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'none';
  entry: RouteEntry | null;
  table: string | null;
}

function ruleSelects(r: PolicyRule, dst: Ip, src: Ip | null, iif: string | null, mark: number): boolean {
  let ok = true;
  if (r.src) {
    const c = parseCidr(r.src);
    ok &&= c !== null && src !== null && inCidr(src, c);
  }
  if (r.dst) {
    const c = parseCidr(r.dst);
    ok &&= c !== null && inCidr(dst, c);
  }
  if (r.iif) ok &&= r.iif === (iif ?? 'lo');
  if (r.fwmark) {
    const [v, m] = r.fwmark.split('/');
    ok &&= ((mark & Number(m ?? 0xffffffff)) >>> 0) === (Number(v) >>> 0);
  }
  return r.not ? !ok : ok;
}

/** Route `dst` (from `src`, arriving on `iif`, or locally generated when iif is null), in dst's family's rules and routes. */
export function routeLookup(routing: Routing, dst: Ip, src: Ip | null, iif: string | null, mark = 0): RouteDecision {
  const own = routing.rules[familyOf(dst)];
  // No rules read for a family (a kernel's `ip -6 rule` failed, or an old snapshot): the kernel's defaults.
  const rules = own.length > 0 ? own : DEFAULT_RULES;
  for (const r of rules) {
    if (!ruleSelects(r, dst, src, iif, mark)) continue;
    if (r.action !== 'lookup') {
      if (r.action === 'unreachable' || r.action === 'prohibit' || r.action === 'blackhole') return { kind: r.action, entry: null, table: null };
      continue;
    }
    const hit = routing.index.get(r.table ?? 'main')?.longest(dst);
    if (!hit) continue;
    const t = hit.route.type;
    const kind = t === 'unicast' || t === 'local' || t === 'broadcast' || t === 'blackhole' || t === 'unreachable' || t === 'prohibit' ? t : 'unicast';
    return { kind, entry: hit, table: r.table ?? 'main' };
  }
  return { kind: 'none', entry: null, table: null };
}

const DEFAULT_RULES: PolicyRule[] = [
  { family: 'inet', priority: 0, not: false, src: null, dst: null, iif: null, oif: null, fwmark: null, table: 'local', action: 'lookup' },
  { family: 'inet', priority: 32766, not: false, src: null, dst: null, iif: null, oif: null, fwmark: null, table: 'main', action: 'lookup' },
  { family: 'inet', priority: 32767, not: false, src: null, dst: null, iif: null, oif: null, fwmark: null, table: 'default', action: 'lookup' },
];

// An interface's networks, parsed once: every packet that leaves a host onto its LAN asks.
const parsedNetworks = new WeakMap<Interface['addresses'], Cidr[]>();

/** The networks an interface's addresses are on (its addresses with their prefix lengths). */
export function networksOf(addresses: Interface['addresses']): Cidr[] {
  let nets = parsedNetworks.get(addresses);
  if (!nets) {
    nets = addresses.flatMap((a) => {
      const own = parseIp(a.local);
      return own === null ? [] : [{ addr: networkOf(own, a.prefixLen), bits: a.prefixLen }];
    });
    parsedNetworks.set(addresses, nets);
  }
  return nets;
}

/** Whether `ip` is on a subnet of one of these interface addresses (a neighbour, no router between). */
export function onLink(addresses: Interface['addresses'], ip: Ip): boolean {
  return networksOf(addresses).some((c) => inCidr(ip, c));
}

/** A route as `ip route` prints it: `172.17.0.0/16 dev docker0`, `default via 172.18.0.1 dev eth0`, `local 172.17.0.2 dev eth0`. */
export function routeText(e: RouteEntry): string {
  return [e.route.type !== 'unicast' ? e.route.type : '', e.route.dst === '0.0.0.0/0' || e.route.dst === '::/0' ? 'default' : e.route.dst, e.route.gateway ? `via ${e.route.gateway}` : '', e.route.dev ? `dev ${e.route.dev}` : ''].filter(Boolean).join(' ');
}

/** The route step: the table and route the kernel picked for `dst`, or what it found instead. */
export function routeStep(leg: Leg, d: RouteDecision, dst: Ip): void {
  const e = d.entry;
  leg.lastRoute = e ? { at: leg.place(), table: d.table, entry: e } : null;
  leg.note(() => ({
    type: 'route',
    table: d.table,
    route: e ? routeText(e) : null,
    dst: ipText(dst),
    result: d.kind === 'unicast' ? 'forward' : d.kind,
    outIface: e?.route.dev ?? null,
    via: e?.route.gateway ?? null,
  }));
}

/** Why a route decision stops the packet, as a route decision's `result` says it. */
export function routeFailure(d: RouteDecision): 'none' | 'blackhole' | 'unreachable' | 'prohibit' | 'broadcast' {
  return d.kind === 'unicast' || d.kind === 'local' ? 'none' : d.kind;
}
