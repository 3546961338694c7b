// The LAN: who in view holds an address on an interface that is not a bridge (a host's NIC, a macvlan or ipvlan child
// of one), and a packet leaving a host (or a child of one of its NICs) to one of them.
import { inCidr, ipText, networkOf } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { childText, routedByHost, vlanOf } from '../model/lower.js';
import type { LowerChild } from '../model/lower.js';
import type { HostModel, World } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { lowerDecision } from './lower-decision.js';
import { onLink } from '../model/route-lookup.js';

export interface LanHolder {
  host: HostModel;
  /** The host's interface the frame arrives on: its own NIC, or the parent of the child that holds the address. */
  iface: string;
  /** The macvlan or ipvlan child that holds it (a container's, or the host's own shim); absent for a plain NIC. */
  child?: LowerChild;
}

// Built once per world: asking every host at every egress made a 500-host plan's prediction grow with hosts³.
const byWorld = new WeakMap<World, Map<Ip, LanHolder[]>>();

/** The hosts holding `ip` on a non-bridge interface or a child of one, in the world's order of hosts. */
export function holdersOf(world: World, ip: Ip): LanHolder[] {
  let index = byWorld.get(world);
  if (!index) {
    index = new Map();
    const add = (addr: Ip, h: LanHolder) => {
      const list = index!.get(addr);
      if (list) list.push(h);
      else index!.set(addr, [h]);
    };
    for (const host of world.hosts) {
      const hostChild = new Map<string, LowerChild>();
      for (const children of host.children.values()) {
        for (const c of children) {
          if (c.who.kind === 'host') hostChild.set(`${c.who.iface}/${c.ip}`, c);
          else add(c.ip, { host, iface: c.parent, child: c });
        }
      }
      for (const [addr, iface] of host.localAddrs) {
        if (host.interfaces.get(iface)?.kind === 'bridge') continue;
        const child = hostChild.get(`${iface}/${addr}`);
        add(addr, child ? { host, iface, child } : { host, iface });
      }
    }
    byWorld.set(world, index);
  }
  return index.get(ip) ?? [];
}

/** Whether the sender on `out` (or its child `from`) has `ip` on one of its subnets: a neighbour on that segment. */
function neighbourOf(host: HostModel, out: string, ip: Ip, from: LowerChild | null): boolean {
  if (onLink(host.interfaces.get(out)?.addresses ?? [], ip)) return true;
  if (from?.who.kind === 'container') {
    const ep = from.who.endpoint;
    return typeof ep.ip === typeof ip && inCidr(ip, { addr: networkOf(ep.ip, ep.prefixLen), bits: ep.prefixLen });
  }
  // A shim carries a /32 and a route to its children's range: the parent's subnet is the segment's.
  return from !== null && onLink(host.interfaces.get(from.parent)?.addresses ?? [], ip);
}

/**
 * A packet leaves `host` on `out` (not a bridge; a child `from` sends through its parent `out`) for `nextHop`: into
 * another host in view on that segment, into a macvlan or ipvlan child there, or out of view.
 */
export function overLan(w: Walk, host: HostModel, out: string, nextHop: Ip, depth: number, from: LowerChild | null = null): LegResult {
  w.beyond = true;
  const vlan = vlanOf(host, out);
  for (const holder of holdersOf(w.world, nextHop)) {
    const { host: other, iface: on, child } = holder;
    if (other === host) {
      // The host's own frames on a parent never come back up into its children; a child's never into its parent's stack.
      if (child && child.parent === out && !from) return lowerDecision(w, host, child, 'host-isolation', `${host.name} sends for ${ipText(nextHop)} out of ${out}, but ${childText(child, host)} holds it: a parent's children get only what arrives from the wire or from a sibling, and the switch does not send a frame back out of the port it came in by (the way round is a ${child.driver} interface of ${host.name} on ${out}, a shim)`);
      if (from && on === out && !child) return lowerDecision(w, host, from, 'host-isolation', `${childText(from, host)} cannot reach ${host.name}'s own ${ipText(nextHop)} on its parent ${out}: what a child sends goes out onto the wire, never up into its parent's stack (the way round is a ${from.driver} interface of ${host.name} on ${out}, a shim)`);
      continue;
    }
    if (!neighbourOf(host, out, nextHop, from)) continue;
    // Two tagged interfaces with different 802.1q tags are on different VLANs, whatever their subnets say.
    const theirs = vlanOf(other, child?.parent ?? on);
    if (vlan !== null && theirs !== null && vlan !== theirs) continue;
    w.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop), toHost: other.name }));
    const key = `${other.name}/${w.pkt.dst}`;
    if (w.visited.has(key)) return w.done('unknown', w.decision('route', host.name, 'the path loops between hosts', { dst: ipText(w.pkt.dst), result: 'loop' }), null);
    w.visited.add(key);
    if (child) {
      // An l3/l3s port answers no ARP or NDP for its children: only a packet routed to the host's address gets there.
      if (routedByHost(child) && child.who.kind === 'container') return lowerDecision(w, other, child, 'no-arp', `${childText(child, other)} is an ipvlan ${child.mode} child: nothing answers ${w.resolver} for ${ipText(nextHop)} on the segment; the sender needs a route to it via ${other.name}'s address`);
      return w.intoChild(other, child, depth + 1);
    }
    const passthru = other.children.get(on)?.find((c) => c.mode === 'passthru');
    if (passthru) return lowerDecision(w, other, passthru, 'passthru', `${other.name}'s ${on} has a passthru child (${childText(passthru, other)}), which takes every frame ${on} receives: ${other.name}'s own ${ipText(nextHop)} there gets none`);
    return w.hostIn(other, on, depth + 1);
  }
  w.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop), toHost: null }));
  return w.stopped(w.decision('exit', host.name, `the packet leaves ${host.name} on ${out} towards ${ipText(nextHop)}, outside the hosts in view`, { ifaces: [out], nextHop: ipText(nextHop) }));
}
