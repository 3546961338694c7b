// A parent interface and its macvlan and ipvlan children (the kernel's drivers/net/macvlan.c and drivers/net/ipvlan/):
// a child's frame goes to a sibling inside the host or out of the parent onto its segment, never through a bridge or
// the host's FORWARD; a frame from the wire is handed to the child it is for; the host's own frames on the parent never
// reach its children. ipvlan l3 and l3s children are routed by the host's stack instead.
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { childText, containerChild, routedByHost } from '../model/lower.js';
import { lowerDecision } from './lower-decision.js';
import type { LowerChild } from '../model/lower.js';
import type { ContainerModel, Endpoint, HostModel } from '../model/types.js';
import { runHook, unevaluatedIngress } from './hooks.js';
import { overLan } from './lan.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

/** The parent cannot carry anything: down, or not there. */
function parentUnusable(w: Walk, host: HostModel, c: LowerChild): LegResult | null {
  const parent = host.interfaces.get(c.parent);
  if (!parent) {
    if (!host.snapshot.links) return w.stopped(w.decision('missing-data', host.name, `the links of ${host.name} were not collected: netdiag cannot tell where ${c.parent} leads`, { missing: 'links' }));
    return w.stopped(w.decision('missing-data', host.name, `${childText(c, host)} hangs off ${c.parent}, which is not among ${host.name}'s interfaces`, { missing: 'attachment', iface: c.parent }));
  }
  // A stacked device follows its lower device's carrier: a child of a parent that is down sends and receives nothing.
  if (!parent.up || !parent.lowerUp) {
    return lowerDecision(w, host, c, 'parent-down', `${host.name}'s ${c.parent}, the parent of ${childText(c, host)}, is ${parent.up ? 'up but has no carrier (LOWER_UP is off)' : 'down'}: nothing goes out or comes in through its children`);
  }
  return null;
}

/** A container's packet leaves by `dev`, which is on no bridge: a macvlan or ipvlan child of a parent, or unknown. */
export function onParent(w: Walk, c: ContainerModel, ep: Endpoint | null, dev: string | null, nextHop: Ip, depth: number): LegResult {
  const child = ep ? containerChild(ep) : null;
  if (!child) {
    const iface = ep?.iface ?? dev;
    return w.stopped(w.decision('missing-data', c.host.name, `container ${c.name}'s ${dev} is not attached to a bridge or a parent netdiag can see`, iface === null ? { missing: 'attachment' } : { missing: 'attachment', iface }));
  }
  return fromChild(w, c.host, child, nextHop, depth);
}

/** Whether two children are the same interface (a container's two addresses on one child are not siblings). */
const sameInterface = (a: LowerChild, b: LowerChild) =>
  a.who.kind === 'container' && b.who.kind === 'container' ? a.who.endpoint.container.netnsOwnerId === b.who.endpoint.container.netnsOwnerId && a.who.endpoint.iface === b.who.endpoint.iface : a.who.kind === 'host' && b.who.kind === 'host' && a.who.iface === b.who.iface;

/** A packet sent by a child (a container's, or the host's own shim) towards `nextHop`. */
export function fromChild(w: Walk, host: HostModel, child: LowerChild, nextHop: Ip, depth: number): LegResult {
  const unusable = parentUnusable(w, host, child);
  if (unusable) return unusable;
  const p = w.pkt;
  // l3/l3s: the port looks the destination address up among its children first (ipvlan_xmit_mode_l3), then routes.
  const l3 = routedByHost(child);
  const target = l3 ? p.dst : nextHop;
  const sibling = (host.children.get(child.parent) ?? []).find((s) => s.ip === target && !sameInterface(s, child));
  if (sibling) return toSibling(w, host, child, sibling, depth);
  const flux = arpAnswerer(host, child, nextHop, p.family);
  if (flux) {
    w.note(() => ({ type: 'note', text: `${ipText(nextHop)} is ${host.name}'s own, and ${host.name} answers ARP for any of its addresses on any interface (arp_ignore 0): ${childText(flux, host)} answers it` }));
    return toSibling(w, host, child, flux, depth);
  }
  if (l3) {
    w.note(() => ({ type: 'note', text: `${childText(child, host)} is an ipvlan ${child.mode} child: ${host.name}'s own stack routes what it sends (${host.name}'s routes, OUTPUT and POSTROUTING), not its bridge` }));
    return w.fromHost(host, depth);
  }
  const parent = host.interfaces.get(child.parent);
  // Docker gives a macvlan or ipvlan network without -o parent (or --internal) a dummy parent: its xmit drops all.
  if (parent?.kind === 'dummy') {
    return lowerDecision(w, host, child, 'dummy-parent', `${childText(child, host)} hangs off ${child.parent}, a dummy device (Docker's parent for a network with no -o parent, or --internal): nothing beyond its own children is reachable`);
  }
  w.note(() => ({ type: 'note', text: `${childText(child, host)} sends out of ${host.name}'s ${child.parent} onto its segment, with its own ${child.driver === 'macvlan' ? 'MAC address' : 'address (and the parent\'s MAC)'}: no bridge and none of ${host.name}'s netfilter on the way` }));
  return overLan(w, host, child.parent, nextHop, depth, child);
}

/**
 * The host's own child (a shim) on the same parent that answers ARP for `nextHop`, another address of the host's:
 * with arp_ignore 0 (the kernel's default) Linux answers for any local address on any interface, so a shim takes what
 * children send to the host's address on the parent. IPv6 neighbour discovery answers per interface: never for IPv6.
 */
function arpAnswerer(host: HostModel, child: LowerChild, nextHop: Ip, family: 4 | 6): LowerChild | null {
  if (family !== 4 || !host.localAddrs.has(nextHop)) return null;
  const ignore = host.snapshot.sysctls?.values['net.ipv4.conf.all.arp_ignore'];
  if (ignore !== undefined && ignore !== null && ignore !== '0') return null;
  return (host.children.get(child.parent) ?? []).find((s) => s.who.kind === 'host' && s.driver === child.driver && !sameInterface(s, child)) ?? null;
}

/**
 * How the kernel passes a frame between two children of one parent: `bridge` directly, `private` never, `vepa` out to
 * the switch; null when a mode is not known. macvlan: directly only when both are in bridge mode (macvlan_queue_xmit),
 * never when either is private; ipvlan: the port's flag decides for all its children.
 */
function betweenSiblings(from: LowerChild, to: LowerChild): 'bridge' | 'private' | 'vepa' | null {
  if (from.driver === 'ipvlan') return from.flag;
  if (from.mode === 'bridge' && to.mode === 'bridge') return 'bridge';
  if (from.mode === 'private' || to.mode === 'private') return 'private';
  return from.mode && to.mode ? 'vepa' : null;
}

/** Two children of one parent: the kernel switches between them by mode, or sends the frame out to the switch. */
function toSibling(w: Walk, host: HostModel, from: LowerChild, to: LowerChild, depth: number): LegResult {
  const a = childText(from, host);
  const b = childText(to, host);
  const mode = betweenSiblings(from, to);
  if (mode === null) return w.stopped(w.decision('missing-data', host.name, `the mode of ${from.mode ? b : a} is not known: netdiag cannot tell whether two children of ${from.parent} reach each other`, { missing: 'attachment', iface: from.parent }));
  if (mode === 'private') return lowerDecision(w, host, from, 'private', `${a} and ${b} are children of ${host.name}'s ${from.parent}, and one of them is private: the kernel never passes frames between them, even through a switch that reflects them`);
  if (mode === 'vepa') return lowerDecision(w, host, from, 'hairpin', `${a} sends a frame for ${b} out of ${from.parent} to the switch (VEPA): it comes back only if the switch port reflects frames (hairpin, 802.1Qbg), which netdiag cannot see`);
  w.note(() => ({ type: 'note', text: `${a} and ${b} are children of ${host.name}'s ${from.parent} in bridge mode: the frame goes from one to the other inside ${host.name}, not onto the wire, not through a bridge or ${host.name}'s netfilter` }));
  return arrive(w, host, to, depth);
}

/** A frame handed to a child: a container's namespace, or the host's stack on its own child interface. */
function arrive(w: Walk, host: HostModel, to: LowerChild, depth: number): LegResult {
  if (to.who.kind === 'host') return w.hostIn(host, to.who.iface, depth);
  const ep = to.who.endpoint;
  if (!ep.observed) return w.stopped(w.decision('missing-data', host.name, `${ep.container.name}'s namespace was not read (${ep.container.unread}): netdiag cannot tell whether ${ep.ipText} answers there`, { missing: 'namespace' }));
  return w.intoContainer(ep);
}

/** A frame from the wire reaches `host`'s parent for one of its children (by MAC; an ipvlan port by address). */
export function intoChild(w: Walk, host: HostModel, child: LowerChild, depth: number): LegResult {
  const unusable = parentUnusable(w, host, child);
  if (unusable) return unusable;
  // A netdev ingress chain sees the frame first (on a parent: before the port hands it to a child).
  const ingress = unevaluatedIngress(w, host);
  if (ingress) return ingress;
  if (child.driver === 'ipvlan' && child.mode === 'l3s' && child.who.kind === 'container') {
    // l3s hands the packet through the parent's namespace's PREROUTING and INPUT (l3mdev): conntrack sees both ways.
    w.enter('host', host.name, host.name);
    w.note(() => ({ type: 'note', text: `${host.name}'s ${child.parent} has ${childText(child, host)}: an l3s port passes it through ${host.name}'s PREROUTING and INPUT first` }));
    for (const point of ['prerouting', 'input'] as const) {
      const r = runHook(w, host, point, { in: child.parent, out: null });
      if (r.stop) return r.stop;
    }
  } else {
    w.note(() => ({ type: 'note', text: `${host.name}'s ${child.parent} hands the frame for ${ipText(child.ip)} to ${childText(child, host)}: ${host.name}'s bridge and netfilter are not crossed` }));
  }
  return arrive(w, host, child, depth);
}
