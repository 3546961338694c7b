// Bridged segments: bridges of hosts in view that each have a port off the host (eth1 enslaved to docker0) and share
// a subnet are taken to be one segment — the operators' bridged two-host recipe; who is across one, and what both own.
import { cidrsOverlap, isLinkLocal6 } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import { networksOf } from './route-lookup.js';
import type { Endpoint, HostModel, World } from './types.js';

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

