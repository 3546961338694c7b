// Doctor: what breaks an overlay between swarm nodes besides their firewalls — data-path addresses that do not route
// to each other, an overlay subnet that shadows a LAN, a route or a bridge network inside the containers on it, and an
// overlay MTU the path between the nodes cannot carry once VXLAN adds its 50 bytes.
import type { DockerNetwork, SwarmPart } from '../../snapshot/host-snapshot.js';
import { cidrText, cidrsOverlap, ipText, parseCidr } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { HostModel, World } from '../model/types.js';
import { routeLookup, routeText } from '../model/route-lookup.js';
import type { RouteDecision } from '../model/route-lookup.js';
import { collisions } from '../model/overlaps.js';
import { MTU_OPTION } from '../meaning/layouts.js';
import { nodeAddrs, swarmHosts, swarmPeers } from './swarm-ports.js';
import type { SwarmPeer } from './swarm-ports.js';
import type { Finding } from './finding.js';

/** What VXLAN over IPv4 adds to every frame: outer IPv4 (20) + UDP (8) + VXLAN (8) + the inner Ethernet header (14). */
export const VXLAN_OVERHEAD = 50;
/** Docker's overlay MTU when no option sets it: 1500 less the overhead (moby's overlay driver). */
export const DOCKER_OVERLAY_MTU = 1450;

const lookup = (h: HostModel, dst: Ip): RouteDecision | null => (h.routing ? routeLookup(h.routing, { dst, src: null, iif: null, mark: 0, proto: 17, sport: 0, dport: 0, ephemeral: null }) : null);

/** Overlay networks of a node (the ingress network's too), as Docker lists them. */
const overlays = (h: HostModel): DockerNetwork[] => (h.snapshot.docker?.networks ?? []).filter((n) => n.driver === 'overlay');

/** Each pair of nodes whose data-path addresses do not route to each other, said on the node that has no route. */
function unroutable(world: World): Finding[] {
  const out: Finding[] = [];
  for (const h of swarmHosts(world)) {
    const { data } = nodeAddrs(h.snapshot.swarm as SwarmPart);
    if (data === null || !h.routing) continue;
    for (const peer of swarmPeers(world, h)) {
      const d = lookup(h, peer.dataPathAddr);
      if (!d || d.kind === 'unicast' || d.kind === 'local' || d.kind === 'unknown') continue;
      out.push({
        code: 'swarm-data-path-unroutable',
        severity: 'error',
        host: h.name,
        subject: peer.name,
        title: `${h.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${peer.name}'s data-path address ${ipText(peer.dataPathAddr)}: its VXLAN packets for ${peer.name} go nowhere, so no overlay carries anything between them`,
        evidence: [`${h.name}'s data-path address ${ipText(data)}`, `${peer.name}'s data-path address ${ipText(peer.dataPathAddr)}`, d.entry ? `route ${routeText(d.entry)} (table ${d.table ?? 'main'})` : `no route to ${ipText(peer.dataPathAddr)} in ${h.name}'s tables`, ...(peer.assumed ? [peer.assumed] : [])],
        fix: `give ${h.name} a route to ${ipText(peer.dataPathAddr)} (ip route add ${ipText(peer.dataPathAddr)}/32 via <a gateway on the way>), or make the nodes advertise addresses on a network they share (docker swarm join --data-path-addr <address> / --advertise-addr <address>)`,
      });
    }
  }
  return out;
}

/**
 * An overlay subnet that something else on the hosts in view also claims: a host's LAN or route (moby's collision
 * check covers only the host where the network is created), or a bridge network's subnet. Inside a container on the
 * overlay its on-link route takes those addresses, so the container never reaches them by its default route.
 */
function subnetCollisions(world: World): Finding[] {
  const out: Finding[] = [];
  const hosts = swarmHosts(world);
  for (const c of collisions(world)) {
    if (c.network.driver !== 'overlay' || !hosts.includes(c.host)) continue;
    const what = c.with.entry ? `${c.with.host}'s route ${routeText(c.with.entry)}${c.with.table && c.with.table !== 'main' ? ` (table ${c.with.table})` : ''}` : `${c.with.host}'s ${c.with.iface} ${cidrText(c.with.prefix)}`;
    out.push({ code: 'overlay-subnet-collision', severity: 'error', host: c.host.name, subject: c.network.name, title: `overlay ${c.network.name} (${cidrText(c.subnet)}) collides with ${what}: inside every container on ${c.network.name}, its on-link route takes ${cidrText(c.shared)}, which the LAN holds`, evidence: [`overlay ${c.network.name}: ${cidrText(c.subnet)}`, what], fix: renumber(c.network) });
  }
  // A bridge network's subnet on any host in view: a container on both holds two on-link routes for one range.
  for (const h of hosts) {
    for (const n of overlays(h)) {
      for (const s of n.subnets) {
        const subnet = parseCidr(s.subnet);
        if (!subnet) continue;
        for (const o of world.hosts) {
          for (const b of o.snapshot.docker?.networks ?? []) {
            if (b.driver !== 'bridge') continue;
            const hit = b.subnets.map((x) => parseCidr(x.subnet)).find((x): x is Cidr => x !== null && typeof x.addr === typeof subnet.addr && cidrsOverlap(x, subnet));
            if (!hit) continue;
            out.push({ code: 'overlay-subnet-collision', severity: 'error', host: h.name, subject: n.name, title: `overlay ${n.name} (${cidrText(subnet)}) overlaps ${o.name}'s bridge network ${b.name} (${cidrText(hit)}): a container on both has two on-link routes for one range, and the overlay's containers reach none of ${b.name}'s addresses through their gateway`, evidence: [`overlay ${n.name}: ${cidrText(subnet)}`, `${o.name}: bridge network ${b.name}${b.bridge ? ` on ${b.bridge}` : ''}: ${cidrText(hit)}`], fix: renumber(n) });
          }
        }
      }
    }
  }
  return out;
}

/** What `docker network create` must say again for an overlay: ingress, attachable, encrypted. */
const create = (n: DockerNetwork) => `${n.ingress ? ' --ingress' : ''}${n.attachable ? ' --attachable' : ''}${n.options.encrypted !== undefined ? ' --opt encrypted' : ''}`;

/** Recreating an overlay with a subnet of its own: its services and attached containers must be moved first. */
const renumber = (n: DockerNetwork) => `recreate ${n.name} with a subnet no host in view uses: docker network rm ${n.name}; docker network create -d overlay${create(n)} --subnet <a free range> ${n.name} (remove or move its services and containers first), or keep swarm's choices off the LAN with docker swarm init --default-addr-pool <range>`;

/** An overlay's MTU on a node: its VXLAN device's in the overlay namespace, else the network's option, else Docker's default. */
function overlayMtu(h: HostModel, n: DockerNetwork): { mtu: number; from: string } {
  const ns = (h.snapshot.swarm?.namespaces ?? []).find((x) => x.role === 'overlay' && x.networkId !== null && (x.networkId === n.id || n.id.startsWith(x.networkId)));
  const vx = ns?.interfaces.find((i) => i.kind === 'vxlan');
  if (vx) return { mtu: vx.mtu, from: `${vx.name} mtu ${vx.mtu} in ${ns?.name}` };
  const opt = Number(n.options[MTU_OPTION]);
  if (Number.isInteger(opt) && opt > 0) return { mtu: opt, from: `${MTU_OPTION}=${opt}` };
  return { mtu: DOCKER_OVERLAY_MTU, from: `Docker's default ${DOCKER_OVERLAY_MTU} (no namespace of ${n.name} read on ${h.name}, no MTU option)` };
}

/** Each overlay whose MTU plus VXLAN's overhead exceeds the MTU of the interface a node sends a peer's VXLAN out of. */
function mtu(world: World): Finding[] {
  const out: Finding[] = [];
  for (const h of swarmHosts(world)) {
    const peers: SwarmPeer[] = swarmPeers(world, h);
    for (const n of overlays(h)) {
      const o = overlayMtu(h, n);
      const short: string[] = [];
      let least = Infinity;
      for (const p of peers) {
        const d = lookup(h, p.dataPathAddr);
        const dev = d?.kind === 'unicast' ? d.entry?.route.dev : null;
        const i = dev ? h.interfaces.get(dev) : undefined;
        if (!i || i.mtu >= o.mtu + VXLAN_OVERHEAD) continue;
        least = Math.min(least, i.mtu);
        short.push(`to ${p.name} (${ipText(p.dataPathAddr)}) out of ${i.name}, mtu ${i.mtu}`);
      }
      if (short.length === 0) continue;
      out.push({ code: 'overlay-mtu', severity: 'error', host: h.name, subject: n.name, title: `overlay ${n.name} has MTU ${o.mtu}, but ${h.name}'s path to its peers carries ${least}: a full-size frame becomes a ${o.mtu + VXLAN_OVERHEAD}-byte VXLAN packet, which is dropped or fragmented (small pings pass, large transfers stall)`, evidence: [`overlay ${n.name}: ${o.from}`, `VXLAN adds ${VXLAN_OVERHEAD} bytes: ${o.mtu} + ${VXLAN_OVERHEAD} = ${o.mtu + VXLAN_OVERHEAD}`, ...short], fix: `the MTU is Docker's network option: recreate ${n.name} with docker network create -d overlay${create(n)} --opt ${MTU_OPTION}=${least - VXLAN_OVERHEAD} … ${n.name} (after docker network rm ${n.name}; its services and containers move first), or raise the underlay's MTU to ${o.mtu + VXLAN_OVERHEAD} on every node's path` });
    }
  }
  return out;
}

/**
 * Ports published through the routing mesh on a node whose ingress_sbox has no IPVS read: dockerd cannot program the
 * mesh there ("Could not get ipvs family information from the kernel"), so those ports answer nowhere on that node.
 */
function meshWithoutIpvs(world: World): Finding[] {
  const out: Finding[] = [];
  const published = swarmHosts(world).flatMap((h) => (h.snapshot.swarm?.services ?? []).flatMap((svc) => svc.ports.filter((p) => p.publishMode === 'ingress' && p.publishedPort !== null).map((p) => `${svc.name} ${p.publishedPort}/${p.protocol}`)));
  if (published.length === 0) return out;
  for (const h of swarmHosts(world)) {
    const sbox = h.snapshot.swarm?.namespaces.find((n) => n.role === 'ingress-sbox');
    if (!sbox || sbox.ipvs !== null) continue;
    out.push({ code: 'ingress-without-ipvs', severity: 'warning', host: h.name, subject: 'ingress', title: `${h.name} has no IPVS in ingress_sbox (the kernel lacks ip_vs, or it was not read): the routing mesh cannot publish ${published.join(', ')} on ${h.name}, and service VIPs are not balanced there`, evidence: [`ingress_sbox: /proc/net/ip_vs absent`, ...published.map((p) => `published through ingress: ${p}`)], fix: `load IPVS on ${h.name} (modprobe ip_vs ip_vs_rr; persist in /etc/modules-load.d/), then restart dockerd; or publish in host mode (--publish mode=host,…) on the nodes running a task` });
  }
  return out;
}

/**
 * A load-balancing namespace (lb_<network> for VIPs, ingress_sbox for the mesh) with IPVS services to balance but
 * net.ipv4.ip_forward 0: the tasks' replies must be forwarded back through it, and are dropped (moby#38723; a new
 * namespace copies the machine's first namespace's setting, not dockerd's).
 */
function balancersNotForwarding(world: World): Finding[] {
  const out: Finding[] = [];
  for (const h of swarmHosts(world)) {
    for (const ns of h.snapshot.swarm?.namespaces ?? []) {
      if (ns.role === 'overlay' || !ns.ipvs || ns.ipvs.length === 0 || ns.sysctls['net.ipv4.ip_forward'] !== '0') continue;
      const balanced = ns.ipvs.map((v) => (v.protocol === 'FWM' ? `mark ${v.fwmark}` : `${v.address}:${v.port}/${v.protocol.toLowerCase()}`));
      out.push({
        code: 'balancer-not-forwarding',
        severity: 'error',
        host: h.name,
        subject: ns.name,
        title: `${h.name}'s ${ns.name} balances ${balanced.length} service${balanced.length === 1 ? '' : 's'} with IPVS but does not forward (net.ipv4.ip_forward 0 there): the tasks' replies are dropped in it, so ${ns.role === 'ingress-sbox' ? 'published ports' : 'service VIPs'} time out on ${h.name}`,
        evidence: [`${ns.name}: net.ipv4.ip_forward = 0`, `IPVS in ${ns.name}: ${balanced.join(', ')}`],
        fix: `nsenter --net=${ns.path} sysctl -w net.ipv4.ip_forward=1 (until dockerd recreates it); lasting: make sure net.ipv4.ip_forward is 1 in the host's first namespace before dockerd starts (sysctl.d), since new namespaces copy it there (moby#38723), then restart dockerd`,
      });
    }
  }
  return out;
}

/** Every overlay finding across the swarm nodes in view. */
export function swarmOverlayFindings(world: World): Finding[] {
  return [...unroutable(world), ...subnetCollisions(world), ...mtu(world), ...meshWithoutIpvs(world), ...balancersNotForwarding(world)];
}
