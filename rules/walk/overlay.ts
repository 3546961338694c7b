// A swarm overlay network: a frame on the network's bridge in its own namespace reaches a local container's port, or
// is wrapped in VXLAN (UDP to the peer node's data-path address, walked through both nodes' own routes and rules),
// unwrapped into the same network's namespace on that node, and bridged to the container there.
import { familyOf, ipText, isUnspecified, unspecified } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { Packet } from '../iptables/packet.js';
import { bridgeAddresses } from '../model/overlay.js';
import type { OverlayModel } from '../model/overlay.js';
import type { HostModel } from '../model/types.js';
import type { Decision } from '../../snapshot/contract.js';
import type { LegResult } from './leg.js';
import type { Arrival, Walk } from './moves.js';

/** The UDP source port of the outer packet: the kernel hashes the inner flow into its ephemeral range (vxlan_src_port). */
const OUTER_SPORT = 45000;

/** Rules inside the network's namespace: Docker writes none there (IPVS's live in the containers' and lb_ namespaces). */
function namespaceRules(o: OverlayModel): string | null {
  const ipt = (o.ns?.firewall ?? []).flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => `${t.name}: ${r.text}`)));
  if (ipt.length > 0) return ipt[0] as string;
  const nft = o.ns?.nft?.rules ?? [];
  return nft.length > 0 ? `${nft[0]?.family} ${nft[0]?.table} ${nft[0]?.chain} (handle ${nft[0]?.handle})` : null;
}

/** A frame on overlay `o`'s bridge on `host` (from a container's port, or unwrapped off the VXLAN device), for `nextHop`. */
export function onOverlay(w: Walk, host: HostModel, o: OverlayModel, fromPort: string, nextHop: Ip, depth: number, arrived: Arrival | null = null): LegResult {
  w.enter('overlay', host.name, o.name);
  // What an overlay does with an address is its entries', which no host's address signature holds: never shared.
  w.beyond = true;
  if (arrived) w.note(() => ({ type: 'vxlan', op: 'decapsulate', network: o.name, vni: o.vni, inner: ipText(w.pkt.dst), outer: { src: arrived.src, dst: arrived.dst, port: o.port } }));
  if (!o.ns) {
    const missing = host.snapshot.swarm === null ? 'the snapshot has no swarm part (taken before netdiag read swarm mode, or the node left the swarm)' : `its namespace (1-${o.id.slice(0, 10)}) was not found under Docker's netns directory`;
    return w.stopped(w.decision('overlay', host.name, `netdiag cannot follow ${ipText(nextHop)} on overlay ${o.name} on ${host.name}: ${missing}`, { network: o.name, vni: o.vni, address: ipText(nextHop), vtep: null, cause: 'no-namespace' }));
  }
  const rule = namespaceRules(o);
  if (rule) return w.stopped(w.decision('unknown-rule', host.name, `overlay ${o.name}'s namespace on ${host.name} has rules netdiag does not evaluate there (${rule})`, { text: rule }));
  const bridge = o.bridge?.name ?? 'br0';
  const local = o.endpoints.find((e) => e.ip === nextHop);
  if (local) {
    w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${local.container.name} ${local.ipText}`, result: 'bridged', brNetfilter: null, nextHop: local.ipText, toPort: null, reaches: { kind: 'container', host: host.name, name: local.container.name } }));
    return w.intoContainer(local);
  }
  if (bridgeAddresses(o).includes(nextHop)) {
    return w.stopped(w.decision('missing-data', host.name, `${ipText(nextHop)} is overlay ${o.name}'s bridge address in its namespace on ${host.name}; netdiag does not model that namespace's own stack`, { missing: 'forwarding' }));
  }
  // Frames from the wire are never sent back out of it: a frame unwrapped here for an address not on this node stops.
  if (arrived) return stalePeer(w, host, o, nextHop);
  return encapsulate(w, host, o, fromPort, nextHop, depth);
}

/**
 * Off this node: the VXLAN device answers ARP for `nextHop` from its neighbour entries (`proxy`) and sends the frame
 * to the node its forwarding entry names, as UDP from this node's own stack (the device's socket is in the host's
 * namespace): OUTPUT, the route to the peer, POSTROUTING, the LAN, then the peer's PREROUTING and INPUT.
 */
function encapsulate(w: Walk, host: HostModel, o: OverlayModel, fromPort: string, nextHop: Ip, depth: number): LegResult {
  const dev = o.vxlan?.name ?? 'vxlan0';
  const mac = o.neighbours.get(nextHop);
  const vtep = mac ? o.fdb.get(mac) : undefined;
  if (!mac || vtep === undefined) {
    w.note(() => ({ type: 'bridge', bridge: o.bridge?.name ?? 'br0', from: fromPort, to: ipText(nextHop), result: 'no-neighbour', brNetfilter: null, nextHop: ipText(nextHop), toPort: null, reaches: null }));
    const what = mac ? `a neighbour entry (${mac}) but no forwarding entry with a peer for it` : 'no neighbour entry';
    return w.stopped(w.decision('overlay', host.name, `overlay ${o.name}'s ${dev} on ${host.name} has ${what} for ${ipText(nextHop)}: NetworkDB has not told this node where that endpoint is, so nothing answers ${w.resolver} for it`, { network: o.name, vni: o.vni, address: ipText(nextHop), vtep: null, cause: 'no-peer' }));
  }
  if (o.encrypted) {
    return w.stopped(w.decision('overlay', host.name, `overlay ${o.name} is encrypted: its VXLAN packets to ${ipText(vtep)} are carried in IPsec (ESP), which netdiag does not evaluate`, { network: o.name, vni: o.vni, address: ipText(nextHop), vtep: ipText(vtep), cause: 'encrypted' }));
  }
  // Its VXLAN header carries the VNI: moby's encrypted-overlay rules (mangle OUTPUT, filter INPUT) match it.
  const outer: Packet = { ...outerPacket(vtep, o.port), vni: o.vni };
  w.note(() => ({ type: 'bridge', bridge: o.bridge?.name ?? 'br0', from: fromPort, to: `${dev} (${mac} at ${ipText(vtep)})`, result: 'bridged', brNetfilter: null, nextHop: ipText(nextHop), toPort: dev, reaches: null }));
  w.note(() => ({ type: 'vxlan', op: 'encapsulate', network: o.name, vni: o.vni, inner: ipText(w.pkt.dst), outer: { src: null, dst: ipText(vtep), port: o.port } }));
  const r = w.tunnel(host, outer, depth);
  const tunnel = { network: o.name, vni: o.vni, src: isUnspecified(outer.src) ? null : ipText(outer.src), dst: ipText(vtep), port: o.port };
  // The outer source is the sending node's route's choice, known once its leg has looked the route up.
  const wrapped = w.steps.findLast((s) => s.type === 'vxlan');
  if (wrapped?.type === 'vxlan') wrapped.outer.src = tunnel.src;
  if (r.outcome !== 'delivered' || !r.landing || r.landing.kind !== 'host') {
    const d: Decision = r.decidedBy ? { ...r.decidedBy, direction: w.direction, tunnel, reason: `the VXLAN packet carrying it (udp ${ipText(outer.src)} → ${ipText(vtep)}:${o.port}): ${r.decidedBy.reason}` } : w.decision('exit', host.name, `the VXLAN packet to ${ipText(vtep)} went nowhere netdiag can follow`, { ifaces: [], nextHop: ipText(vtep) });
    return r.outcome === 'unknown' ? w.done('unknown', d, null) : w.stopped(d);
  }
  const peer = r.landing.host;
  const arrived = { src: tunnel.src, dst: tunnel.dst };
  const there = peer.overlays.get(o.id);
  if (there) return onOverlay(w, peer, there, there.vxlan?.name ?? 'vxlan0', nextHop, depth + 1, arrived);
  // A node whose swarm part was not read cannot be told apart from one without the network.
  if (peer.snapshot.swarm === null) return onOverlay(w, peer, { ...o, ns: null, endpoints: [] }, 'vxlan0', nextHop, depth + 1, arrived);
  w.enter('overlay', peer.name, o.name);
  return w.stopped(w.decision('overlay', peer.name, `${o.name}'s entry on ${host.name} sends ${ipText(nextHop)} to ${ipText(vtep)}, but ${peer.name} has no namespace for ${o.name} (VNI ${o.vni ?? '?'}): the packet is dropped there — a stale NetworkDB entry`, { network: o.name, vni: o.vni, address: ipText(nextHop), vtep: ipText(vtep), cause: 'stale-peer' }));
}

/** A frame unwrapped on a node that does not hold its address: the bridge floods it and no port takes it. */
function stalePeer(w: Walk, host: HostModel, o: OverlayModel, nextHop: Ip): LegResult {
  w.note(() => ({ type: 'bridge', bridge: o.bridge?.name ?? 'br0', from: o.vxlan?.name ?? 'vxlan0', to: ipText(nextHop), result: 'no-neighbour', brNetfilter: null, nextHop: ipText(nextHop), toPort: null, reaches: null }));
  return w.stopped(w.decision('overlay', host.name, `the frame for ${ipText(nextHop)} arrives at ${host.name}, where no endpoint of ${o.name} has that address: the sender's entry for it is stale (NetworkDB still places it on this node)`, { network: o.name, vni: o.vni, address: ipText(nextHop), vtep: null, cause: 'stale-peer' }));
}

/**
 * The VXLAN packet carrying the frame: UDP to the peer's data-path address and port, from an address the sending
 * node's route picks. Every VXLAN packet is a datagram of its own to the peer's socket: NEW to conntrack, in both
 * directions (the source port is a hash of the inner flow, so a reply's outer packet is not the reverse of this one).
 */
function outerPacket(vtep: Ip, port: number): Packet {
  const family = familyOf(vtep);
  return {
    family,
    src: unspecified(family),
    dst: vtep,
    proto: 'udp',
    sport: OUTER_SPORT,
    dport: port,
    icmpType: null,
    icmpCode: null,
    inIface: null,
    outIface: null,
    physIn: null,
    physOut: null,
    bridged: false,
    ctstate: 'NEW',
    origDst: vtep,
    origDport: port,
    origSrc: unspecified(family),
    // The frame crossed from the container's namespace into the overlay's (a veth scrubs the mark): none is left.
    mark: 0,
  };
}
