// The request lands in another holder of B's address: the cause, named with both holders, the route that takes it
// there and, when that is why, the two networks whose subnets overlap (every Docker host has 172.17.0.0/16), or the
// route that shadows another: a Docker network's over a LAN/VPN prefix, or the LAN's over a Docker network.
import { cidrText, cidrsOverlap, inCidr, ipText, networkOf, parseCidr } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import { networksOf, routeText } from '../model/route-lookup.js';
import type { ContainerModel, Endpoint, HostModel, World } from '../model/types.js';
import type { Decision, DecisionOf, Place } from '../../snapshot/contract.js';
import type { Landing, Leg } from './leg.js';
import { causeCode } from '../meaning/decision.js';
import { collisions, overlappingSubnets } from '../model/overlaps.js';
import { shadowWords } from './shadow.js';
import type { Shadow } from './shadow.js';

type Overlap = NonNullable<DecisionOf<'elsewhere'>['overlap']>[number];

/**
 * Where the routes alone take a request: a holder of the address, a host's bridge where nothing answers for it, or
 * the link beyond a host's interface (a LAN asked directly for an address only a container behind a bridge holds).
 */
export type Where = Landing | { kind: 'bridge'; host: HostModel; bridge: string } | { kind: 'lan'; host: HostModel; iface: string };

// Who holds each address in view (containers' endpoints, hosts' own addresses), built once per world: most walks ask
// only whether B is the one holder, and then nothing else can take the request.
const byWorld = new WeakMap<World, Map<Ip, number>>();

const shared = new WeakMap<World, Cidr[]>();

/**
 * Whether a request to `ip` can land anywhere but its one holder: someone else holds it too, or it is in a subnet that
 * networks on several hosts in view use (a host routes it into its own bridge even where nobody there holds it).
 */
export function mayLandElsewhere(world: World, ip: Ip): boolean {
  if (holderCount(world, ip) >= 2) return true;
  let ranges = shared.get(world);
  // The ranges a Docker network shares with a LAN/VPN prefix too: one of the two routes shadows the other there.
  if (!ranges) shared.set(world, (ranges = [...overlappingSubnets(world).flatMap((g) => g.uses.map((u) => u.subnet)), ...collisions(world).map((c) => c.shared)]));
  return ranges.some((c) => inCidr(ip, c));
}

/** How many places in view hold `ip`: a container namespace (counted once however many endpoints) or a host. */
export function holderCount(world: World, ip: Ip): number {
  let index = byWorld.get(world);
  if (!index) {
    index = new Map();
    for (const h of world.hosts) {
      const seen = new Set<string>();
      for (const c of h.containers) {
        for (const e of c.endpoints) {
          const key = `${c.netnsOwnerId} ${ipText(e.ip)}`;
          if (c.netns === 'host' || seen.has(key)) continue;
          seen.add(key);
          index.set(e.ip, (index.get(e.ip) ?? 0) + 1);
        }
      }
      for (const ip of h.localAddrs.keys()) index.set(ip, (index.get(ip) ?? 0) + 1);
    }
    byWorld.set(world, index);
  }
  return index.get(ip) ?? 0;
}

/** The subnet `ip` is on where it is held: its Docker network's subnet holding it, else the interface's prefix. */
function endpointSubnet(e: Endpoint): Cidr {
  const docker = (e.network?.subnets ?? []).map((s) => parseCidr(s.subnet)).find((c): c is Cidr => c !== null && inCidr(e.ip, c));
  return docker ?? { addr: networkOf(e.ip, e.prefixLen), bits: e.prefixLen };
}

function bridgeOf(e: Endpoint): string | null {
  return e.network?.bridge ?? null;
}

/** Where a landing holds `dst` (or, a bridge, would), as the overlap names it; null when the interface is not known. */
function holding(landing: Where, dst: Ip): { overlap: Overlap; cidr: Cidr; networkId: string | null; host: HostModel } | null {
  if (landing.kind === 'container') {
    const e = landing.endpoint;
    const cidr = endpointSubnet(e);
    return { overlap: { host: e.container.host.name, network: e.network?.name ?? null, iface: bridgeOf(e), subnet: cidrText(cidr) }, cidr, networkId: e.network?.id ?? null, host: e.container.host };
  }
  if (landing.kind === 'lan') return null;
  const iface = landing.kind === 'bridge' ? landing.bridge : landing.host.localAddrs.get(dst);
  const cidr = iface ? networksOf(landing.host.interfaces.get(iface)?.addresses ?? []).find((c) => inCidr(dst, c)) : undefined;
  if (!iface || !cidr) return null;
  const network = (landing.host.snapshot.docker?.networks ?? []).find((n) => n.bridge === iface);
  return { overlap: { host: landing.host.name, network: network?.name ?? null, iface, subnet: cidrText(cidr) }, cidr, networkId: network?.id ?? null, host: landing.host };
}

type DropKind = NonNullable<DecisionOf<'elsewhere'>['firstDrop']>['kind'];
const DROPS: readonly DropKind[] = ['rule', 'policy', 'route', 'neighbour', 'sysctl', 'socket'];
/** A decision that drops a packet (what a walk's `dropped` leg ends with); null for anything else. */
const asDrop = (d: Decision | null): (Decision & { kind: DropKind }) | null => (d && (DROPS as readonly string[]).includes(d.kind) ? (d as Decision & { kind: DropKind }) : null);

const nameOf = (p: Place) => (p.kind === 'container' ? `${p.host}/${p.name}` : p.kind === 'bridge' ? `${p.host}'s ${p.name}` : p.kind === 'lan' ? `the link beyond ${p.host}'s ${p.name}` : `host ${p.host}`);
const networkText = (o: Overlap) => `${o.host}'s ${o.network ? `network ${o.network}` : o.iface ?? 'interface'} (${o.subnet}${o.network && o.iface ? ` on ${o.iface}` : ''})`;

/**
 * The decision that the request (or reply) to `dst` lands (or would land, past `firstDrop`) at `landing`, not in
 * `expect` (null: an address was asked, not a container). `leg` is the walk that found the landing: its last route is
 * the one that took it there, and `shadow` what that route shadows when it is a party to a subnet collision.
 */
export function elsewhereDecision(host: HostModel, leg: Leg, dst: Ip, landing: Where, expect: ContainerModel | null, drop: Decision | null, shadow: Shadow | null = null, direction: 'request' | 'reply' = 'request'): DecisionOf<'elsewhere'> {
  const firstDrop = asDrop(drop);
  const landed: Place =
    landing.kind === 'container'
      ? { kind: 'container', host: landing.endpoint.container.host.name, name: landing.endpoint.container.name }
      : landing.kind === 'bridge' ? { kind: 'bridge', host: landing.host.name, name: landing.bridge } : landing.kind === 'lan' ? { kind: 'lan', host: landing.host.name, name: landing.iface } : { kind: 'host', host: landing.host.name, name: landing.host.name };
  const expected: Place | undefined = expect ? { kind: 'container', host: expect.host.name, name: expect.name } : undefined;
  const last = leg.lastRoute;
  const route = last?.at ? { at: last.at, table: last.table, route: routeText(last.entry) } : null;
  // Subnets overlap when the network that takes the address is not B's, yet claims B's address range.
  const mine = holding(landing, dst);
  const theirsEp = expect?.endpoints.find((e) => e.ip === dst) ?? null;
  const theirs = theirsEp && expect ? { overlap: { host: expect.host.name, network: theirsEp.network?.name ?? null, iface: bridgeOf(theirsEp), subnet: cidrText(endpointSubnet(theirsEp)) }, cidr: endpointSubnet(theirsEp), networkId: theirsEp.network?.id ?? null, host: expect.host } : null;
  const overlapping = mine !== null && theirs !== null && cidrsOverlap(mine.cidr, theirs.cidr) && (mine.host !== theirs.host || mine.networkId !== theirs.networkId);
  const overlap = overlapping ? [mine.overlap, theirs.overlap] : undefined;

  const where = nameOf(landed);
  const by = route && !shadow ? `; ${route.at.kind === 'container' ? `${route.at.name}'s` : `${route.at.host}'s`} route ${route.route}${route.table && route.table !== 'main' ? ` (table ${route.table})` : ''} takes it there` : '';
  const because = shadow
    ? shadowWords(shadow, dst)
    : overlap
      ? `${networkText(overlap[0]!)} and ${networkText(overlap[1]!)} overlap`
      : landed.kind === 'container' && expected && landed.host !== expected.host ? `both ${landed.host} and ${expected.host} use this address` : 'another holder of this address answers first';
  const goal = expected ? nameOf(expected) : `the holder of ${ipText(dst)}`;
  const first = firstDrop ? `; the drop on the way (${firstDrop.host}, ${firstDrop.code ?? firstDrop.kind}) is not the cause: without it the ${direction} would still not reach ${goal}` : '';
  const into =
    landing.kind === 'bridge' ? `${firstDrop ? 'would go' : 'goes'} into ${where} (where nothing answers for it), not to`
    : landing.kind === 'lan' ? `${firstDrop ? 'would leave' : 'leaves'} ${landing.host.name} on ${landing.iface}, away from`
    : `${firstDrop ? 'would land' : 'lands'} in ${where}, not in`;
  const reason = `the ${direction} to ${ipText(dst)} ${into} ${goal}: ${because}${by}${first}`;
  const code = overlap || shadow ? 'overlapping-subnet' : causeCode('elsewhere');
  return {
    kind: 'elsewhere',
    host: route?.at.host ?? host.name,
    direction,
    reason,
    landed,
    ...(expected ? { expected } : {}),
    route,
    ...(overlap ? { overlap } : {}),
    ...(shadow ? { shadow } : {}),
    firstDrop: firstDrop ? { host: firstDrop.host, kind: firstDrop.kind, ...(firstDrop.code ? { code: firstDrop.code } : {}), reason: firstDrop.reason } : null,
    ...(code ? { code } : {}),
  };
}
