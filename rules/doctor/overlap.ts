// Doctor across hosts: Docker networks on different hosts in view with overlapping subnets. Each host delivers those
// addresses into its own bridge, so no container reaches the other host's containers there, whatever the firewalls
// say; the cure is to renumber all but one of them, never to remove a network its containers use.
import type { World } from '../model/types.js';
import { freeSubnets, overlappingSubnets, placeOf } from '../model/overlaps.js';
import type { SubnetOverlap, SubnetUse } from '../model/overlaps.js';
import { cidrText, inCidr, numberToIp } from '../addr/addr.js';
import type { Cidr } from '../addr/addr.js';
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
