// Bridge ports that are not containers' veths (eth1 enslaved to docker0) lead off the host, onto a segment where
// another host in view may have bridged a port of its own — the operators' bridged two-host recipe. Bridges whose
// addresses share a subnet, each with such a port, are taken to be one segment. A frame crosses to the container there.
import { hostVethOf } from '../model/attachment.js';
import { cidrsOverlap, ipText, isLinkLocal6 } from '../addr/addr.js';
import { networksOf } from './routing.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { Endpoint, HostModel, World } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

function bridgeNets(host: HostModel, bridge: string): Cidr[] {
  // Every bridge has fe80::/64: link-local prefixes say nothing about which segment a bridge is on.
  return networksOf(host.interfaces.get(bridge)?.addresses ?? []).filter((c) => !isLinkLocal6(c.addr));
}

export interface SegmentPeer {
  host: HostModel;
  bridge: string;
  /** The peer's port onto the segment. */
  port: string;
}

/** Other hosts' bridges on the segment behind `bridge`'s foreign ports. */
export function segmentPeers(world: World, host: HostModel, bridge: string): SegmentPeer[] {
  if (!(host.foreignPorts.get(bridge)?.length)) return [];
  const nets = bridgeNets(host, bridge);
  const out: SegmentPeer[] = [];
  for (const other of world.hosts) {
    if (other === host) continue;
    for (const [b, ports] of other.foreignPorts) {
      if (ports.length === 0 || !bridgeNets(other, b).some((n) => nets.some((m) => cidrsOverlap(n, m)))) continue;
      out.push({ host: other, bridge: b, port: ports[0] as string });
    }
  }
  return out;
}

/** A container endpoint with `ip` on a bridge across the segment, with the peer it sits behind. */
export function acrossSegment(world: World, host: HostModel, bridge: string, ip: Ip): { peer: SegmentPeer; target: Endpoint } | null {
  for (const peer of segmentPeers(world, host, bridge)) {
    const target = peer.host.endpointsOnBridge.get(peer.bridge)?.find((e) => e.ip === ip);
    if (target) return { peer, target };
  }
  return null;
}

/** Addresses both bridges own: the recipe's pitfall, one gateway address answered by two hosts. */
export function sharedAddresses(a: HostModel, aBridge: string, b: HostModel, bBridge: string): string[] {
  const theirs = new Set((b.interfaces.get(bBridge)?.addresses ?? []).filter((x) => x.family === 'inet').map((x) => x.local));
  return (a.interfaces.get(aBridge)?.addresses ?? []).filter((x) => x.family === 'inet' && theirs.has(x.local)).map((x) => x.local);
}

/**
 * A frame for `nextHop` leaves `bridge` by its port `out` onto the segment, to the container across it that holds
 * the address; null when no host in view has it there.
 */
export function overSegment(w: Walk, host: HostModel, bridge: string, fromPort: string, out: string, nextHop: Ip): LegResult | null {
  const across = acrossSegment(w.world, host, bridge, nextHop);
  if (!across) return null;
  const { peer, target } = across;
  const key = `${peer.host.name}/${peer.bridge}/${nextHop}`;
  if (w.visited.has(key)) return w.done('unknown', w.decision('route', host.name, 'the path loops between bridged hosts', { dst: ipText(w.pkt.dst), result: 'loop' }), null);
  w.visited.add(key);
  w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${out} → ${peer.host.name}'s ${peer.bridge} (the same segment)`, result: 'bridged', brNetfilter: w.brNetfilter(host), nextHop: ipText(nextHop), toPort: out, reaches: { kind: 'segment', host: peer.host.name, name: peer.bridge } }));
  const twice = sharedAddresses(host, bridge, peer.host, peer.bridge);
  if (twice.length > 0) w.note(() => ({ type: 'note', text: `both ${host.name}'s ${bridge} and ${peer.host.name}'s ${peer.bridge} own ${twice.join(', ')}: on this segment the containers' gateway answers from either host (see netdiag doctor)` }));
  const leaving = fromPort === 'host' ? null : w.bridged(host, bridge, fromPort, out);
  if (leaving) return leaving;
  w.enter('segment', peer.host.name, peer.bridge);
  w.note(() => ({ type: 'bridge', bridge: peer.bridge, from: peer.port, to: `${target.container.name} ${target.ipText} (${hostVethOf(target.attachment)})`, result: 'bridged', brNetfilter: w.brNetfilter(peer.host), nextHop: target.ipText, toPort: hostVethOf(target.attachment), reaches: { kind: 'container', host: peer.host.name, name: target.container.name } }));
  const arriving = w.bridged(peer.host, peer.bridge, peer.port, hostVethOf(target.attachment));
  if (arriving) return arriving;
  return w.intoContainer(target);
}
