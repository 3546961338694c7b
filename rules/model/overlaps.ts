// Docker networks in view whose subnets overlap something else: across hosts, another Docker network (an address in
// both is held twice, and each host routes it into its own bridge: every Docker host has 172.17.0.0/16; bridges joined
// into one segment through bridged ports share their subnet by design: one place); on a host, a LAN or VPN prefix, an
// address of its own, or another host's network in view ("Docker took my LAN": one route shadows the other).
import { cidrText, cidrsOverlap, inCidr, isLinkLocal6, isLoopback, parseCidr, parseIp } from '../addr/addr.js';
import { DOCKER_GWBRIDGE } from '../meaning/layouts.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { HostModel, RouteEntry, World } from './types.js';
import type { DockerNetwork } from '../../snapshot/host-snapshot.js';
import { segmentPeers } from './segment-peers.js';
import { dockerAttachment } from './attachment.js';
import { networksOf, routeLookup, routeText } from './route-lookup.js';

/** One network's use of one subnet, on one host. */
export interface SubnetUse {
  host: HostModel;
  network: DockerNetwork;
  subnet: Cidr;
}

/** Networks on two or more hosts (or segments) whose subnets overlap, and the range they share. */
export interface SubnetOverlap {
  uses: SubnetUse[];
  /** The addresses in more than one of them: the widest range any two share, as text. */
  shared: string;
}

const last = (c: Cidr): Ip => (typeof c.addr === 'number' ? c.addr + (2 ** (32 - c.bits) - 1) : c.addr + ((1n << BigInt(128 - c.bits)) - 1n));
const lt = (a: Ip, b: Ip) => a < b;

/** The segment each bridge is on: bridges joined through bridged ports (b1's and b2's docker0) share one key. */
function segmentKeys(world: World): Map<string, string> {
  const key = new Map<string, string>();
  const find = (k: string): string => {
    const parent = key.get(k) ?? k;
    if (parent === k) return k;
    const root = find(parent);
    key.set(k, root);
    return root;
  };
  for (const h of world.hosts) {
    for (const bridge of h.foreignPorts.keys()) {
      for (const peer of segmentPeers(world, h, bridge)) {
        const a = find(`${h.name}/${bridge}`);
        const b = find(`${peer.host.name}/${peer.bridge}`);
        if (a !== b) key.set(a, b);
      }
    }
  }
  return new Map([...key.keys()].map((k) => [k, find(k)]));
}

/** Where a network's addresses live: its bridge's segment (one key for bridges joined through bridged ports), else itself. */
export function placeOf(world: World): (u: SubnetUse) => string {
  const segments = segmentKeys(world);
  return (u) => {
    const own = u.network.bridge ? `${u.host.name}/${u.network.bridge}` : `${u.host.name}/${u.network.id}`;
    return segments.get(own) ?? own;
  };
}

/** The overlapping subnets of bridge networks across the hosts in view, grouped: one group per range people renumber. */
export function overlappingSubnets(world: World): SubnetOverlap[] {
  const uses: SubnetUse[] = [];
  for (const host of world.hosts) {
    for (const network of host.snapshot.docker?.networks ?? []) {
      if (network.driver !== 'bridge') continue;
      for (const s of network.subnets) {
        const subnet = parseCidr(s.subnet);
        if (subnet && !isLinkLocal6(subnet.addr)) uses.push({ host, network, subnet });
      }
    }
  }
  if (new Set(uses.map((u) => u.host)).size < 2) return [];
  const place = placeOf(world);
  // A sweep over the ranges by first address, per family: overlapping ranges chain into one group.
  const out: SubnetOverlap[] = [];
  for (const family of ['number', 'bigint'] as const) {
    const list = uses.filter((u) => typeof u.subnet.addr === family).sort((a, b) => (lt(a.subnet.addr, b.subnet.addr) ? -1 : lt(b.subnet.addr, a.subnet.addr) ? 1 : a.subnet.bits - b.subnet.bits));
    let group: SubnetUse[] = [];
    let end: Ip | null = null;
    const flush = () => {
      if (new Set(group.map(place)).size < 2 || new Set(group.map((u) => u.host)).size < 2) return;
      // Every node's docker_gwbridge has the same subnet and is never reached from another node: not a collision.
      if (group.every((u) => u.network.name === DOCKER_GWBRIDGE)) return;
      // Two CIDR ranges that overlap nest: the narrowest of the group lies inside another's, all of it held twice.
      const narrowest = group.reduce((a, b) => (b.subnet.bits > a.subnet.bits ? b : a));
      out.push({ uses: group, shared: cidrText(narrowest.subnet) });
    };
    for (const u of list) {
      if (end !== null && !lt(end, u.subnet.addr)) {
        group.push(u);
        if (lt(end, last(u.subnet))) end = last(u.subnet);
        continue;
      }
      flush();
      group = [u];
      end = last(u.subnet);
    }
    flush();
  }
  return out;
}

/** Whether `c` overlaps a network, an address or a route (the default route aside) of any host in view. */
function inUse(world: World, c: Cidr): boolean {
  for (const h of world.hosts) {
    for (const n of h.snapshot.docker?.networks ?? []) for (const s of n.subnets) if (overlaps(parseCidr(s.subnet), c)) return true;
    for (const list of h.routing?.tables.values() ?? []) for (const e of list) if (e.bits > 0 && overlaps({ addr: e.net, bits: e.bits }, c)) return true;
  }
  return false;
}

function overlaps(a: Cidr | null, b: Cidr): boolean {
  if (a === null || typeof a.addr !== typeof b.addr) return false;
  return !(lt(last(a), b.addr) || lt(last(b), a.addr));
}

/** Up to `count` IPv4 ranges no host in view uses: Docker's own default pools first (172.17–31.0.0/16, then 192.168.x.0/20). */
export function freeSubnets(world: World, count: number): Cidr[] {
  const out: Cidr[] = [];
  const candidates = [...Array.from({ length: 15 }, (_, i) => ({ addr: (172 * 2 ** 24) + ((17 + i) << 16), bits: 16 })), ...Array.from({ length: 16 }, (_, i) => ({ addr: (192 * 2 ** 24) + (168 << 16) + ((i * 16) << 8), bits: 20 }))];
  for (const c of candidates) {
    if (out.length >= count) break;
    if (!inUse(world, c)) out.push(c);
  }
  return out;
}

/**
 * What a Docker network's subnet collides with on its host: an on-link prefix (a LAN, a tunnel's), a route through a
 * gateway (a VPN's, in any table), one of the host's own addresses that no such prefix covers, or a network of another
 * host in view (its LAN or its own addresses) that this host does not route itself.
 */
export interface CollisionPrefix {
  kind: 'on-link' | 'route' | 'address' | 'peer';
  prefix: Cidr;
  /** The host's route to it as collected (on-link and route), with its table; null for an address or a peer's network. */
  entry: RouteEntry | null;
  table: string | null;
  /** The interface it is on: the route's device, the address's interface (the peer's, for a peer). */
  iface: string | null;
  /** The host whose prefix or address it is: the network's own, or the peer's. */
  host: string;
}

/** A Docker network (any driver) whose subnet collides with a non-Docker prefix of its host or of another host in view. */
export interface Collision {
  host: HostModel;
  network: DockerNetwork;
  subnet: Cidr;
  /** The bridge holding the network's route on the host; null when the host has none (macvlan, ipvlan, overlay). */
  bridge: string | null;
  with: CollisionPrefix;
  /** The addresses both claim: the narrower of the two (CIDR ranges that overlap nest). */
  shared: Cidr;
}

/** Docker's bridges on a host: their prefixes are Docker's own. */
function dockerBridges(host: HostModel): Set<string> {
  return new Set((host.snapshot.docker?.networks ?? []).map((x) => x.bridge).filter((b): b is string => b !== null));
}

/** Interfaces whose prefixes are the network's own by design: Docker's bridges, and a macvlan/ipvlan network's parent and its siblings (the shim). */
function designedFor(host: HostModel, docker: Set<string>, n: DockerNetwork): (iface: string | null) => boolean {
  const a = dockerAttachment(n);
  const parent = a.kind === 'macvlan' || a.kind === 'ipvlan' ? a.parent : null;
  return (iface) => iface !== null && (docker.has(iface) || (parent !== null && (iface === parent || host.interfaces.get(iface)?.lower?.name === parent)));
}

/** A host's own prefixes besides Docker's: its interfaces' networks and addresses (loopback and link-local aside), by interface. */
function ownPrefixes(host: HostModel, docker: Set<string>): { iface: string; prefix: Cidr }[] {
  const out: { iface: string; prefix: Cidr }[] = [];
  for (const [name, i] of host.interfaces) {
    if (docker.has(name) || i.kind === 'veth') continue;
    for (const c of networksOf(i.addresses)) if (!isLoopback(c.addr) && !isLinkLocal6(c.addr)) out.push({ iface: name, prefix: c });
  }
  return out;
}

const byWorldCollisions = new WeakMap<World, Collision[]>();

/** Every collision of a Docker network with a LAN/VPN prefix, an own address or a peer's network, once per world. */
export function collisions(world: World): Collision[] {
  let out = byWorldCollisions.get(world);
  if (out) return out;
  out = [];
  const narrower = (a: Cidr, b: Cidr) => (a.bits >= b.bits ? a : b);
  const bridges = new Map(world.hosts.map((h) => [h, dockerBridges(h)]));
  // Every host's own prefixes, read once: each network is held against all of them.
  const prefixes = world.hosts.flatMap((h) => ownPrefixes(h, bridges.get(h) as Set<string>).map((p) => ({ host: h, ...p })));
  for (const host of world.hosts) {
    for (const network of host.snapshot.docker?.networks ?? []) {
      if (network.driver === 'host' || network.driver === 'null') continue;
      const mine = designedFor(host, bridges.get(host) as Set<string>, network);
      for (const s of network.subnets) {
        const subnet = parseCidr(s.subnet);
        if (!subnet || isLinkLocal6(subnet.addr)) continue;
        const found: Collision[] = [];
        const add = (w: CollisionPrefix) => found.push({ host, network, subnet, bridge: network.bridge, with: w, shared: narrower(subnet, w.prefix) });
        // Routes in every table the host has (the local table's are its addresses, below); the default route aside.
        for (const [table, list] of host.routing?.tables ?? []) {
          if (table === 'local') continue;
          for (const e of list) {
            if (e.bits === 0 || e.route.type !== 'unicast' || mine(e.route.dev) || typeof e.net !== typeof subnet.addr) continue;
            const prefix = { addr: e.net, bits: e.bits };
            if (cidrsOverlap(prefix, subnet)) add({ kind: e.gateway !== null ? 'route' : 'on-link', prefix, entry: e, table, iface: e.route.dev, host: host.name });
          }
        }
        const covered = (c: Cidr) => found.some((f) => inCidr(c.addr, f.with.prefix));
        // Its own addresses no route above covers (a /32 on lo, a tunnel's address): containers on the network may be given them.
        for (const [ip, iface] of host.localAddrs) {
          const c = { addr: ip, bits: typeof ip === 'number' ? 32 : 128 };
          if (isLoopback(ip) || isLinkLocal6(ip) || mine(iface) || !inCidr(ip, subnet) || covered(c)) continue;
          add({ kind: 'address', prefix: c, entry: null, table: null, iface, host: host.name });
        }
        // Other hosts' own networks in view, where this host has no prefix of its own for them. A macvlan or ipvlan
        // network is its parent's LAN: the other hosts on it (their addresses, their shims) share it by design.
        const onLan = network.driver === 'macvlan' || network.driver === 'ipvlan';
        for (const p of onLan ? [] : prefixes) {
          if (p.host !== host && typeof p.prefix.addr === typeof subnet.addr && cidrsOverlap(p.prefix, subnet) && !covered(p.prefix)) add({ kind: 'peer', prefix: p.prefix, entry: null, table: null, iface: p.iface, host: p.host.name });
        }
        out.push(...found);
      }
    }
  }
  byWorldCollisions.set(world, out);
  return out;
}

/** Who holds an address in view, for people: a host's own interface, a container, a neighbour the host has seen. */
function holdersIn(world: World, c: Collision): { ip: Ip; who: string }[] {
  const out = new Map<Ip, string>();
  const dockerBridges = (h: HostModel) => new Set((h.snapshot.docker?.networks ?? []).map((n) => n.bridge).filter((b): b is string => b !== null));
  const gateway = c.with.entry?.gateway ?? null;
  if (gateway !== null && inCidr(gateway, c.shared)) out.set(gateway, `the gateway of ${c.host.name}'s route ${c.with.entry ? routeText(c.with.entry) : ''}`.trim());
  // Neighbours the host has heard from on that prefix's interface: real devices of the LAN.
  for (const n of c.host.snapshot.routes?.neighbours ?? []) {
    const ip = parseIp(n.dst);
    if (ip === null || n.dev !== c.with.iface || !inCidr(ip, c.shared) || n.state.some((x) => x === 'FAILED' || x === 'INCOMPLETE')) continue;
    if (!out.has(ip)) out.set(ip, `a neighbour on ${c.host.name}'s ${n.dev}`);
  }
  for (const h of world.hosts) {
    if (h === c.host) continue;
    const docker = dockerBridges(h);
    for (const [ip, iface] of h.localAddrs) if (!isLoopback(ip) && !docker.has(iface) && inCidr(ip, c.shared)) out.set(ip, `${h.name}'s ${iface}`);
    for (const ct of h.containers) for (const e of ct.endpoints) if (ct.netns !== 'host' && inCidr(e.ip, c.shared) && !out.has(e.ip)) out.set(e.ip, `${h.name}/${ct.name}`);
  }
  return [...out].map(([ip, who]) => ({ ip, who }));
}

/**
 * What a collision cuts off, in view: `forContainers` what the network's containers lose (their on-link route takes
 * it), `forHost` what the host and all it routes lose to the bridge, `members` the network's own containers the LAN/VPN
 * prefix takes away from the host (nothing off the bridge reaches them; replies to them leave on the LAN).
 */
export function collisionEffects(world: World, c: Collision) {
  const holders = c.with.kind === 'address' ? [] : holdersIn(world, c);
  // On the host, the route lookup decides (any table its rules choose): the bridge's route, or the LAN/VPN prefix.
  const bridgeWins = (ip: Ip) => c.bridge !== null && c.host.routing !== null && routeLookup(c.host.routing, { dst: ip, src: null, iif: null, mark: 0, proto: 0, sport: 0, dport: 0, ephemeral: null }).entry?.route.dev === c.bridge;
  const members = c.host.containers.flatMap((ct) => ct.endpoints.filter((e) => e.network?.id === c.network.id && inCidr(e.ip, c.shared) && !bridgeWins(e.ip)).map((e) => ({ ip: e.ip, who: `${ct.name} on ${c.network.name}` })));
  return { forContainers: holders, forHost: holders.filter((x) => bridgeWins(x.ip)), members };
}

