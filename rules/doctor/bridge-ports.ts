// Doctor: ports of Docker's bridges that no container netdiag read accounts for. A veth whose other end is in another
// namespace leads out of this host's view — the uplink of a bridged two-host setup, a VM's or another namespace's
// link, or a container whose namespace was not read — and a port that is no veth leads off the host: each is said as
// such, never "delete" (on one host, as operators run doctor, the other end cannot be seen). Only a pair whose both
// ends are in this namespace, the other end idle, is a leftover netdiag can show, and its removal is still checked first.
import { swarmEnds } from '../model/swarm-ends.js';
import type { HostSnapshot, Interface } from '../../snapshot/host-snapshot.js';
import type { Finding } from './finding.js';

/** Where a bridge port's other end is, as far as this host's snapshot shows it. */
type OtherEnd =
  | { kind: 'idle-here'; peer: Interface }
  | { kind: 'here'; peer: Interface }
  | { kind: 'container'; container: string; nsid: number }
  | { kind: 'other-namespace'; nsid: number; ifindex: number | null }
  | { kind: 'unknown' }
  | { kind: 'not-veth' };

function otherEnd(port: Interface, ifaces: Interface[], containerNsids: Map<number, string>): OtherEnd {
  if (port.kind !== 'veth') return { kind: 'not-veth' };
  const p = port.peer;
  if (!p || (p.netnsId === null && p.ifindex === null && p.name === null)) return { kind: 'unknown' };
  if (p.netnsId === null) {
    const peer = ifaces.find((i) => (p.ifindex !== null ? i.ifindex === p.ifindex : i.name === p.name));
    if (!peer) return { kind: 'unknown' };
    // Down, on no bridge, without an address: the other end carries nothing (a link-local IPv6 address aside, which the kernel adds itself).
    const idle = !peer.up && peer.master === null && peer.addresses.every((a) => a.family === 'inet6' && a.scope === 'link');
    return idle ? { kind: 'idle-here', peer } : { kind: 'here', peer };
  }
  const container = containerNsids.get(p.netnsId);
  if (container) return { kind: 'container', container, nsid: p.netnsId };
  return { kind: 'other-namespace', nsid: p.netnsId, ifindex: p.ifindex };
}

export function bridgePortFindings(s: HostSnapshot): Finding[] {
  if (!s.links || !s.docker) return [];
  const host = s.name;
  const ifaces = s.links.interfaces;
  const bridges = new Set(s.docker.networks.map((n) => n.bridge).filter((b): b is string => b !== null));
  const names = new Map(s.docker.containers.map((c) => [c.id, c.name]));
  // The host ends of the containers' veths netdiag read, and the namespace (nsid, as seen from the host) each leads to.
  const used = new Map<number, string>();
  for (const sb of s.links.sandboxes) for (const i of sb.interfaces) if (i.hostVeth) used.set(i.hostVeth.ifindex, names.get(sb.containerId) ?? sb.containerId.slice(0, 12));
  const containerNsids = new Map<number, string>();
  for (const i of ifaces) {
    const c = used.get(i.ifindex);
    if (c && i.peer?.netnsId !== null && i.peer?.netnsId !== undefined) containerNsids.set(i.peer.netnsId, c);
  }
  const read = new Set(s.links.sandboxes.map((sb) => sb.containerId));
  // Containers with a namespace of their own that netdiag did not enter: one of them may be the other end.
  const unread = s.docker.containers.filter((c) => !read.has(c.id) && c.sandboxKey && (c.networkModeKind === 'bridge' || c.networkModeKind === 'network')).map((c) => c.name);
  const out: Finding[] = [];
  // swarm's own namespaces (ingress_sbox) hold the other end of some: Docker's links, read in the swarm part.
  const swarm = swarmEnds(s);
  for (const port of ifaces.filter((i) => i.master !== null && bridges.has(i.master) && !used.has(i.ifindex) && !swarm.has(i.ifindex))) {
    const end = otherEnd(port, ifaces, containerNsids);
    const at = `${port.name} (ifindex ${port.ifindex}${port.kind ? `, ${port.kind}` : ''}) master ${port.master}`;
    const look = `ip -d link show ${port.name}`;
    if (end.kind === 'idle-here') {
      out.push({ code: 'orphan-veth', severity: 'warning', host, subject: port.name, title: `veth ${port.name} on ${port.master} belongs to no container: its other end ${end.peer.name} is in this namespace, down, on no bridge and without an address`, evidence: [`${at}, peer ${end.peer.name} (ifindex ${end.peer.ifindex}) in this namespace`, `${end.peer.name}: ${end.peer.up ? 'up' : 'down'}, no master, no address`], fix: `check that nothing uses ${end.peer.name} (${look}; ip -d link show ${end.peer.name}), then ip link delete ${port.name} removes both ends` });
      continue;
    }
    const where: Record<Exclude<OtherEnd['kind'], 'idle-here'>, string> = {
      here: end.kind === 'here' ? `its other end ${end.peer.name} is in this namespace${end.peer.master ? ` on ${end.peer.master}` : ''}${end.peer.addresses.some((a) => a.scope !== 'link') ? `, with ${end.peer.addresses.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixLen}`).join(', ')}` : ''}: a link netdiag does not follow` : '',
      container: end.kind === 'container' ? `its other end is in ${end.container}'s namespace (nsid ${end.nsid}), but is not the interface Docker gave it: an interface added to the container by hand` : '',
      'other-namespace': end.kind === 'other-namespace' ? `its other end${end.ifindex !== null ? ` (ifindex ${end.ifindex})` : ''} is in another network namespace (nsid ${end.nsid}) that holds none of the containers netdiag read — possibly the uplink of a bridged multi-host setup, or a VM's or another namespace's link${unread.length ? `, or the namespace of ${unread.join(', ')}, which netdiag did not read` : ''}` : '',
      unknown: `netdiag cannot tell where its other end is${unread.length ? ` (possibly in ${unread.join(', ')}, whose namespace it did not read)` : ''}`,
      'not-veth': `it is ${port.kind ? `a ${port.kind} device` : 'a network device'}, not a container's veth: it leads off the host (an uplink)`,
    };
    out.push({
      code: 'bridge-port-outside-view',
      severity: 'info',
      host,
      subject: port.name,
      title: `${port.name} on ${port.master} is no container's port: ${where[end.kind]}`,
      evidence: [at, ...(port.peer ? [`peer: ifindex ${port.peer.ifindex ?? '?'}${port.peer.netnsId !== null ? `, link-netnsid ${port.peer.netnsId}` : ', this namespace'}${port.peer.name ? `, ${port.peer.name}` : ''}`] : [])],
      fix: `nothing to remove from here: see what is at the other end (${look}${end.kind === 'other-namespace' ? `; ip netns list-id; lsns -t net` : ''}); collect that host or namespace too (--snapshot each) and netdiag follows the segment`,
    });
  }
  return out;
}
