// Which route shadows which when a Docker network's subnet collides with a LAN or VPN prefix: the Docker network's
// route (a container's on-link subnet, a bridge's route on the host) over the LAN's, or the LAN's over the network;
// found on a walk's routes, said in one sentence and as a note in the trace where the route was taken.
import { cidrText, cidrsOverlap, inCidr, ipText, parseCidr, parseIp } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import { routeText } from '../model/route-lookup.js';
import type { Endpoint, World } from '../model/types.js';
import type { Decision, DecisionOf, Hop } from '../../snapshot/contract.js';
import type { Leg } from './leg.js';
import { recorded } from './action.js';
import { collisions } from '../model/overlaps.js';
import type { Collision, CollisionPrefix } from '../model/overlaps.js';

export type Shadow = NonNullable<DecisionOf<'elsewhere'>['shadow']>;

const prefixRef = (w: CollisionPrefix): Shadow['collidesWith'] => ({ kind: w.kind, prefix: cidrText(w.prefix), route: w.entry ? routeText(w.entry) : null, table: w.table, iface: w.iface, via: w.entry?.route.gateway ?? null, host: w.host });
const networkRef = (c: Collision): Shadow['network'] => ({ host: c.host.name, name: c.network.name, iface: c.bridge, subnet: cidrText(c.subnet) });

/**
 * Whether the route a walk took to `dst` shadows another route that claims `dst` too: a Docker network's (its
 * containers' on-link route, its bridge's route on the host) over a LAN/VPN prefix it collides with, or a LAN route
 * over the Docker network `holder` (the container meant to get it) is on — there, the host's own LAN or VPN route on
 * its host, or another host's LAN asked directly. Null when the route is no party to a collision.
 */
export function shadowOf(world: World, taken: Leg['lastRoute'], dst: Ip, holder: Endpoint | null): Shadow | null {
  const at = taken?.at;
  if (!taken || !at) return null;
  const host = world.hosts.find((h) => h.name === at.host);
  if (!host) return null;
  const e = taken.entry;
  const route = { at, route: routeText(e), table: taken.table };
  // A Docker network's route took it: the container's on-link route of its subnet, or the host's route into the bridge.
  const network =
    at.kind === 'container'
      ? e.gateway === null ? (host.containers.find((c) => c.name === at.name)?.endpoints.find((x) => x.iface === e.route.dev && x.network !== null)?.network ?? null) : null
      : at.kind === 'host' ? ((host.snapshot.docker?.networks ?? []).find((n) => n.bridge !== null && n.bridge === e.route.dev) ?? null) : null;
  if (network) {
    // The network's own container holding it is reached there: nothing is shadowed for it.
    if (host.containers.some((c) => c.endpoints.some((x) => x.ip === dst && x.network?.id === network.id))) return null;
    const c = collisions(world).find((x) => x.host === host && x.network.id === network.id && inCidr(dst, x.subnet) && inCidr(dst, x.with.prefix));
    return c ? { ...route, network: networkRef(c), collidesWith: prefixRef(c.with), winner: 'network' } : null;
  }
  // A LAN or VPN route took it away from the Docker network that holds it: on the holder's host any route of its own;
  // on another host, its LAN asked directly (a route through a gateway may well lead to the holder).
  // Only a network behind a bridge: a macvlan or ipvlan network sits on its parent's LAN by design.
  const n = holder?.network;
  if (at.kind !== 'host' || !holder || holder.ip !== dst || !n?.bridge || e.bits === 0 || e.route.dev === n.bridge) return null;
  const own = holder.container.host === host;
  // A LAN's route, not another Docker bridge's (bridges joined into one segment share a subnet by design).
  if ((!own && e.gateway !== null) || (host.snapshot.docker?.networks ?? []).some((x) => x.bridge === e.route.dev)) return null;
  const subnet = n.subnets.map((x) => parseCidr(x.subnet)).find((c): c is Cidr => c !== null && inCidr(dst, c));
  const prefix = { addr: e.net, bits: e.bits };
  if (!subnet || !cidrsOverlap(prefix, subnet)) return null;
  return {
    ...route,
    network: { host: holder.container.host.name, name: n.name, iface: n.bridge, subnet: cidrText(subnet) },
    collidesWith: { kind: !own ? 'peer' : e.gateway !== null ? 'route' : 'on-link', prefix: cidrText(prefix), route: routeText(e), table: taken.table, iface: e.route.dev, via: e.route.gateway, host: host.name },
    winner: 'lan',
  };
}

/**
 * The first route on a recorded path that shadows another (see shadowOf): the cause, whatever the path met after it
 * (a drop, a host without a route, the edge of what is in view). Read from the trace's route steps, each found again
 * in the routing it was looked up in.
 */
export function firstShadow(world: World, hops: Hop[], holder: Endpoint | null): Shadow | null {
  for (const h of hops) {
    const host = world.hosts.find((x) => x.name === h.at.host);
    const routing = h.at.kind === 'container' ? host?.containers.find((c) => c.name === h.at.name)?.routing : h.at.kind === 'host' ? host?.routing : null;
    if (!routing) continue;
    for (const step of h.steps) {
      if (step.type !== 'route' || step.route === null) continue;
      const entry = routing.tables.get(step.table ?? 'main')?.find((e) => routeText(e) === step.route);
      const dst = parseIp(step.dst);
      const s = entry && dst !== null ? shadowOf(world, { at: h.at, table: step.table, entry }, dst, holder) : null;
      if (s) return s;
    }
  }
  return null;
}

/** What a collision prefix is, for people: the LAN on eth0, the route … via …, an address of the host, col2's network on eth0. */
function prefixWords(w: Shadow['collidesWith']): string {
  const table = w.table && w.table !== 'main' ? ` (table ${w.table})` : '';
  if (w.kind === 'on-link') return `the LAN ${w.prefix} on ${w.host}'s ${w.iface}${table}`;
  if (w.kind === 'route') return `${w.host}'s route ${w.route}${table}`;
  if (w.kind === 'address') return `${w.host}'s own address ${w.prefix} on ${w.iface}`;
  return `${w.host}'s network ${w.prefix} on ${w.iface}`;
}

/** The shadow in one sentence: which route took `dst`, and which one it shadows. */
export function shadowWords(s: Shadow, dst: Ip): string {
  const net = `${s.network.host}'s network ${s.network.name} (${s.network.subnet}${s.network.iface ? ` on ${s.network.iface}` : ''})`;
  if (s.winner === 'network') {
    const who = s.at.kind === 'container' ? `${s.at.name} looks for it on ${s.network.iface ?? 'its own network'}` : `${s.at.host} sends it into ${s.network.iface ?? s.network.name} (route ${s.route})`;
    return `${ipText(dst)} is inside ${net}, which overlaps ${prefixWords(s.collidesWith)}: ${who}, not ${s.collidesWith.via ? `via ${s.collidesWith.via}` : `on ${s.collidesWith.iface}`}`;
  }
  if (s.collidesWith.kind === 'peer') return `${s.at.host} asks its LAN ${s.collidesWith.prefix} on ${s.collidesWith.iface} for ${ipText(dst)} directly, but ${ipText(dst)} is inside ${net}, behind ${s.network.host}'s bridge: the network overlaps that LAN, where ${s.network.host} answers only for its own addresses`;
  // A table other than main won because the host's rules consult it first (a VPN's policy routing).
  const table = s.table && s.table !== 'main' ? ` (table ${s.table}, which its rules consult before main)` : '';
  return `${s.at.host}'s ${s.collidesWith.kind === 'on-link' ? 'LAN route' : 'route'} ${s.route}${table} takes ${ipText(dst)} out on ${s.collidesWith.iface}, not into ${net}: it shadows the network there`;
}

/** The trace's note at the route that shadows another, right after the route step it explains (a trace without it: nothing). */
export function noteShadow(hops: Hop[], d: Decision | null): void {
  if (d?.kind !== 'elsewhere' || !d.shadow) return;
  const s = d.shadow;
  for (const h of hops) {
    if (h.at.kind !== s.at.kind || h.at.host !== s.at.host || h.at.name !== s.at.name) continue;
    const i = h.steps.findIndex((x) => x.type === 'route' && x.route === s.route);
    const step = h.steps[i];
    const dst = step?.type === 'route' ? parseIp(step.dst) : null;
    if (dst === null) continue;
    h.steps.splice(i + 1, 0, recorded({ type: 'note', text: shadowWords(s, dst) }));
    return;
  }
}
