// Which addresses a question walks: B's addresses of the families asked that A can send in — or, when there are none,
// why, as one sentence. A family the pair does not have is a question with no packet to walk: said as such, never as
// blocked (-6 towards an IPv4-only container would otherwise read as a firewall problem).
import { familyOf, ipText } from '../addr/addr.js';
import type { Family, Ip } from '../addr/addr.js';
import type { Endpoint, HostModel, World } from '../model/types.js';
import { bridgePortOf } from '../model/attachment.js';
import { hostAddresses, qualifiedName, ResolveError } from '../query/resolve.js';
import type { Source, Target } from '../query/resolve.js';
import { familyName, familyWord, lacksFamily, noAddressOfFamily, sendable, targetsOf } from './verdict.js';

export interface Destination {
  ip: Ip;
  /** The Docker network the address is on, when one is. */
  network: string | null;
}

const words = (families: readonly Family[], join: string) => families.map((f) => familyWord(familyName(f))).join(join);

/** The Docker network whose bridge holds one of the host's addresses (172.17.0.1: bridge), when one does. */
function bridgeNetwork(host: HostModel, ip: Ip): string | null {
  const dev = host.localAddrs.get(ip);
  return (host.snapshot.docker?.networks ?? []).find((n) => n.bridge !== null && n.bridge === dev)?.name ?? null;
}

/**
 * The Docker network whose bridge an address's interface is a port of, when Docker lists no endpoint for it: a swarm
 * container's second interface, on docker_gwbridge (Docker keeps that endpoint out of the container's networks).
 */
function portNetwork(host: HostModel, e: Endpoint): string | null {
  const port = bridgePortOf(e.attachment);
  return port ? ((host.snapshot.docker?.networks ?? []).find((n) => n.bridge === port.bridge)?.name ?? null) : null;
}

export function destinations(world: World, source: Source, target: Target, families: readonly Family[]): Destination[] {
  const flag = families.map((f) => `-${f}`).join(' ');
  const hint = families.length === 1 ? `ask without ${flag}` : 'ask by an address of the family they share';
  const a = source.kind === 'container' ? source.container : null;
  const usable = a ? sendable(a, families) : [...families];
  const aLacks = (fs: readonly Family[]) => new ResolveError(noAddressOfFamily(qualifiedName(a!, world), a!, fs), hint);
  if (target.kind === 'container') {
    const b = target.container;
    if (lacksFamily(b, families)) throw new ResolveError(noAddressOfFamily(qualifiedName(b, world), b, families), hint);
    if (usable.length === 0) throw aLacks(families);
    // Both have addresses, of different families only (an IPv6-only network meets an IPv4-only one).
    if (lacksFamily(b, usable)) throw new ResolveError(`${qualifiedName(a!, world)} has ${words(usable, ' and ')} only and ${qualifiedName(b, world)} has none: they share no address family`, 'a dual-stack network for one of them would give them one');
    return targetsOf(b, usable).map((e) => ({ ip: e.ip, network: e.network?.name ?? portNetwork(b.host, e) }));
  }
  if (target.kind === 'address' || target.ip !== null) {
    const f = familyOf(target.ip as Ip);
    if (!families.includes(f)) throw new ResolveError(`${ipText(target.ip as Ip)} is an ${words([f], '')} address, and ${flag} asks about ${words(families, ' and ')} only`, `ask without ${flag}`);
    if (!usable.includes(f)) throw aLacks([f]);
    return [{ ip: target.ip as Ip, network: null }];
  }
  // The host named as itself: its addresses as A reaches them (the gateway of A's network, loopback from itself).
  const all = hostAddresses(target.host, source);
  const found = all.filter((ip) => usable.includes(familyOf(ip)));
  if (found.length > 0) return found.map((ip) => ({ ip, network: bridgeNetwork(target.host, ip) }));
  if (all.length === 0) throw new ResolveError(`host ${target.host.name} has no address to ask at`, 'ask by one of its addresses');
  throw new ResolveError(`host ${target.host.name} has no ${words(usable.length > 0 ? usable : families, ' or ')} address ${a ? `${a.name} reaches it at` : 'to ask at'} (it has ${all.map(ipText).join(', ')})`, hint);
}
