// Prediction of `docker network connect` to a swarm overlay: the new endpoint is a port of the network's bridge in
// the network's namespace on the joiner's node, and NetworkDB tells every other node holding the network where it is
// (a neighbour and a forwarding entry on their VXLAN devices), as it did for the endpoints already there.
import type { DockerNetwork, HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { PlanStep } from '../../snapshot/contract.js';
import { ipToNumber, numberToIp, parseCidr4 } from '../addr/addr.js';
import { netnsOwnerId } from '../model/netns.js';
import { addressRoutes } from './kernel-routes.js';

const overlayNamespace = (s: HostSnapshot, networkId: string) => s.swarm?.namespaces.find((x) => x.role === 'overlay' && x.networkId === networkId) ?? null;

/** The nodes in view holding an overlay network's namespace: the ones a new endpoint is gossiped to. */
export function overlayNodes(snapshots: HostSnapshot[], networkId: string): HostSnapshot[] {
  return snapshots.filter((s) => overlayNamespace(s, networkId) !== null);
}

/**
 * The address swarm's IPAM would most likely hand out next: the lowest one no node in view uses on the network — its
 * containers', every node's neighbour entries (other nodes' containers, the lb_ endpoints) and the bridge's own.
 */
export function nextFreeOverlayAddress(snapshots: HostSnapshot[], n: DockerNetwork): { ip: string; prefixLen: number } | null {
  const sub = n.subnets.find((x) => !x.subnet.includes(':'));
  const c = sub ? parseCidr4(sub.subnet) : null;
  if (!sub || !c) return null;
  const used = new Set<number>();
  const add = (ip: string | null | undefined) => {
    const v = ip ? ipToNumber(ip) : null;
    if (typeof v === 'number') used.add(v);
  };
  add(sub.gateway);
  used.add(c.addr + 1);
  for (const s of snapshots) {
    for (const ct of s.docker?.containers ?? []) for (const e of ct.endpoints) if (e.networkId === n.id) add(e.ip);
    const ns = overlayNamespace(s, n.id);
    for (const x of ns?.neighbours ?? []) add(x.dst);
    for (const i of ns?.interfaces ?? []) for (const a of i.addresses) add(a.local);
    for (const net of s.swarm?.networks ?? []) if (net.id === n.id) for (const svc of net.services) for (const t of svc.tasks) add(t.ip);
  }
  const size = 2 ** (32 - c.bits);
  for (let i = 2; i < size - 1; i++) if (!used.has(c.addr + i)) return { ip: numberToIp(c.addr + i), prefixLen: c.bits };
  return null;
}

/** Docker's overlay endpoints take a MAC made of their address (02:42 and the four bytes), as the lab's do. */
function macOf(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/**
 * `c` joins overlay `n` on `s`; `all` are every node's snapshots as the prediction holds them. Nothing is predicted
 * when the joiner's node has no namespace for the network yet (Docker would create one: netdiag does not guess its
 * entries).
 */
export function connectOverlay(all: HostSnapshot[], s: HostSnapshot, step: Extract<PlanStep, { kind: 'docker-network-connect' }>, n: DockerNetwork): void {
  const c = s.docker?.containers.find((x) => x.id === step.container);
  const ns = overlayNamespace(s, n.id);
  const owner = c ? netnsOwnerId(c) : null;
  const sb = s.links?.sandboxes.find((x) => x.containerId === owner);
  const rt = s.routes?.sandboxes.find((x) => x.containerId === owner);
  const sub = n.subnets.find((x) => !x.subnet.includes(':'));
  const addr = nextFreeOverlayAddress(all, n);
  if (!c || !ns || !sb || !rt || !sub || !addr) return;
  const ifname = `eth${sb.interfaces.length}`;
  const mac = macOf(addr.ip);
  const mtu = ns.interfaces.find((i) => i.kind === 'bridge')?.mtu ?? 1450;
  c.endpoints.push({ network: n.name, networkId: n.id, endpointId: '(planned)', ip: addr.ip, prefixLen: addr.prefixLen, gateway: null, mac, ipv6: null, ipv6PrefixLen: null, ipv6Gateway: null, aliases: [], dnsNames: [] });
  sb.interfaces.push({ name: ifname, ifindex: 1000 + sb.interfaces.length, kind: 'veth', mac, mtu, up: true, addresses: [{ family: 'inet', local: addr.ip, prefixLen: addr.prefixLen, scope: 'global' }], hostVeth: null, bridge: null, lower: null, overlayPort: { namespace: ns.name, veth: null, bridge: 'br0' } });
  rt.routes.push(...addressRoutes(ifname, addr.ip, sub.subnet));
  const vtep = s.swarm?.dataPathAddr ?? s.swarm?.nodeAddr ?? null;
  if (!vtep) return;
  for (const other of overlayNodes(all, n.id)) {
    if (other === s) continue;
    const theirs = overlayNamespace(other, n.id);
    const dev = theirs?.interfaces.find((i) => i.kind === 'vxlan');
    if (!theirs || !dev) continue;
    theirs.neighbours.push({ family: 'inet', dst: addr.ip, dev: dev.name, lladdr: mac, state: ['PERMANENT'] });
    theirs.fdb.push({ mac, dev: dev.name, dst: vtep, master: null, self: true, permanent: true, vni: dev.vxlan?.id ?? null });
  }
}
