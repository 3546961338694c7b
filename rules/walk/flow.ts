// One connection, walked: the request from its origin, docker-proxy when it lands on a published host port, and the
// reply under conntrack. Reachable only when the reply comes back to where the request started.
import { familyOf, ipText, isUnspecified, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { sameNetns } from '../model/netns.js';
import type { ContainerModel, HostModel, World } from '../model/types.js';
import type { Decision, Flow, Hop } from '../../snapshot/contract.js';
import { recorded } from './action.js';
import { addrPort, newPacket } from './leg.js';
import type { Balanced, Landing, LegResult, NatRecord } from './leg.js';
import { Walker } from './walker.js';
import { elsewhereDecision, mayLandElsewhere } from './elsewhere.js';
import { firstShadow, noteShadow, shadowOf } from './shadow.js';
import { causeCode } from '../meaning/decision.js';
import { collisions } from '../model/overlaps.js';

export type Origin = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel };

export interface FlowResult {
  outcome: 'reachable' | 'blocked' | 'unknown';
  request: Hop[];
  reply: Hop[];
  decidedBy: Decision | null;
  /** Where the request was finally delivered: a container (possibly behind DNAT or a proxy) or a host. */
  deliveredTo: string | null;
  /** The source address the origin's routing picked for the request. */
  source: string | null;
  /**
   * Whether the outcome depended on anything beyond the origin's host: a leg left it (the LAN, a bridged segment) or
   * asked the hosts in view who holds a next hop. Outcomes that did not are the origin host's alone.
   */
  beyond: boolean;
  /** The IPVS virtual services the request met, each with the task this walk followed (balanced.ts walks every one). */
  balanced: Balanced[];
}

function start(w: Walker, origin: Origin): LegResult {
  return origin.kind === 'container' ? w.fromContainer(origin.container) : w.fromHost(origin.host);
}

/** Whether a landing is in `expect` (a host-mode container is its host's own stack). */
function landsIn(landing: Landing, expect: ContainerModel): boolean {
  if (expect.netns === 'host') return landing.kind === 'host' && landing.host === expect.host;
  return landing.kind === 'container' && sameNetns(landing.endpoint.container, expect);
}

/**
 * The root cause of a dropped request when there is one before the drop: where the routes alone take it (every drop
 * passed) is another holder of B's address, a bridge on another host than B's whose subnet overlaps B's network, or a
 * route that shadows the one to B (a Docker network's over a LAN/VPN prefix, a LAN's over B's Docker network).
 * Then no change to the firewall that dropped it would reach B. Only asked when the address can land elsewhere at all.
 * `expect` null: an address was asked; then only a shadowing route is a cause (any holder of it would do).
 */
function landsElsewhere(world: World, origin: Origin, dst: Ip, flow: Flow, expect: ContainerModel | null, drop: Decision | null): Decision | null {
  if (!mayLandElsewhere(world, dst)) return null;
  // Recorded where a subnet collides with a LAN: the first route on the way that shadows another is read from the trace.
  const w = new Walker(world, 'request', newPacket(flow, dst, null, 'request'), [], collisions(world).length > 0);
  w.ignoreDrops = true;
  const r = start(w, origin);
  // What stops it where it lands (nothing listens there, nothing answers on that bridge) is not a drop on the way.
  const atLanding = (d: Decision | null) => d?.kind === 'socket' || d?.kind === 'neighbour';
  const before = atLanding(drop) ? null : drop;
  const holder = expect?.endpoints.find((e) => e.ip === dst) ?? null;
  const shadow = firstShadow(world, r.hops, holder);
  if (r.outcome === 'delivered' && r.landing && expect && !landsIn(r.landing, expect)) return elsewhereDecision(originHost(origin), w, dst, r.landing, expect, before, shadow);
  const d = r.decidedBy;
  // A LAN or VPN route takes it away from B's Docker network (on B's host, or a LAN asked directly for what only B's
  // bridge holds): B never sees it, whatever happens to it after (a drop, a host without a route, the edge of the view).
  if (shadow?.winner === 'lan' && holder && r.outcome !== 'delivered') {
    const host = world.hosts.find((h) => h.name === shadow.at.host);
    return host && shadow.collidesWith.iface ? elsewhereDecision(originHost(origin), w, dst, { kind: 'lan', host, iface: shadow.collidesWith.iface }, expect, before, shadow) : null;
  }
  if (r.outcome !== 'dropped' || d?.kind !== 'neighbour') return null;
  const host = world.hosts.find((h) => h.name === d.host);
  const mine = expect?.endpoints.some((e) => e.ip === dst && e.container.host === host && e.network?.bridge === d.bridge) ?? false;
  if (!host || mine) return null;
  if (!expect && !shadow) return null;
  const decided = elsewhereDecision(originHost(origin), w, dst, { kind: 'bridge', host, bridge: d.bridge }, expect, before, shadow);
  // Nothing answering on a bridge is its own cause unless that bridge's subnet is B's too, or it shadows B's route.
  return decided.code === 'overlapping-subnet' ? decided : null;
}

/**
 * The root cause of a reply that does not come back: a route on its way (to A's address, after conntrack undid NAT)
 * is a LAN's or VPN's that shadows A's Docker network on A's host, so it leaves instead of entering A's bridge.
 */
function replyShadowed(world: World, origin: Origin, back: Walker, decided: Decision | null): Decision | null {
  if (origin.kind !== 'container' || !mayLandElsewhere(world, back.pkt.dst)) return null;
  const holder = origin.container.endpoints.find((e) => e.ip === back.pkt.dst) ?? null;
  // Unrecorded (a matrix), the route that took it last is all there is.
  const s = firstShadow(world, back.hops, holder) ?? shadowOf(world, back.lastRoute, back.pkt.dst, holder);
  const host = world.hosts.find((h) => h.name === s?.at.host);
  if (!s || s.winner !== 'lan' || !host || !s.collidesWith.iface) return null;
  return elsewhereDecision(host, back, back.pkt.dst, { kind: 'lan', host, iface: s.collidesWith.iface }, origin.container, decided?.kind === 'exit' ? null : decided, s, 'reply');
}

/** A published port on a host address: docker-proxy accepts, and opens its own connection to the container. */
function throughProxy(world: World, r: LegResult, flow: Flow, record: boolean): { walked: FlowResult; deliveredTo: string } | null {
  if (r.landing?.kind !== 'host' || !r.packet || flow.proto === 'icmp') return null;
  const host = r.landing.host;
  const pkt = r.packet;
  if (!host.meanings.userlandProxy) return null;
  // Docker lists each listening family: 0.0.0.0 takes IPv4, :: takes IPv6; a specific address takes itself.
  const wildcard = pkt.family === 4 ? '0.0.0.0' : '::';
  const pub = host.published.find((x) => x.port.protocol === flow.proto && x.port.hostPort === pkt.dport && (x.port.hostIp === wildcard || parseIp(x.port.hostIp) === pkt.dst));
  // The proxy dials the container's address of the same family when it has one, else its IPv4 address: the
  // docker-proxy between families (a client over IPv6 to a container with IPv4 only).
  const eps = pub?.container.endpoints ?? [];
  const target = eps.find((e) => e.network !== null && familyOf(e.ip) === pkt.family) ?? eps.find((e) => e.network !== null && familyOf(e.ip) === 4) ?? eps[0];
  if (!pub || !target) return null;
  const dialled = addrPort(target.ip, pub.port.containerPort);
  if (record) r.hops[r.hops.length - 1]?.steps.push(recorded({ type: 'proxy', listen: `${pub.port.hostIp.includes(':') ? `[${pub.port.hostIp}]` : pub.port.hostIp}:${pub.port.hostPort}/${pub.port.protocol}`, to: `${pub.container.name} ${dialled}`, into: { kind: 'container', host: pub.container.host.name, name: pub.container.name }, address: dialled }));
  const walked = walkFlow(world, { kind: 'host', host }, target.ip, { proto: flow.proto, port: pub.port.containerPort }, 1, record);
  if (record && walked.source) {
    // The proxy is a new connection: the container never sees the client's address (logs, allow-lists, rate limits).
    const crossed = familyOf(target.ip) !== pkt.family ? `, and over IPv${familyOf(target.ip)} though the client used IPv${pkt.family}` : '';
    walked.request[0]?.steps.unshift(recorded({ type: 'note', text: `docker-proxy opens its own connection: ${pub.container.name} sees it come from ${walked.source} (the proxy on ${host.name}), not from the client's ${ipText(pkt.src)}${crossed}` }));
  }
  return { walked, deliveredTo: `${pub.container.name} ${addrPort(target.ip, pub.port.containerPort)} (through docker-proxy on ${host.name})` };
}

/**
 * Walk one connection: the request from `origin` to `dst`, then its reply back under conntrack. With `expect`, the
 * request must land in that container: the same address elsewhere (two hosts on 172.17.0.0/16) is not it.
 */
export function walkFlow(world: World, origin: Origin, dst: Ip, flow: Flow, depth = 0, record = true, expect: ContainerModel | null = null, picks: number[] = []): FlowResult {
  const nat: NatRecord[] = [];
  const req = new Walker(world, 'request', newPacket(flow, dst, null, 'request'), nat, record);
  req.picks = picks;
  const r = start(req, origin);
  const source = isUnspecified(req.pkt.origSrc) ? null : ipText(req.pkt.origSrc);
  let beyond = req.beyond;
  const result = (outcome: FlowResult['outcome'], decidedBy: Decision | null, request: Hop[], reply: Hop[], deliveredTo: string | null): FlowResult => ({ outcome, request, reply, decidedBy, deliveredTo, source, beyond, balanced: req.balanced });
  if (r.outcome === 'dropped') {
    const cause = depth === 0 ? landsElsewhere(world, origin, dst, flow, expect, r.decidedBy) : null;
    noteShadow(r.hops, cause);
    return result('blocked', cause ?? r.decidedBy, r.hops, [], null);
  }
  // Leaving the hosts in view is unknown, unless it leaves B behind: a LAN asked for what only B's bridge holds.
  const lost = r.outcome === 'unknown' && expect && depth === 0 && r.decidedBy?.kind === 'exit' ? landsElsewhere(world, origin, dst, flow, expect, null) : null;
  noteShadow(r.hops, lost);
  if (lost) return result('blocked', lost, r.hops, [], null);
  if (r.outcome === 'unknown' || !r.landing || !r.packet) return result('unknown', r.decidedBy, r.hops, [], null);

  const proxied = depth === 0 ? throughProxy(world, r, flow, record) : null;
  // A host-mode container is the host's own stack: landing on its host is landing in it.
  if (expect && !proxied && !landsIn(r.landing, expect)) {
    const where = r.landing.kind === 'container' ? `${r.landing.endpoint.container.host.name}/${r.landing.endpoint.container.name}` : `host ${r.landing.host.name}`;
    return result('blocked', elsewhereDecision(originHost(origin), req, dst, r.landing, expect, null), r.hops, [], where);
  }
  const deliveredTo = proxied?.deliveredTo ?? (r.landing.kind === 'container' ? `${r.landing.endpoint.container.name} ${r.landing.address ?? r.landing.endpoint.ipText}` : r.landing.kind === 'balancer' ? `${r.landing.balancer.name} on ${r.landing.host.name}` : `host ${r.landing.host.name}`);

  const reply = new Walker(world, 'reply', newPacket(flow, r.packet.src, r.packet.dst, 'reply'), nat, record);
  // Conntrack carries the request's ports into the reply, swapped.
  reply.pkt.sport = r.packet.dport;
  reply.pkt.dport = r.packet.sport;
  reply.pkt.origDst = dst;
  reply.pkt.origSrc = r.packet.origSrc;
  const back = r.landing.kind === 'container' ? reply.fromContainer(r.landing.endpoint.container) : r.landing.kind === 'balancer' ? reply.fromBalancer(r.landing.balancer) : reply.fromHost(r.landing.host);
  beyond ||= reply.beyond || (proxied?.walked.beyond ?? false);
  // A reply a LAN route takes away from A (its Docker network collides with that LAN): the cause, before any drop.
  const shadowed = (back.outcome === 'dropped' || (back.outcome === 'unknown' && back.decidedBy?.kind === 'exit')) && depth === 0 ? replyShadowed(world, origin, reply, back.decidedBy) : null;
  noteShadow(back.hops, shadowed);
  if (shadowed) return result('blocked', shadowed, r.hops, back.hops, null);
  if (back.outcome === 'dropped') return result('blocked', back.decidedBy, r.hops, back.hops, null);
  if (back.outcome === 'unknown') return result('unknown', back.decidedBy, r.hops, back.hops, deliveredTo);
  const backOk = back.packet !== null && back.landing !== null && back.packet.dst === r.packet.origSrc && sameOrigin(back.landing, origin);
  if (!backOk) {
    return result('unknown', { kind: 'missing-data', host: originHost(origin).name, direction: 'reply', missing: 'reply', reason: 'the reply does not come back to where the request started', code: causeCode('missing-data') }, r.hops, back.hops, deliveredTo);
  }
  const accepted = r.acceptedBy ?? back.acceptedBy;
  if (proxied) {
    const p = proxied.walked;
    return result(p.outcome, p.outcome === 'reachable' ? accepted : p.decidedBy, [...r.hops, ...p.request], [...p.reply, ...back.hops], deliveredTo);
  }
  return result('reachable', accepted, r.hops, back.hops, deliveredTo);
}

function originHost(o: Origin): HostModel {
  return o.kind === 'container' ? o.container.host : o.host;
}

function sameOrigin(landing: Landing, origin: Origin): boolean {
  if (origin.kind === 'host') return landing.kind === 'host' && landing.host === origin.host;
  const c = origin.container;
  if (c.netns === 'host') return landing.kind === 'host' && landing.host === c.host;
  return landing.kind === 'container' && sameNetns(landing.endpoint.container, c);
}
