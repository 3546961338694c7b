// Doctor for subnets that overlap. Across hosts: Docker networks on different hosts in view with overlapping subnets;
// each host delivers those addresses into its own bridge, so no container reaches the other host's containers there,
// whatever the firewalls say; the cure is to renumber all but one of them, never to remove a network its containers
// use. On a host: a Docker network colliding with a LAN or VPN prefix, an address of the host's own or another host's
// network ("Docker took my LAN"): one route shadows the other; the cure is a free subnet for the network, and
// default-address-pools so Docker's own choices stay off the LAN.
import type { World } from '../model/types.js';
import { collisionEffects, collisions, freeSubnets, overlappingSubnets, placeOf } from '../model/overlaps.js';
import type { Collision, SubnetOverlap, SubnetUse } from '../model/overlaps.js';
import { cidrText, inCidr, ipText, numberToIp } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import { routeText } from '../model/route-lookup.js';
import type { Finding } from './finding.js';

/** `a`, `a and b`, `a, b and c`. */
const listed = (xs: string[]) => (xs.length <= 2 ? xs.join(' and ') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
const name = (u: SubnetUse) => `${u.host.name}'s network ${u.network.name}${u.network.bridge ? ` (${u.network.bridge})` : ''}`;

/** How to move one network to `subnet`: the default bridge through daemon.json, a user network by a new one beside it. */
function renumber(u: SubnetUse, subnet: Cidr): string {
  const gateway = `${numberToIp((subnet.addr as number) + 1)}/${subnet.bits}`;
  if (u.network.isDefaultBridge) return `on ${u.host.name}, set "bip": "${gateway}" in /etc/docker/daemon.json (or "default-address-pools" for the networks Docker creates next) and restart dockerd: the default bridge and its containers move to ${cidrText(subnet)}`;
  const next = `${u.network.name}-2`;
  return `on ${u.host.name}, docker network create --subnet ${cidrText(subnet)} ${next}, docker network connect ${next} each container of ${u.network.name}, then docker network disconnect ${u.network.name} from each (the old network stays until you remove it)`;
}

/** How to move a segment's networks (bridged into one through their ports) together to `subnet`. */
function renumberSegment(uses: SubnetUse[], subnet: Cidr): string {
  return `on ${listed(uses.map((u) => u.host.name))}, whose ${uses.map((u) => u.network.bridge ?? u.network.name).join(' and ')} are one segment, move them together to ${cidrText(subnet)}: a "bip" in it on each host (a different address on each) and "fixed-cidr" giving each host its own part, then restart dockerd`;
}

export function overlapFindings(world: World): Finding[] {
  return findingsFor(world, overlappingSubnets(world));
}

/** One finding per overlapping group, in the groups' order. */
function findingsFor(world: World, groups: SubnetOverlap[]): Finding[] {
  const out: Finding[] = [];
  const place = placeOf(world);
  const free = freeSubnets(world, groups.reduce((n, g) => n + new Set(g.uses.map(place)).size - 1, 0));
  for (const g of groups) {
    // Addresses held in more than one place of the group: the requests that land on the wrong holder today.
    const holders = new Map<string, { place: string; who: string }[]>();
    for (const u of g.uses) {
      for (const c of u.host.containers) {
        for (const e of c.endpoints) {
          if (e.network?.id === u.network.id && inCidr(e.ip, u.subnet)) holders.set(e.ipText, [...(holders.get(e.ipText) ?? []), { place: place(u), who: `${u.host.name}/${c.name}` }]);
        }
      }
    }
    const twice = [...holders].filter(([, list]) => new Set(list.map((x) => x.place)).size > 1);
    const byPlace = new Map<string, SubnetUse[]>();
    for (const u of g.uses) byPlace.set(place(u), [...(byPlace.get(place(u)) ?? []), u]);
    const [kept, ...others] = [...byPlace.values()] as [SubnetUse[], ...SubnetUse[][]];
    const moves = others.map((uses) => {
      const subnet = free.shift();
      if (!subnet) return `on ${uses.map((u) => u.host.name).join(' and ')}, give ${uses.map((u) => u.network.name).join(' and ')} a subnet no host in view uses`;
      return uses.length > 1 ? renumberSegment(uses, subnet) : renumber(uses[0] as SubnetUse, subnet);
    });
    out.push({
      code: 'subnet-overlap-across-hosts',
      severity: 'warning',
      host: (kept[0] as SubnetUse).host.name,
      subject: g.shared,
      title: `${listed(g.uses.map(name))} overlap on ${g.shared}: each host delivers these addresses into its own bridge, so no container reaches another host's containers there${twice.length ? ` (${twice.length} address${twice.length === 1 ? ' is' : 'es are'} held on more than one host)` : ''}`,
      evidence: [
        ...g.uses.map((u) => `${u.host.name}: network ${u.network.name}${u.network.bridge ? ` on ${u.network.bridge}` : ''}: ${cidrText(u.subnet)}`),
        ...twice.slice(0, 5).map(([ip, list]) => `${ip}: ${list.map((x) => x.who).join(', ')}`),
      ],
      fix: `keep ${listed(kept.map(name))} and give the others a subnet of their own, free on the hosts in view: ${moves.join('; ')}`,
    });
  }
  return out;
}

/** The renumbering doctor advises for the overlap a network on a host is part of (null: it overlaps nothing in view). */
export function renumberingFor(world: World, host: string, network: string): string | null {
  // Found in the groups once: the overlap sweep and its segment walk are not done again for the findings.
  const groups = overlappingSubnets(world);
  const i = groups.findIndex((g) => g.uses.some((u) => u.host.name === host && u.network.name === network));
  return i < 0 ? null : (findingsFor(world, groups)[i]?.fix ?? null);
}

/** Docker's own default pools (172.17.0.0/16–172.31.0.0/16, 192.168.0.0/16 in /20s): a subnet in them Docker likely chose itself. */
const DOCKER_POOLS: Cidr[] = [{ addr: (172 * 2 ** 24) + (16 << 16), bits: 12 }, { addr: (192 * 2 ** 24) + (168 << 16), bits: 16 }];

/** The exact commands that move one network to `subnet`: a new network beside it, its containers moved, the old one removed. */
function recreate(c: Collision, subnet: Cidr): string {
  const n = c.network;
  if (n.isDefaultBridge) return `set "bip": "${numberToIp((subnet.addr as number) + 1)}/${subnet.bits}" in /etc/docker/daemon.json and restart dockerd (the default bridge and its containers move to ${cidrText(subnet)})`;
  const next = `${n.name}-2`;
  const on = c.host.containers.filter((ct) => ct.endpoints.some((e) => e.network?.id === n.id)).map((ct) => ct.name);
  const driver = n.driver !== 'bridge' ? ` -d ${n.driver}${Object.entries(n.options).filter(([k]) => k === 'parent' || k.endsWith('_mode')).map(([k, v]) => ` -o ${k}=${v}`).join('')}` : '';
  const steps = [`docker network create${driver} --subnet ${cidrText(subnet)} ${next}`, ...on.map((ct) => `docker network connect ${next} ${ct}`), ...on.map((ct) => `docker network disconnect ${n.name} ${ct}`), `docker network rm ${n.name}`];
  return steps.join('; ');
}

/** What a collision's prefix is, for people. */
function prefixText(c: Collision): string {
  const w = c.with;
  const table = w.table && w.table !== 'main' ? ` (table ${w.table})` : '';
  if (w.kind === 'on-link') return `the LAN ${cidrText(w.prefix)} on ${w.iface}${table}`;
  if (w.kind === 'route') return `the route ${w.entry ? routeText(w.entry) : cidrText(w.prefix)}${table}`;
  if (w.kind === 'address') return `${c.host.name}'s own address ${ipText(w.prefix.addr)} on ${w.iface}`;
  return `${w.host}'s network ${cidrText(w.prefix)} on ${w.iface}`;
}

const some = (xs: { ip: Ip; who: string }[]) => `${xs.slice(0, 3).map((x) => `${ipText(x.ip)} (${x.who})`).join(', ')}${xs.length > 3 ? ` and ${xs.length - 3} more` : ''}`;

/** One finding per collision of a Docker network with a LAN/VPN prefix, an own address or another host's network in view. */
export function collisionFindings(world: World): Finding[] {
  const found = collisions(world);
  const free = freeSubnets(world, new Set(found.map((c) => `${c.host.name}/${c.network.id}`)).size);
  const moveTo = new Map<string, Cidr | undefined>();
  return found.map((c) => {
    const key = `${c.host.name}/${c.network.id}`;
    if (!moveTo.has(key)) moveTo.set(key, free.shift());
    const subnet = moveTo.get(key);
    const { forContainers, forHost, members } = collisionEffects(world, c);
    const net = `network ${c.network.name} (${cidrText(c.subnet)}${c.bridge ? ` on ${c.bridge}` : ''})`;
    const shared = cidrText(c.shared);
    const said: string[] = [];
    if (c.with.kind === 'address') said.push(`Docker may give a container on ${c.network.name} that address, and then two hold it`);
    else {
      said.push(`its containers look for ${shared} on ${c.bridge ?? `${c.network.name}'s own link`}, never ${c.with.kind === 'route' ? `via ${c.with.entry?.gateway !== null && c.with.entry ? ipText(c.with.entry.gateway) : 'that route'}` : `on ${c.with.iface}`}${forContainers.length ? `: ${some(forContainers)} unreachable from them` : ''}`);
      if (forHost.length) said.push(`${c.host.name} itself, and every container it routes, sends ${some(forHost)} into ${c.bridge} instead`);
      if (members.length) said.push(`${c.host.name} sends ${shared} to ${c.with.iface}, so ${some(members)} ${members.length === 1 ? 'is' : 'are'} cut off: nothing off the bridge reaches ${members.length === 1 ? 'it' : 'them'}, and replies to ${members.length === 1 ? 'it' : 'them'} leave on ${c.with.iface}`);
    }
    const shadows = forContainers.length > 0 || members.length > 0;
    const chosen = DOCKER_POOLS.some((p) => inCidr(c.subnet.addr, p));
    const pools = subnet ? `; and so Docker's own choices stay off ${shared}, "default-address-pools": [{"base": "${cidrText(subnet.bits <= 16 ? subnet : { addr: subnet.addr, bits: 16 })}", "size": 24}] in /etc/docker/daemon.json (restart dockerd)` : '';
    const move = subnet ? `on ${c.host.name}, ${recreate(c, subnet)}` : `on ${c.host.name}, give ${c.network.name} a subnet no host in view uses`;
    return {
      code: 'subnet-overlaps-route',
      severity: shadows ? 'error' : 'warning',
      host: c.host.name,
      subject: c.network.name,
      title: `${c.host.name}'s ${net} collides with ${prefixText(c)}: ${said.join('; ')}`,
      evidence: [
        `network ${c.network.name}${c.bridge ? ` on ${c.bridge}` : ''}: ${cidrText(c.subnet)}${chosen ? ' (in Docker\'s own default pools: likely chosen by Docker)' : ''}`,
        c.with.entry ? `route ${routeText(c.with.entry)} (table ${c.with.table ?? 'main'})` : `${c.with.host}: ${c.with.iface} ${cidrText(c.with.prefix)}`,
        ...[...forContainers, ...members].slice(0, 5).map((x) => `${ipText(x.ip)}: ${x.who}`),
      ],
      fix: `${move}${chosen || c.network.isDefaultBridge ? pools : ''}`,
    } satisfies Finding;
  });
}

/** The fix doctor gives for a collision of a network on a host (null: it collides with nothing). */
export function collisionFixFor(world: World, host: string, network: string): string | null {
  return collisionFindings(world).find((f) => f.host === host && f.subject === network)?.fix ?? null;
}
