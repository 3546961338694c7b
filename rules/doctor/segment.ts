// Doctor across hosts: Docker bridges joined on one segment through bridged ports (eth1 enslaved to docker0 on two
// hosts, the operators' recipe) work, with the recipe's pitfalls: one gateway address owned twice, and two IPAMs that
// each know only their own addresses.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { doctor } from './doctor.js';
import type { Finding } from './finding.js';
import { cidrText, cidrsOverlap, parseCidr } from '../addr/addr.js';
import { buildWorld } from '../model/build.js';
import { segmentPeers } from '../model/segment-peers.js';
import { collisionFindings, overlapFindings } from './overlap.js';
import { dnsFindings } from './dns.js';
import { macvlanFindings } from './macvlan.js';
import { swarmFindings } from './swarm.js';

/** Every host's own findings, and what only shows across the hosts in view. */
export function doctorAll(snapshots: HostSnapshot[]): Finding[] {
  const world = buildWorld(snapshots);
  const linked = new Set<string>();
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const h of world.hosts) {
    for (const [bridge, ports] of h.foreignPorts) {
      for (const peer of segmentPeers(world, h, bridge)) {
        for (const p of ports) linked.add(`${h.name}/${p}`);
        linked.add(`${peer.host.name}/${peer.port}`);
        const pair = [`${h.name}/${bridge}`, `${peer.host.name}/${peer.bridge}`].sort().join(' ');
        if (seen.has(pair)) continue;
        seen.add(pair);
        const mine = (h.interfaces.get(bridge)?.addresses ?? []).filter((a) => a.family === 'inet').map((a) => a.local);
        const theirs = new Set((peer.host.interfaces.get(peer.bridge)?.addresses ?? []).filter((a) => a.family === 'inet').map((a) => a.local));
        const both = mine.filter((a) => theirs.has(a));
        const where = `${h.name}'s ${bridge} and ${peer.host.name}'s ${peer.bridge} share a segment (through ${ports.join(', ')} and ${peer.port})`;
        if (both.length > 0) {
          out.push({ code: 'segment-duplicate-gateway', severity: 'warning', host: h.name, title: `${where}, and both own ${both.join(', ')}: the containers' gateway answers from either host, so traffic leaving the segment may take the other host`, evidence: both.map((a) => `${a} on ${h.name}/${bridge} and on ${peer.host.name}/${peer.bridge}`), fix: `give one bridge another address in the same subnet ("bip" in daemon.json, e.g. the last address of the subnet) and keep one gateway for the segment` });
        }
        const ips = new Map<string, string>();
        for (const [host, br] of [[h, bridge], [peer.host, peer.bridge]] as const) {
          for (const e of host.endpointsOnBridge.get(br) ?? []) {
            const other = ips.get(e.ipText);
            if (other && !other.startsWith(`${host.name}/`)) {
              out.push({ code: 'segment-duplicate-address', severity: 'error', host: host.name, title: `${other} and ${host.name}/${e.container.name} both hold ${e.ipText} on one segment: each host's IPAM knows only its own containers`, evidence: [`${e.ipText}: ${other}, ${host.name}/${e.container.name}`], fix: 'split the subnet between the hosts ("fixed-cidr" per host, e.g. 172.17.0.0/24 and 172.17.1.0/24), then restart the containers on one side' });
            }
            ips.set(e.ipText, `${host.name}/${e.container.name}`);
          }
        }
        const ranges = (host: typeof h, br: string) => (host.snapshot.docker?.networks ?? []).filter((n) => n.bridge === br).flatMap((n) => n.subnets.map((s) => parseCidr(s.ipRange ?? s.subnet))).filter((c): c is NonNullable<typeof c> => c !== null);
        if (ranges(h, bridge).some((a) => ranges(peer.host, peer.bridge).some((b) => cidrsOverlap(a, b)))) {
          out.push({ code: 'segment-ipam-overlap', severity: 'warning', host: h.name, title: `${where}, and their address ranges overlap: the two hosts can hand out the same container address`, evidence: [`${h.name}/${bridge}: ${ranges(h, bridge).map(cidrText).join(', ')}`, `${peer.host.name}/${peer.bridge}: ${ranges(peer.host, peer.bridge).map(cidrText).join(', ')}`], fix: 'give each host its own part of the subnet with "fixed-cidr" in daemon.json' });
        }
      }
    }
  }
  // A bridged port that leads to another host in view is the recipe's cable, not a container's leftover veth.
  // Each host's checks read the rules the world already parsed and gave meanings to.
  const own = world.hosts.flatMap((h) => doctor(h.snapshot, h)).filter((f) => !((f.code === 'orphan-veth' || f.code === 'bridge-port-outside-view') && linked.has(`${f.host}/${f.subject}`)));
  // DNS needs the walk (the forwarder's queries, the way to the resolver): read from the model, per host.
  const dns = world.hosts.flatMap((h) => dnsFindings(world, h));
  // An overlay's collisions are said by the swarm findings, with what they mean inside its containers.
  const overlays = new Set(world.hosts.flatMap((h) => (h.snapshot.docker?.networks ?? []).filter((n) => n.driver === 'overlay').map((n) => `${h.name}/${n.name}`)));
  const collided = collisionFindings(world).filter((f) => !overlays.has(`${f.host}/${f.subject}`));
  return [...own, ...out, ...overlapFindings(world), ...collided, ...macvlanFindings(world), ...dns, ...swarmFindings(world)];
}
