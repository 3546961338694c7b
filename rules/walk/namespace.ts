// A container's network namespace: a packet routed out of it (to its bridge, or its parent interface), or delivered into it.
import { familyOf, ipText, isUnspecified } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { ContainerModel, Endpoint } from '../model/types.js';
import { bridgePortOf, overlayPortOf } from '../model/attachment.js';
import { overlayOfPort } from '../model/overlay.js';
import { childAttachment } from '../model/lower.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { localLookup } from '../model/route-lookup.js';
import type { RouteDecision } from '../model/route-lookup.js';
import { routeFailure, routeStep, ruleClause, unknownRoute } from './routing.js';
import { socketHop } from './socket.js';
import { resolverSocketNote, sandboxNat } from './sandbox-nat.js';

/** A packet leaves a container's namespace (originated there, or a reply from there). */
export function fromContainer(w: Walk, c: ContainerModel, depth: number): LegResult {
  if (c.netns === 'host') return w.fromHost(c.host, depth);
  w.enter('container', c.host.name, c.name);
  if (!c.routing) return w.stopped(w.decision('missing-data', c.host.name, `container ${c.name}'s namespace was not read (${c.unread ?? 'see the snapshot\'s errors'})`, { missing: 'namespace' }));
  const p = w.pkt;
  // The namespace's own NAT (Docker's resolver redirect) before routing: its DNAT decides where the packet goes.
  const nat = sandboxNat(w, c);
  if (nat.stop) return w.stopped(nat.stop);
  const onDev = (dev: string | null) => c.endpoints.find((e) => e.iface === dev && familyOf(e.ip) === p.family) ?? c.endpoints.find((e) => e.iface === dev) ?? null;
  // The kernel picks the route's preferred source, else the outgoing interface's address of the packet's family;
  // an address of this namespace is delivered over lo, from that same address.
  const pick = (x: RouteDecision): Ip | null => {
    if (x.kind === 'local') return p.dst;
    const own = onDev(x.entry?.route.dev ?? null);
    return x.entry?.prefsrc ?? (own && familyOf(own.ip) === p.family ? own.ip : null);
  };
  const l = localLookup(c.routing, p, w.direction, pick);
  const d = l.d;
  if (d.kind === 'unknown') return unknownRoute(w, c.host.name, d);
  routeStep(w, d, p.dst);
  if (d.kind === 'local') {
    if (isUnspecified(p.src)) p.src = p.origSrc = l.src ?? p.dst;
    const ep = c.endpoints.find((e) => e.ip === p.dst);
    w.note(() => ({ type: 'note', text: `${ipText(p.dst)} is an address of this namespace: delivered over lo, no bridge or firewall crossed` }));
    const refused = socketHop(w, { host: c.host.name, name: c.name, sockets: c.sockets }, 'lo');
    if (refused) return w.stopped(refused);
    if (nat.resolver && w.direction === 'request') resolverSocketNote(w);
    w.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: ipText(p.dst), into: { kind: 'container', host: c.host.name, name: c.name } }));
    // Docker's resolver is on loopback: the namespace is the landing, at that address (and its answer lands back in it).
    const at = ep ?? (nat.resolver || w.direction === 'reply' ? c.endpoints[0] : undefined);
    return w.done('delivered', null, at ? { kind: 'container', endpoint: at, ...(ep ? {} : { address: ipText(p.dst) }) } : null);
  }
  if (d.kind !== 'unicast' || !d.entry) {
    return w.stopped(w.decision('route', c.host.name, `container ${c.name} has no route to ${ipText(p.dst)}${d.kind !== 'none' ? ` (${d.kind} route)` : ''}${ruleClause(d)}${d.kind === 'none' ? noGateway(c) : ''}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  }
  const dev = d.entry.route.dev;
  const ep = onDev(dev);
  if (isUnspecified(p.src)) {
    p.src = l.src ?? p.src;
    p.origSrc = p.src;
  }
  w.neighbourNote(c.neighbours, dev, d.entry.gateway ?? p.dst);
  return outOfNamespace(w, c, ep, dev, d.entry.gateway ?? p.dst, depth);
}

/** Why a macvlan or ipvlan container may have no default route: Docker 29 sets one only when the network has a gateway. */
function noGateway(c: ContainerModel): string {
  const ep = c.endpoints.find((e) => childAttachment(e.attachment) !== null && e.network !== null && e.network.subnets.length > 0 && e.network.subnets.every((s) => s.gateway === null));
  if (!ep?.network) return '';
  return ` (its ${ep.network.driver} network ${ep.network.name} has no gateway: Docker 29 gives macvlan and ipvlan l2 networks a default route only when created with --gateway)`;
}

/**
 * Where a container's interface leads out of its namespace: a veth whose peer is a bridge port, or anything else
 * (a macvlan or ipvlan child, an interface netdiag could not place) to its parent interface. The one place the walk
 * reads an endpoint's attachment.
 */
function outOfNamespace(w: Walk, c: ContainerModel, ep: Endpoint | null, dev: string | null, nextHop: Ip, depth: number): LegResult {
  const port = ep ? bridgePortOf(ep.attachment) : null;
  if (ep && port) return w.onBridge(c.host, port.bridge, port.hostVeth ?? ep.iface, nextHop, depth);
  const overlay = ep ? overlayPortOf(ep.attachment) : null;
  if (ep && overlay) {
    const o = overlayOfPort(c.host.overlays, overlay);
    if (o) return w.onOverlay(c.host, o, overlay.veth ?? ep.iface, nextHop, depth);
    return w.stopped(w.decision('overlay', c.host.name, `${c.name}'s ${ep.iface} is on an overlay network ${c.host.name}'s snapshot does not describe (${ep.network?.name ?? overlay.namespace ?? 'unknown'})`, { network: ep.network?.name ?? overlay.namespace ?? '?', vni: null, address: ipText(nextHop), vtep: null, cause: 'no-namespace' }));
  }
  return w.onParent(c, ep, dev, nextHop, depth);
}

/** A frame reached one of a container's interfaces: the packet is for one of its addresses, and a socket there takes it or not. */
export function intoContainer(w: Walk, ep: Endpoint): LegResult {
  const c = ep.container;
  w.enter('container', c.host.name, c.name);
  const p = w.pkt;
  const mine = c.endpoints.find((e) => e.ip === p.dst);
  if (!mine) return w.stopped(w.decision('missing-data', c.host.name, `${ipText(p.dst)} is not an address of ${c.name}; netdiag does not model containers that forward`, { missing: 'forwarding' }));
  const refused = socketHop(w, { host: c.host.name, name: c.name, sockets: c.sockets }, mine.iface);
  if (refused) return w.stopped(refused);
  w.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: ipText(p.dst), into: { kind: 'container', host: c.host.name, name: c.name } }));
  return w.done('delivered', null, { kind: 'container', endpoint: mine });
}
