// A host's own stack: PREROUTING, routing, then INPUT and a socket (local) or FORWARD; OUTPUT for what it sends
// itself; POSTROUTING; and out by a bridge or onto the LAN.
import { ipText, isUnspecified } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel } from '../model/types.js';
import { runHook, unevaluatedIngress } from './hooks.js';
import { overLan } from './lan.js';
import { hostChildren } from '../model/lower.js';
import type { LowerChild } from '../model/lower.js';
import { addrPort, hostSource } from './leg.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { localLookup, packetQuery, routeLookup } from '../model/route-lookup.js';
import type { RouteDecision } from '../model/route-lookup.js';
import { routeFailure, routeStep, ruleClause, unknownRoute } from './routing.js';
import { socketHop } from './socket.js';

/** How many hosts a packet may cross before netdiag calls the path a loop. */
const MAX_HOSTS = 8;
/** How many places one leg may pass (namespaces, host stacks): every recursion of the walk counts against it. */
const MAX_PLACES = 32;

function noRoutes(w: Walk, host: HostModel): LegResult {
  return w.stopped(w.decision('missing-data', host.name, `the routes of ${host.name} were not collected`, { missing: 'routes' }));
}

/** The host's stack takes the packet: a socket there, or refused. */
function deliverHere(w: Walk, host: HostModel, iface: string): LegResult {
  const p = w.pkt;
  // The VXLAN device's socket is the kernel's own (udp_tunnel_sock): it takes the packet whoever else listens.
  if (w.tunnelPort !== null && p.proto === 'udp' && p.dport === w.tunnelPort) {
    w.note(() => ({ type: 'note', text: `udp ${p.dport} is the VXLAN port: ${host.name}'s overlay device takes the packet and unwraps the frame` }));
    return w.done('delivered', null, { kind: 'host', host });
  }
  const refused = socketHop(w, { host: host.name, name: `host ${host.name}`, sockets: host.sockets }, iface);
  if (refused) return w.stopped(refused);
  w.note(() => ({ type: 'deliver', to: `host ${host.name}`, address: addrPort(p.dst, p.dport), into: { kind: 'host', host: host.name, name: host.name } }));
  return w.done('delivered', null, { kind: 'host', host });
}

/** A packet arrives on one of a host's interfaces and meets its stack: PREROUTING, routing, INPUT or FORWARD. */
export function hostIn(w: Walk, host: HostModel, iface: string, depth: number): LegResult {
  const p = w.pkt;
  if (depth > MAX_HOSTS || w.places >= MAX_PLACES) return w.done('unknown', w.decision('route', host.name, `the path loops (through ${host.name} again)`, { dst: ipText(p.dst), result: 'loop' }), null);
  const child = ipvlanChild(host, iface, p.dst);
  if (child) return w.intoChild(host, child, depth);
  w.enter('host', host.name, host.name);
  // A packet that crosses into another namespace loses its mark (skb_scrub_packet): only this host's rules set one.
  p.mark = 0;
  p.physIn = p.physOut = null;
  p.bridged = false;
  // A netdev ingress chain sees the frame first (on a parent: before the port hands it to a child).
  const ingress = unevaluatedIngress(w, host);
  if (ingress) return ingress;
  // raw sees the addresses as they arrive: before DNAT, and before conntrack undoes SNAT on a reply.
  const pre = runHook(w, host, 'prerouting', { in: iface, out: null });
  if (pre.stop) return pre.stop;
  if (!host.routing) return noRoutes(w, host);
  // Its mark as PREROUTING's mangle left it selects the rules too.
  const d = routeLookup(host.routing, packetQuery(p, w.direction, iface, p.src));
  if (d.kind === 'unknown') return unknownRoute(w, host.name, d);
  routeStep(w, d, p.dst);
  if (d.kind !== 'local' && host.localAddrs.has(p.dst)) {
    // The kernel keeps every address of the host in table local; a snapshot without that route cannot be walked.
    return w.stopped(w.decision('missing-data', host.name, `${ipText(p.dst)} is an address of ${host.name}, but its routes in the snapshot have no local route for it (was table local collected?)`, { missing: 'routes' }));
  }
  if (d.kind === 'local') {
    const r = runHook(w, host, 'input', { in: iface, out: null });
    if (r.stop) return r.stop;
    return deliverHere(w, host, iface);
  }
  if (d.kind !== 'unicast' || !d.entry) return w.stopped(w.decision('route', host.name, `${host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${ipText(p.dst)}${ruleClause(d)}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  // IPv4 and IPv6 forwarding are separate switches: Docker turns on the first, and the second only with --ipv6.
  const [key, forwards] = p.family === 4 ? ['net.ipv4.ip_forward', host.ipForward] : ['net.ipv6.conf.all.forwarding', host.ipForward6];
  if (forwards === false && !w.ignoreDrops) {
    w.note(() => ({ type: 'sysctl', key, value: '0', result: 'dropped' }));
    return w.stopped(w.decision('sysctl', host.name, `${host.name} does not forward ${p.family === 4 ? '' : 'IPv6 '}packets: ${key} is 0`, { key, value: '0' }));
  }
  const out = d.entry.route.dev ?? '';
  const fwd = runHook(w, host, 'forward', { in: iface, out });
  if (fwd.stop) return fwd.stop;
  return postrouting(w, host, iface, out, d, depth);
}

/** A packet generated by a host's own stack (docker-proxy, a host-network container, the kernel answering ping). */
export function fromHost(w: Walk, host: HostModel, depth: number): LegResult {
  w.enter('host', host.name, host.name);
  if (!host.routing) return noRoutes(w, host);
  const p = w.pkt;
  const l = localLookup(host.routing, p, w.direction, (x) => x.entry?.prefsrc ?? hostSource(host, x.entry?.route.dev ?? null, p.family));
  let d = l.d;
  if (d.kind === 'unknown') return unknownRoute(w, host.name, d);
  if (isUnspecified(p.src)) {
    p.src = l.src ?? p.src;
    p.origSrc = p.src;
  }
  const mark = p.mark;
  const o = runHook(w, host, 'output', { in: null, out: d.entry?.route.dev ?? null });
  if (o.stop) return o.stop;
  // Routed again when nat or mangle OUTPUT changed its addresses or its mark (ip_route_me_harder), from its headers.
  if (o.translated || p.mark !== mark) {
    d = routeLookup(host.routing, packetQuery(p, w.direction, null, p.src, true));
    if (d.kind === 'unknown') return unknownRoute(w, host.name, d);
  }
  routeStep(w, d, p.dst);
  if (d.kind === 'local') {
    // Loopback: out through OUTPUT, in again through INPUT on lo.
    const out = runHook(w, host, 'output-filter', { in: null, out: 'lo' });
    if (out.stop) return out.stop;
    const i = runHook(w, host, 'input', { in: 'lo', out: null });
    if (i.stop) return i.stop;
    return deliverHere(w, host, 'lo');
  }
  if (d.kind !== 'unicast' || !d.entry) return w.stopped(w.decision('route', host.name, `${host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${ipText(p.dst)}${ruleClause(d)}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  const out = d.entry.route.dev ?? '';
  const f = runHook(w, host, 'output-filter', { in: null, out });
  if (f.stop) return f.stop;
  return postrouting(w, host, null, out, d, depth);
}

/** POSTROUTING: a forwarded packet still carries its input interface there (nft's meta iifname sees it). */
function postrouting(w: Walk, host: HostModel, inIface: string | null, out: string, d: RouteDecision, depth: number): LegResult {
  const r = runHook(w, host, 'postrouting', { in: inIface, out, prefsrc: d.entry?.prefsrc ?? null });
  if (r.stop) return r.stop;
  return egress(w, host, out, d.entry?.gateway ?? w.pkt.dst, depth);
}

/** Out of the host: onto a bridge it owns, out of one of its own macvlan or ipvlan children (a shim), or onto the LAN. */
function egress(w: Walk, host: HostModel, out: string, nextHop: Ip, depth: number): LegResult {
  const i = host.interfaces.get(out);
  if (i?.kind === 'bridge') return w.onBridge(host, out, 'host', nextHop, depth);
  const own = i ? hostChildren(i) : [];
  if (own.length > 0) return w.fromChild(host, own.find((c) => c.ip === w.pkt.src) ?? (own[0] as LowerChild), nextHop, depth);
  return overLan(w, host, out, nextHop, depth);
}

/** An ipvlan port hands a packet for one of its children's addresses to that child before the parent's stack sees it. */
function ipvlanChild(host: HostModel, iface: string, dst: Ip): LowerChild | null {
  return host.children.get(iface)?.find((c) => c.driver === 'ipvlan' && c.ip === dst && c.who.kind === 'container') ?? null;
}
