// A swarm load-balancing namespace (lb_<network>, ingress_sbox): the packet crosses its own netfilter (moby's marks and
// SNAT), and IPVS at LOCAL_IN sends it on to one of the service's tasks — each possible task walked in turn (balanced.ts).
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { BalancerModel } from '../model/balancer.js';
import type { OverlayModel } from '../model/overlay.js';
import { realPort, schedulable, virtualFor } from '../model/ipvs.js';
import { localLookup, packetQuery, routeLookup } from '../model/route-lookup.js';
import type { RouteDecision } from '../model/route-lookup.js';
import { runHook } from './hooks.js';
import { addrPort, hostSource } from './leg.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { undoNat } from './nat.js';
import { routeFailure, routeStep, ruleClause, unknownRoute } from './routing.js';

/** How many places one leg may pass (as host.ts counts): a balancer that sends back into itself is a loop. */
const MAX_PLACES = 32;

/** The service a VIP or a published port belongs to, as the node's managers or its networks name it (null: not known). */
function serviceOf(b: BalancerModel, vip: Ip, port: number | null): string | null {
  const sw = b.host.snapshot.swarm;
  const text = ipText(vip);
  const bySpec = sw?.services?.find((s) => s.virtualIps.some((x) => x.address.split('/')[0] === text));
  if (bySpec) return bySpec.name;
  const byNet = sw?.networks.flatMap((n) => n.services).find((s) => s.vip === text);
  if (byNet) return byNet.name;
  // ingress_sbox is reached at its own gateway address: the service is the one publishing the port.
  if (b.role !== 'ingress-sbox' || port === null) return null;
  return sw?.services?.find((s) => s.ports.some((x) => x.publishMode === 'ingress' && x.publishedPort === port))?.name ?? null;
}

/** A packet arrives in a load-balancing namespace on `iface` (from its overlay network's bridge, or docker_gwbridge). */
export function intoBalancer(w: Walk, b: BalancerModel, iface: string, depth: number): LegResult {
  const ns = b.stack;
  const p = w.pkt;
  if (w.places >= MAX_PLACES) return w.done('unknown', w.decision('route', b.host.name, `the path loops (through ${b.name} again)`, { dst: ipText(p.dst), result: 'loop' }), null);
  w.enter('balancer', b.host.name, b.name);
  // Crossing into another namespace scrubs the mark and IPVS's own flag (skb_scrub_packet, ipvs_reset).
  p.mark = 0;
  p.ipvs = false;
  p.physIn = p.physOut = null;
  p.bridged = false;
  const pre = runHook(w, ns, 'prerouting', { in: iface, out: null });
  if (pre.stop) return pre.stop;
  if (!ns.routing) return w.stopped(w.decision('missing-data', b.host.name, `the routes of ${b.name} on ${b.host.name} were not collected`, { missing: 'routes' }));
  const d = routeLookup(ns.routing, packetQuery(p, w.direction, iface, p.src));
  if (d.kind === 'unknown') return unknownRoute(w, b.host.name, d);
  routeStep(w, d, p.dst);
  if (d.kind === 'local') {
    const input = runHook(w, ns, 'input', { in: iface, out: null });
    if (input.stop) return input.stop;
    return balance(w, b, depth);
  }
  if (d.kind !== 'unicast' || !d.entry) return w.stopped(w.decision('route', b.host.name, `${b.name} on ${b.host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${ipText(p.dst)}${ruleClause(d)}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  // Not for the namespace: a task's reply after conntrack undid moby's SNAT, now for the client — forwarded. A namespace
  // inherits ip_forward from the machine's first namespace, not from dockerd's: 0 there drops it (moby#38723).
  if (ns.ipForward === false && !w.ignoreDrops) {
    w.note(() => ({ type: 'sysctl', key: 'net.ipv4.ip_forward', value: '0', result: 'dropped' }));
    return w.stopped(w.decision('sysctl', b.host.name, `${b.name} on ${b.host.name} does not forward: net.ipv4.ip_forward is 0 in it, so the task's reply, un-NATed there for the client, is dropped (a namespace copies ip_forward from the machine's first namespace when it is made, not from dockerd's: moby#38723)`, { key: 'net.ipv4.ip_forward', value: '0' }));
  }
  const out = d.entry.route.dev ?? '';
  const fwd = runHook(w, ns, 'forward', { in: iface, out });
  if (fwd.stop) return fwd.stop;
  // IPVS's reply hook on FORWARD (ip_vs_core.c ip_vs_reply4, after filter): the source back to the virtual address.
  undoNat(w, ns, 'dnat');
  return postrouting(w, b, iface, out, d, depth);
}

/**
 * IPVS at LOCAL_IN (ip_vs_remote_request4, priority NF_IP_PRI_NAT_SRC-1: after mangle and filter INPUT): the virtual
 * service the packet's mark or address takes, one of its tasks (the leg's pick), and Masq's rewrite to it, sent on
 * through LOCAL_OUT and POSTROUTING (ip_vs_xmit.c ip_vs_nat_xmit) — never FORWARD, so ip_forward does not matter here.
 */
function balance(w: Walk, b: BalancerModel, depth: number): LegResult {
  const ns = b.stack;
  const p = w.pkt;
  if (w.direction === 'reply') {
    return w.stopped(w.decision('missing-data', b.host.name, `a reply for ${addrPort(p.dst, p.dport)}, an address of ${b.name}, is not one IPVS sent: netdiag does not follow it`, { missing: 'forwarding' }));
  }
  if (!b.ipvs) {
    if (p.proto === 'icmp') return answered(w, b);
    return w.stopped(w.decision('missing-data', b.host.name, `the IPVS services of ${b.name} on ${b.host.name} were not read (this kernel may have none): netdiag cannot tell which task takes ${addrPort(p.dst, p.dport)}`, { missing: 'ipvs' }));
  }
  const vip = p.dst;
  const v = p.ctstate === 'NEW' ? virtualFor(b.ipvs, p) : null;
  if (!v) {
    // The VIP (or the gateway address) is the namespace's own: ping is answered by it; a port nothing marked is not balanced.
    if (p.proto === 'icmp') return answered(w, b);
    const service = serviceOf(b, vip, p.dport);
    const what = `${addrPort(p.dst, p.dport)}/${p.proto}${service ? ` (service ${service})` : ''}`;
    return w.stopped(w.decision('service', b.host.name, `no IPVS service of ${b.name} on ${b.host.name} takes ${what}: its mark is ${p.mark === 0 ? 'unset (moby\'s mangle rule for it is missing)' : `0x${p.mark.toString(16)}, which no service has`}, so IPVS never sees it and it is delivered to ${b.name} itself, where only dockerd's resolver listens: ${p.proto === 'tcp' ? 'the connection is refused' : 'the datagram gets ICMP port unreachable'}`, { service, namespace: b.name, virtual: null, address: addrPort(p.dst, p.dport), cause: 'not-balanced' }));
  }
  const dests = schedulable(v);
  const service = serviceOf(b, vip, p.dport);
  if (dests.length === 0) {
    const draining = v.destinations.length > 0 ? ` (${v.destinations.length} at weight 0: tasks being removed)` : '';
    return w.stopped(w.decision('service', b.host.name, `IPVS ${v.text} (${v.scheduler}) in ${b.name} on ${b.host.name}${service ? `, service ${service},` : ''} has no task to send ${addrPort(p.dst, p.dport)} to${draining}: the kernel answers ICMP port unreachable`, { service, namespace: b.name, virtual: v.text, address: addrPort(p.dst, p.dport), cause: 'no-tasks' }));
  }
  const i = Math.min(w.picks[w.balanced.length] ?? 0, dests.length - 1);
  const dest = dests[i] as (typeof dests)[number];
  w.balanced.push({ host: b.host.name, namespace: b.name, virtual: v.text, service, destinations: dests.map((x) => addrPort(x.ip, realPort(x, p.dport))), chosen: i });
  const from = { ip: p.dst, port: p.dport };
  p.dst = dest.ip;
  p.dport = realPort(dest, p.dport);
  p.ipvs = true;
  // Conntrack remembers it in this namespace (moby sets net.ipv4.vs.conntrack=1): the reply is un-NATed here.
  w.nat.push({ host: ns, kind: 'dnat', from, to: { ip: p.dst, port: p.dport } });
  w.note(() => ({ type: 'nat', kind: 'IPVS', from: addrPort(from.ip, from.port), to: addrPort(p.dst, p.dport), address: ipText(p.dst), rule: null }));
  w.note(() => ({ type: 'note', text: `IPVS ${v.text} (${v.scheduler}, ${dest.forward}) in ${b.name}${service ? ` balances service ${service}` : ''} over ${dests.length} task${dests.length === 1 ? '' : 's'} (${dests.map((x) => x.ipText).join(', ')}): this walk follows ${dest.ipText} (${i + 1} of ${dests.length}); each is walked` }));
  if (!ns.routing) return w.stopped(w.decision('missing-data', b.host.name, `the routes of ${b.name} on ${b.host.name} were not collected`, { missing: 'routes' }));
  const d = routeLookup(ns.routing, packetQuery(p, w.direction, null, p.src, true));
  if (d.kind === 'unknown') return unknownRoute(w, b.host.name, d);
  routeStep(w, d, p.dst);
  if (d.kind !== 'unicast' || !d.entry) return w.stopped(w.decision('route', b.host.name, `${b.name} on ${b.host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to task ${ipText(p.dst)}${ruleClause(d)}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  const out = d.entry.route.dev ?? '';
  // ip_vs_nat_send_or_cont re-sends it through LOCAL_OUT, then POSTROUTING. Of LOCAL_OUT, nat OUTPUT does not run
  // (the connection's destination NAT was set up at PREROUTING) and IPVS skips what it sent (skb->ipvs_property);
  // raw and mangle OUTPUT do run, but moby writes nothing there: filter OUTPUT is what is walked.
  const f = runHook(w, ns, 'output-filter', { in: null, out });
  if (f.stop) return f.stop;
  return postrouting(w, b, null, out, d, depth);
}

/** An ICMP echo for an address of the namespace (a VIP): IPVS balances no ICMP, the namespace itself answers. */
function answered(w: Walk, b: BalancerModel): LegResult {
  const p = w.pkt;
  w.note(() => ({ type: 'note', text: `${ipText(p.dst)} is an address of ${b.name}: IPVS balances only TCP, UDP and SCTP, so ${b.name} answers the ping itself, no task sees it` }));
  w.note(() => ({ type: 'deliver', to: `${b.name} on ${b.host.name}`, address: ipText(p.dst), into: { kind: 'balancer', host: b.host.name, name: b.name } }));
  return w.done('delivered', null, { kind: 'balancer', balancer: b, host: b.host });
}

/** A packet the namespace's own stack sends: the answer to a ping it took (a reply), walked out as a host's would be. */
export function fromBalancer(w: Walk, b: BalancerModel, depth: number): LegResult {
  const ns = b.stack;
  const p = w.pkt;
  w.enter('balancer', b.host.name, b.name);
  if (!ns.routing) return w.stopped(w.decision('missing-data', b.host.name, `the routes of ${b.name} on ${b.host.name} were not collected`, { missing: 'routes' }));
  const l = localLookup(ns.routing, p, w.direction, (x) => x.entry?.prefsrc ?? hostSource(ns, x.entry?.route.dev ?? null, p.family));
  const d = l.d;
  if (d.kind === 'unknown') return unknownRoute(w, b.host.name, d);
  const o = runHook(w, ns, 'output', { in: null, out: d.entry?.route.dev ?? null });
  if (o.stop) return o.stop;
  routeStep(w, d, p.dst);
  if (d.kind !== 'unicast' || !d.entry) return w.stopped(w.decision('route', b.host.name, `${b.name} on ${b.host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${ipText(p.dst)}${ruleClause(d)}`, { dst: ipText(p.dst), result: routeFailure(d) }));
  const out = d.entry.route.dev ?? '';
  const f = runHook(w, ns, 'output-filter', { in: null, out });
  if (f.stop) return f.stop;
  return postrouting(w, b, null, out, d, depth);
}

/** POSTROUTING in the namespace (moby's `-m ipvs --ipvs -d <subnet> -j SNAT`), then out of it. */
function postrouting(w: Walk, b: BalancerModel, inIface: string | null, out: string, d: RouteDecision, depth: number): LegResult {
  const r = runHook(w, b.stack, 'postrouting', { in: inIface, out, prefsrc: d.entry?.prefsrc ?? null });
  if (r.stop) return r.stop;
  w.pkt.ipvs = false;
  return leave(w, b, out, d.entry?.gateway ?? w.pkt.dst, depth);
}

/**
 * Out of the namespace by `dev`: a veth into a bridge of the node (ingress_sbox's eth1 on docker_gwbridge), or its
 * interface on its overlay network, a port of that network's bridge in the overlay's own namespace (overlay.ts).
 */
function leave(w: Walk, b: BalancerModel, dev: string, nextHop: Ip, depth: number): LegResult {
  const port = b.bridgePorts.get(dev);
  if (port) return w.onBridge(b.host, port.bridge, port.veth, nextHop, depth);
  const o = b.networkId ? b.host.overlays.get(b.networkId) : undefined;
  if (o) return w.onOverlay(b.host, o, overlayPeer(b, o, dev), nextHop, depth);
  return w.stopped(w.decision('missing-data', b.host.name, `${ipText(nextHop)} is reached from ${b.name} over ${dev}, which netdiag cannot place on a bridge or an overlay network of ${b.host.name}`, { missing: 'attachment', iface: dev }));
}

/** The port of the overlay's bridge that is `dev`'s veth peer (both ends name each other's ifindex); else `dev` itself, named. */
function overlayPeer(b: BalancerModel, o: OverlayModel, dev: string): string {
  const mine = b.stack.interfaces.get(dev);
  const peer = o.ns?.interfaces.find((i) => mine !== undefined && i.ifindex === mine.peer?.ifindex && i.peer?.ifindex === mine.ifindex);
  return peer?.name ?? `${b.name}:${dev}`;
}
