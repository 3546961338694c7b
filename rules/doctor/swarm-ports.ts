// Doctor: the ports swarm mode needs between its nodes (2377/tcp to managers, 7946/tcp+udp gossip, the data-path
// port, udp 4789 by default), each evaluated through a node's own PREROUTING and INPUT (iptables and native nft tables
// alike) for a packet from each peer: a closed one is named with the rule or policy that drops it and the peer it cuts off.
import type { Flow, Decision } from '../../snapshot/contract.js';
import type { SwarmPart } from '../../snapshot/host-snapshot.js';
import { ipText, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel, World } from '../model/types.js';
import { routeLookup } from '../model/route-lookup.js';
import { newPacket } from '../walk/leg.js';
import { Walker } from '../walk/walker.js';
import { runHook } from '../walk/hooks.js';
import type { Finding } from './finding.js';

export const SWARM_PORT_CLOSED = 'swarm-port-closed';

/** What one of swarm's ports carries, as moby's docs name them. */
export type SwarmPortUse = 'cluster management' | 'node gossip' | 'overlay data path';

export interface SwarmPort {
  proto: 'tcp' | 'udp';
  port: number;
  use: SwarmPortUse;
}

/** A swarm node as another sees it: in view (a host), or only an address known from the swarm's own lists. */
export interface SwarmPeer {
  name: string;
  /** Where its control traffic (2377, 7946) comes from. */
  nodeAddr: Ip;
  /** Where its VXLAN packets come from. */
  dataPathAddr: Ip;
  host: HostModel | null;
  /** For a peer not in view: where its address was read, and what is assumed of it. */
  assumed: string | null;
}

/** One port of a node that drops what a peer sends it. */
export interface SwarmPortDrop {
  host: HostModel;
  peer: SwarmPeer;
  port: SwarmPort;
  /** The peer's address the packet comes from (its data-path address for the data path), and the node's it is sent to. */
  from: Ip;
  to: Ip;
  /** The interface it arrives on (the node's route back to the peer). */
  iface: string | null;
  /** For the data path: the overlay whose VNI the dropped packet carried (null: no overlay known on the node). */
  vni: { vni: number; network: string } | null;
  /** The hook it was dropped at. */
  hook: 'prerouting' | 'input';
  decidedBy: Decision;
}

const active = (s: SwarmPart | null | undefined): s is SwarmPart => !!s && s.state === 'active';

/** Swarm nodes in view: hosts whose Docker is an active swarm node. */
export function swarmHosts(world: World): HostModel[] {
  return world.hosts.filter((h) => active(h.snapshot.swarm));
}

/** The ports a node must accept from its peers: 2377 only on managers (workers never listen on it). */
export function swarmPorts(s: SwarmPart): SwarmPort[] {
  return [
    ...(s.manager ? [{ proto: 'tcp' as const, port: 2377, use: 'cluster management' as const }] : []),
    { proto: 'tcp', port: 7946, use: 'node gossip' },
    { proto: 'udp', port: 7946, use: 'node gossip' },
    { proto: 'udp', port: s.dataPathPort, use: 'overlay data path' },
  ];
}

const ip = (t: string | null | undefined): Ip | null => (t ? parseIp(t) : null);

/** A node's control and data-path addresses (the data path falls back to the advertise address, as dockerd's does). */
export function nodeAddrs(s: SwarmPart): { node: Ip | null; data: Ip | null } {
  const node = ip(s.nodeAddr);
  return { node, data: ip(s.dataPathAddr) ?? node };
}

/**
 * `h`'s peers: the other swarm nodes in view, and the addresses its own swarm lists name that are no host in view
 * (its managers' advertise addresses, the nodes NetworkDB says hold endpoints of its overlays).
 */
export function swarmPeers(world: World, h: HostModel): SwarmPeer[] {
  const mine = h.snapshot.swarm as SwarmPart;
  const out: SwarmPeer[] = [];
  const known = new Set<Ip>();
  for (const o of swarmHosts(world)) {
    const s = o.snapshot.swarm as SwarmPart;
    const { node, data } = nodeAddrs(s);
    for (const a of o.localAddrs.keys()) known.add(a);
    if (o === h || s.nodeId === mine.nodeId || node === null || data === null) continue;
    out.push({ name: o.name, nodeAddr: node, dataPathAddr: data, host: o, assumed: null });
  }
  for (const a of h.localAddrs.keys()) known.add(a);
  const outside = (a: Ip | null, name: string, where: string, what: string) => {
    if (a === null || known.has(a)) return;
    known.add(a);
    out.push({ name, nodeAddr: a, dataPathAddr: a, host: null, assumed: `${name} is not in view: its address ${ipText(a)} is read from ${h.name}'s ${where}, and taken as ${what}` });
  };
  for (const m of mine.managers) outside(ip(m.addr.replace(/:\d+$/, '')), `manager ${m.nodeId.slice(0, 12)}`, 'list of managers', 'both its advertise and its data-path address');
  for (const n of mine.networks) for (const p of n.peers) outside(ip(p.ip), `node ${p.name}`, `NetworkDB peers of ${n.name}`, 'both its data-path and its advertise address');
  return out;
}

/**
 * What `h`'s PREROUTING and INPUT do with one packet from `src` to its own `to`: the deciding drop, or null when it
 * passes. The packet arrives on the interface of `h`'s route back to `src` (the path is taken as symmetric).
 */
export function inputDecision(world: World, h: HostModel, src: Ip, to: Ip, p: SwarmPort, vni: number | null = null): { decidedBy: Decision | null; iface: string | null; hook: 'prerouting' | 'input' } {
  const back = h.routing ? routeLookup(h.routing, { dst: src, src: null, iif: null, mark: 0, proto: p.proto === 'tcp' ? 6 : 17, sport: 0, dport: 0, ephemeral: null }) : null;
  const iface = back?.entry?.route.dev ?? null;
  const flow: Flow = { proto: p.proto, port: p.port };
  const w = new Walker(world, 'request', newPacket(flow, to, src, 'request'), [], true);
  w.enter('host', h.name, h.name);
  w.pkt.inIface = iface;
  w.pkt.vni = vni;
  const pre = runHook(w, h, 'prerouting', { in: iface, out: null });
  if (pre.stop) return { decidedBy: pre.stop.decidedBy, iface, hook: 'prerouting' };
  const input = runHook(w, h, 'input', { in: iface, out: null });
  return { decidedBy: input.stop?.decidedBy ?? null, iface, hook: 'input' };
}

/** Every port of every swarm node in view that drops (or cannot be told to pass) what one of its peers sends it. */
export function swarmPortDrops(world: World): SwarmPortDrop[] {
  const out: SwarmPortDrop[] = [];
  for (const h of swarmHosts(world)) {
    const s = h.snapshot.swarm as SwarmPart;
    const { node, data } = nodeAddrs(s);
    if (node === null || data === null) continue;
    for (const peer of swarmPeers(world, h)) {
      for (const port of swarmPorts(s)) {
        const dataPath = port.use === 'overlay data path';
        const src = dataPath ? peer.dataPathAddr : peer.nodeAddr;
        const to = dataPath ? data : node;
        // The data path per overlay VNI the node carries in the clear: moby drops an encrypted overlay's VNI unless
        // IPsec carried it (by design), and its rules match the VNI. No overlay known: one packet, its VNI unknown.
        for (const vni of dataPath ? clearVnis(s) : [null]) {
          const { decidedBy, iface, hook } = inputDecision(world, h, src, to, port, vni?.vni ?? null);
          if (!decidedBy) continue;
          out.push({ host: h, peer, port, from: src, to, iface, hook, decidedBy, vni });
          break;
        }
      }
    }
  }
  return out;
}

/** The VNIs of the node's overlays that are not encrypted, with their network; [null] when it has none. */
function clearVnis(s: SwarmPart): ({ vni: number; network: string } | null)[] {
  // The ingress network last: a drop of every VNI is said with the overlay people attach containers to.
  const out = [...s.networks].sort((a, b) => Number(a.ingress) - Number(b.ingress)).filter((n) => !n.encrypted).flatMap((n) => n.vnis.map((vni) => ({ vni, network: n.name })));
  return out.length > 0 ? out : [null];
}

/** The rule or policy that decided, as an operator finds it. */
export function decisionText(d: Decision): string {
  if (d.kind === 'rule') return d.family !== undefined ? `${d.table} chain ${d.chain} rule handle ${d.handle}: ${d.text}` : `${d.table} ${d.chain} rule ${d.index}: ${d.text}`;
  if (d.kind === 'policy') return `${d.family !== undefined ? `${d.family} ` : ''}${d.table} ${d.chain} policy`;
  return d.reason;
}

const what = (p: SwarmPort) => `${p.port}/${p.proto} (${p.use})`;

/** One finding per node and peer: the ports it does not let in from that peer, each with what drops it. */
export function swarmPortFindings(world: World, fixFor: (drops: SwarmPortDrop[]) => string): Finding[] {
  const drops = swarmPortDrops(world);
  const byPair = new Map<string, SwarmPortDrop[]>();
  for (const d of drops) {
    const k = `${d.host.name}\u0000${d.peer.name}`;
    byPair.set(k, [...(byPair.get(k) ?? []), d]);
  }
  const out: Finding[] = [];
  for (const ds of byPair.values()) {
    const first = ds[0] as SwarmPortDrop;
    const h = first.host;
    const unknown = ds.every((d) => d.decidedBy.kind === 'unknown-rule' || d.decidedBy.kind === 'missing-data');
    const data = ds.some((d) => d.port.use === 'overlay data path');
    const control = ds.some((d) => d.port.use !== 'overlay data path');
    const effect = [
      ...(data ? [`overlay traffic from ${first.peer.name} never reaches ${h.name}'s containers (the VXLAN packets are dropped before decapsulation; dockerd logs nothing)`] : []),
      ...(control ? [`${first.peer.name} cannot keep ${h.name} in the swarm's gossip or raft: nodes flap Down, overlays lose their peers`] : []),
    ].join('; and ');
    out.push({
      code: SWARM_PORT_CLOSED,
      severity: unknown ? 'warning' : 'error',
      host: h.name,
      subject: first.peer.name,
      title: `${h.name} ${unknown ? 'may not accept' : 'drops'} swarm port${ds.length > 1 ? 's' : ''} ${ds.map((d) => what(d.port)).join(', ')} from ${first.peer.name} (${ipText(first.peer.nodeAddr)}): ${effect}`,
      evidence: [
        ...ds.map((d) => `${ipText(d.from)} → ${ipText(d.to)}:${d.port.port}/${d.port.proto}${d.vni ? ` (VNI ${d.vni.vni}, overlay ${d.vni.network})` : ''}${d.iface ? ` in on ${d.iface}` : ''}: ${decisionText(d.decidedBy)}`),
        ...(first.peer.assumed ? [first.peer.assumed] : []),
      ],
      fix: fixFor(ds),
    });
  }
  return out;
}
