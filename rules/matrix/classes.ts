// Containers that every rule and route treats alike share one walk: the key of a container's equivalence class.
import { attachmentKey, hostVethOf } from '../model/attachment.js';
import { addressBits, cidrText, parseCidr, parseIp } from '../addr/addr.js';
import { PrefixMap } from '../addr/prefix-map.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { ContainerModel, HostModel, World } from '../model/types.js';

type Predicates = { cidrs: Map<string, Cidr>; ranges: [Ip, Ip][]; physdev: boolean };

const hostCidr = (addr: Ip): Cidr => ({ addr, bits: addressBits(addr) });

/** A network as a predicate, once however often it is named. */
const adder = (into: Predicates) => (c: Cidr) => void into.cidrs.set(cidrText(c), c);

/** One host's address predicates, added to `into`: its rules' networks and ranges, NAT targets, routes, own addresses. */
function addHostPredicates(h: HostModel, into: Predicates): void {
  const add = adder(into);
  for (const table of [...(h.ruleset?.values() ?? []), ...(h.ruleset6?.values() ?? [])]) {
    for (const chain of table.values()) {
      for (const r of chain.rules) {
        for (const m of r.parsed.matches) {
          if (m.kind === 'src' || m.kind === 'dst' || m.kind === 'ctorigdst' || m.kind === 'ctorigsrc') add(m.cidr);
          else if (m.kind === 'iprange') into.ranges.push([m.from, m.to]);
          else if (m.kind === 'physdev' && m.iface) into.physdev = true;
        }
        const t = r.parsed.target;
        if (t.kind === 'DNAT' && t.toIp !== null) add(hostCidr(t.toIp));
      }
    }
  }
  for (const table of h.nft?.tables ?? []) {
    for (const chain of table.chains.values()) for (const r of chain.rules) nftAddresses(r.expr, add, into.ranges);
    for (const set of table.sets.values()) nftAddresses(set.elem, add, into.ranges);
  }
  for (const list of h.routing?.tables.values() ?? []) for (const e of list) add({ addr: e.net, bits: e.bits });
  for (const ip of h.localAddrs.keys()) add(hostCidr(ip));
  for (const p of h.published) for (const e of p.container.endpoints) add(hostCidr(e.ip));
}

/**
 * Address predicates in the world: every CIDR or range a rule matches on, every host route, every NAT target. Two
 * addresses inside exactly the same predicates are indistinguishable to every rule and route lookup on the hosts.
 */
function predicates(world: World): { cidrs: Cidr[]; ranges: [Ip, Ip][]; physdev: boolean } {
  const into: Predicates = { cidrs: new Map(), ranges: [], physdev: false };
  for (const h of world.hosts) addHostPredicates(h, into);
  return { cidrs: [...into.cidrs.values()], ranges: into.ranges, physdev: into.physdev };
}

/**
 * Addresses as one host sees them: which of its predicates hold each — its rules, its routes and its containers'
 * routes, its own and its containers' addresses. A walk whose outcome depended on nothing beyond that host (it
 * never left it, nor asked who else holds a next hop) has the same outcome towards every address with the same
 * signature there: a fleet's containers are alike to a host that has no route to any of them.
 */
export class HostSignatures {
  private readonly byHost = new Map<HostModel, { ids: PrefixMap<number>; ranges: [Ip, Ip][] }>();
  /** The ids an address is held by, one list refilled and emptied for every address (see `of`). */
  private readonly scratch: number[] = [];

  private indexOf(h: HostModel): { ids: PrefixMap<number>; ranges: [Ip, Ip][] } {
    let ix = this.byHost.get(h);
    if (ix) return ix;
    const into: Predicates = { cidrs: new Map(), ranges: [], physdev: false };
    addHostPredicates(h, into);
    const add = adder(into);
    for (const c of h.containers) {
      for (const e of c.endpoints) add(hostCidr(e.ip));
      for (const list of c.routing?.tables.values() ?? []) for (const r of list) add({ addr: r.net, bits: r.bits });
    }
    const ids = new PrefixMap<number>();
    [...into.cidrs.values()].forEach((c, id) => ids.set(c, id));
    this.byHost.set(h, (ix = { ids, ranges: into.ranges }));
    return ix;
  }

  /** Which of `h`'s predicates hold each address, as a key. */
  of(h: HostModel, ips: Ip[]): string {
    const { ids, ranges } = this.indexOf(h);
    let key = '';
    for (const ip of ips) {
      key += typeof ip === 'bigint' ? '6:' : '4:';
      // The same text as the predicates' ids joined by commas, without an array per address (50,000 in a fleet).
      const held = ids.holding(ip, this.scratch);
      for (let k = 0; k < held.length; k++) key += k === 0 ? `${held[k]}` : `,${held[k]}`;
      held.length = 0;
      for (let k = 0; k < ranges.length; k++) {
        const [a, b] = ranges[k] as [Ip, Ip];
        if (typeof ip === typeof a && ip >= a && ip <= b) key += `,r${k}`;
      }
      key += '|';
    }
    return key;
  }
}

/**
 * Every address, prefix and range a native nftables rule or set names, wherever it sits in the expression (a match's
 * right side, an anonymous set, a map's keys, a set's elements): more predicates than the rules test only split
 * classes finer, never wrongly. An operator's `ip saddr @blocked drop` naming one container must split it off.
 */
function nftAddresses(json: unknown, add: (c: Cidr) => void, ranges: [Ip, Ip][]): void {
  if (typeof json === 'string') {
    const c = parseCidr(json);
    if (c) add(c);
    return;
  }
  if (Array.isArray(json)) {
    for (const x of json) nftAddresses(x, add, ranges);
    return;
  }
  if (json === null || typeof json !== 'object') return;
  const o = json as Record<string, unknown>;
  const prefix = o.prefix as { addr?: unknown; len?: unknown } | undefined;
  if (prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number') {
    const c = parseCidr(`${prefix.addr}/${prefix.len}`);
    if (c) add(c);
  }
  const range = o.range;
  if (Array.isArray(range) && range.length === 2 && typeof range[0] === 'string' && typeof range[1] === 'string') {
    const [a, b] = [parseIp(range[0]), parseIp(range[1])];
    if (a !== null && b !== null && typeof a === typeof b) ranges.push([a, b]);
  }
  for (const v of Object.values(o)) nftAddresses(v, add, ranges);
}

/**
 * Where else each address is held: the hosts whose containers hold it too, and whether another namespace on the same
 * host does. A walk to an address depends on who answers ARP for it, so two containers are alike only if the copies
 * of their addresses are (two default hosts both hand out 172.17.0.2).
 */
function holders(world: World): Map<Ip, Map<string, Set<string>>> {
  const out = new Map<Ip, Map<string, Set<string>>>();
  for (const h of world.hosts) {
    for (const c of h.containers) {
      for (const e of c.endpoints) {
        let byHost = out.get(e.ip);
        if (!byHost) out.set(e.ip, (byHost = new Map()));
        let owners = byHost.get(h.name);
        if (!owners) byHost.set(h.name, (owners = new Set()));
        owners.add(c.netnsOwnerId);
      }
    }
  }
  return out;
}

/**
 * What every node's overlay namespaces hold for each address (a neighbour entry and the node it sends to): two
 * overlay endpoints are alike only if every node would send their frames alike.
 */
function overlayEntries(world: World): Map<Ip, string> {
  const out = new Map<Ip, string>();
  for (const h of world.hosts) {
    for (const o of h.overlays.values()) {
      for (const [ip, mac] of o.neighbours) out.set(ip, `${out.get(ip) ?? ''}${h.name}:${o.id}:${o.fdb.get(mac) ?? '-'};`);
      for (const e of o.endpoints) out.set(e.ip, `${out.get(e.ip) ?? ''}${h.name}:${o.id}:here;`);
    }
  }
  return out;
}

export function classKeys(world: World, containers: ContainerModel[]): Map<ContainerModel, string> {
  const { cidrs, ranges, physdev } = predicates(world);
  const held = holders(world);
  const overlays = overlayEntries(world);
  const copies = (c: ContainerModel, ip: Ip) => {
    const byHost = held.get(ip);
    if (!byHost || (byHost.size === 1 && (byHost.get(c.host.name)?.size ?? 0) <= 1)) return '';
    const elsewhere = [...byHost.keys()].filter((h) => h !== c.host.name).sort().join('/');
    // Another namespace on this host with the same address: this container is a class of its own.
    const twin = (byHost.get(c.host.name)?.size ?? 0) > 1 ? `!${c.docker.id}` : '';
    return `${elsewhere}${twin}`;
  };
  // Which predicates hold an address, found by a probe per prefix length rather than a test per predicate: a fleet
  // of 100 hosts has a thousand networks in its rules and routes, and five thousand containers' addresses to place.
  const index = new PrefixMap<number>();
  cidrs.forEach((c, k) => index.set(c, k));
  const addrClass = (ip: Ip) => {
    // The family leads: an IPv4 and an IPv6 address are never alike, whatever predicates they both miss.
    let bits = `${typeof ip === 'number' ? '4:' : '6:'}${index.holding(ip).join(',')}:`;
    for (const [a, b] of ranges) bits += typeof ip === typeof a && ip >= a && ip <= b ? '1' : '0';
    return bits;
  };
  const out = new Map<ContainerModel, string>();
  for (const c of containers) {
    const own = new Map(c.endpoints.map((e, i) => [e.ipText, `@${i}`]));
    const eps = c.endpoints.map((e) => [e.network?.id ?? '-', attachmentKey(e.attachment), e.iface, e.prefixLen, addrClass(e.ip), physdev ? hostVethOf(e.attachment) : '', copies(c, e.ip), overlays.get(e.ip) ?? ''].join(','));
    // The container's own routes, with its own addresses abstracted (they differ between members of a class).
    const routes = [...(c.routing?.tables.entries() ?? [])]
      .map(([t, list]) => `${t}:${list.map((r) => [r.route.type, own.get(r.route.dst.replace(/\/(32|128)$/, '')) ?? (parseCidr(r.route.dst) ? r.route.dst : '?'), r.route.dev, r.route.gateway ?? '', r.route.prefsrc ? (own.get(r.route.prefsrc) ?? r.route.prefsrc) : '', r.route.metric].join(' ')).join(';')}`)
      .join('|');
    const ports = c.docker.ports.map((p) => `${p.hostIp}:${p.hostPort}/${p.protocol}`).join(',');
    // What it listens on decides TCP and UDP questions' last hop: with its own addresses abstracted, as for routes.
    const sockets = c.sockets === null ? '?' : [...new Set(c.sockets.map((s) => `${s.proto}/${s.port}/${s.iface ?? ''}/${s.address === '0.0.0.0' || s.address === '::' ? '*' : (own.get(s.address.replace(/^::ffff:/, '')) ?? s.address)}`))].sort().join(',');
    out.set(c, [c.host.name, c.netns, c.docker.networkModeKind, c.netnsOwnerId !== c.docker.id ? c.docker.id : '', eps.join('+'), routes, ports, sockets].join('#'));
  }
  return out;
}
