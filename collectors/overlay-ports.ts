// A container's overlay interface is a veth whose peer is a port of br0 in the overlay network's own namespace, not
// a host veth: map it there (SandboxInterface.overlayPort), from what the links and swarm collectors already read.
import type { SandboxReading } from './collector.js';
import { parseIpAddr } from './iproute-json.js';
import type { DockerPart, Interface, LinksPart, SwarmPart } from '../snapshot/host-snapshot.js';

/**
 * The links collector matches a container's veth to the host veth whose ifindex its peer names; ifindexes are per
 * namespace, so an overlay veth's peer index can name an unrelated host veth (a collision). Here the match is made in
 * the overlay namespace of a network the container has an endpoint on, both ways (its veth names ours, ours names
 * it): that interface gets overlayPort and loses any host veth the links collector found. Changes `links` in place.
 */
export function attachOverlayPorts(links: LinksPart, swarm: SwarmPart, docker: DockerPart | null, readings: readonly SandboxReading[]): void {
  const overlays = swarm.namespaces.filter((n) => n.role === 'overlay');
  for (const sb of links.sandboxes) {
    const reading = readings.find((r) => r.sandbox.containerId === sb.containerId);
    if (!reading || 'error' in reading.result) continue;
    const container = docker?.containers.find((c) => c.id === sb.containerId);
    const networks = new Set(container?.endpoints.map((e) => e.networkId) ?? []);
    const candidates = overlays.filter((n) => n.networkId !== null && networks.has(n.networkId));
    if (candidates.length === 0) continue;
    let inside: Interface[];
    try {
      inside = parseIpAddr(reading.result.addr);
    } catch {
      continue; // the links collector already reported this sandbox
    }
    for (const iface of sb.interfaces) {
      const raw = inside.find((i) => i.ifindex === iface.ifindex);
      if (!raw || raw.kind !== 'veth' || raw.peer?.ifindex == null || raw.peer.netnsId === null) continue;
      const hits = candidates.flatMap((ns) =>
        ns.interfaces.filter((v) => v.kind === 'veth' && v.ifindex === raw.peer?.ifindex && v.peer?.ifindex === raw.ifindex && v.peer.netnsId !== null).map((v) => ({ ns, v })),
      );
      if (hits.length !== 1) continue;
      const { ns, v } = hits[0] as (typeof hits)[number];
      iface.overlayPort = { namespace: ns.name, veth: v.name, bridge: v.master };
      iface.hostVeth = null;
      iface.bridge = null;
    }
  }
}
