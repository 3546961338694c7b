// Host ports whose other end is in one of swarm's own namespaces (ingress_sbox's eth1 on docker_gwbridge): Docker's
// links, matched by both ends' ifindexes, neither a container's nor a cable to another host.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';

/** The ifindexes of the host's interfaces that lead into a swarm namespace. */
export function swarmEnds(s: HostSnapshot): Set<number> {
  const out = new Set<number>();
  // Veths only: a VXLAN device's `peer` is its link (link_index), not the other end of a pair.
  const ends = new Set((s.swarm?.namespaces ?? []).flatMap((n) => n.interfaces.filter((i) => i.kind === 'veth' && i.peer?.ifindex != null).map((i) => `${i.peer?.ifindex}:${i.ifindex}`)));
  for (const i of s.links?.interfaces ?? []) if (i.peer?.ifindex != null && ends.has(`${i.ifindex}:${i.peer.ifindex}`)) out.add(i.ifindex);
  return out;
}
