// Docker bridge networks in view whose subnets overlap across hosts: an address in both is held twice, and each host
// routes it into its own bridge, so a container never reaches the other host's holder (every Docker host has
// 172.17.0.0/16). Bridges joined into one segment through bridged ports share their subnet by design: one place.
import { cidrText, isLinkLocal6, parseCidr } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { HostModel, World } from './types.js';
import type { DockerNetwork } from '../../snapshot/host-snapshot.js';
import { segmentPeers } from '../walk/segment.js';

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
