// A swarm overlay network on one node, as its own namespace holds it: the bridge (br0), the VXLAN device and the
// entries NetworkDB programmed for the network's endpoints on other nodes (a neighbour and a forwarding entry each).
import { parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { DockerNetwork, HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { OverlayModel } from './types.js';

export type { OverlayModel };

/** Docker's default VXLAN port (libnetwork/drivers/overlay: vxlanPort), unless `--data-path-port` says otherwise. */
export const VXLAN_PORT = 4789;

/** The VNIs Docker lists for a network (com.docker.network.driver.overlay.vxlanid_list: "4097" or "4097,4098"). */
function dockerVnis(n: DockerNetwork | null): number[] {
  const list = n?.options['com.docker.network.driver.overlay.vxlanid_list'];
  return list ? list.split(',').map(Number).filter(Number.isInteger) : [];
}

/** Each overlay network this node has, by ID: from swarm's view, Docker's network list, and its namespace here. */
export function overlaysOf(s: HostSnapshot): Map<string, OverlayModel> {
  const out = new Map<string, OverlayModel>();
  const swarm = s.swarm;
  const docker = (s.docker?.networks ?? []).filter((n) => n.driver === 'overlay');
  const ids = new Set([...docker.map((n) => n.id), ...(swarm?.networks ?? []).map((n) => n.id)]);
  for (const id of ids) {
    const network = docker.find((n) => n.id === id) ?? null;
    const sw = swarm?.networks.find((n) => n.id === id) ?? null;
    // Docker names the namespace 1-<first 10 characters of the ID> (overlay's ov_network.go: osl.GenerateKey).
    const ns = swarm?.namespaces.find((x) => x.role === 'overlay' && (x.networkId === id || (x.networkId === null && id.startsWith(x.name.replace(/^\d+-/, ''))))) ?? null;
    const bridge = ns?.interfaces.find((i) => i.kind === 'bridge') ?? null;
    const vxlan = ns?.interfaces.find((i) => i.kind === 'vxlan') ?? null;
    const neighbours = new Map<Ip, string>();
    for (const n of ns?.neighbours ?? []) {
      const ip = parseIp(n.dst);
      if (ip !== null && n.dev === vxlan?.name && n.lladdr) neighbours.set(ip, n.lladdr.toLowerCase());
    }
    const fdb = new Map<string, Ip>();
    for (const e of ns?.fdb ?? []) {
      const dst = e.dst ? parseIp(e.dst) : null;
      if (dst !== null && e.dev === vxlan?.name && e.self) fdb.set(e.mac.toLowerCase(), dst);
    }
    out.set(id, {
      id,
      name: network?.name ?? sw?.name ?? id.slice(0, 12),
      network,
      swarm: sw,
      ns,
      bridge,
      vxlan,
      vni: vxlan?.vxlan?.id ?? sw?.vnis[0] ?? dockerVnis(network)[0] ?? null,
      port: vxlan?.vxlan?.dstport ?? swarm?.dataPathPort ?? VXLAN_PORT,
      encrypted: sw?.encrypted ?? (network ? 'com.docker.network.driver.overlay.encrypted' in network.options : false),
      neighbours,
      fdb,
      endpoints: [],
    });
  }
  return out;
}

/** The overlay an endpoint's port belongs to on its node: by the namespace it was found in, else by its network. */
export function overlayOfPort(overlays: Map<string, OverlayModel>, port: { networkId: string | null; namespace: string | null }): OverlayModel | null {
  if (port.networkId) {
    const o = overlays.get(port.networkId);
    if (o) return o;
  }
  for (const o of overlays.values()) if (port.namespace !== null && o.ns?.name === port.namespace) return o;
  return null;
}

/** br0's own address on the network (the gateway Docker assigns), when the namespace was read. */
export function bridgeAddresses(o: OverlayModel): Ip[] {
  return (o.bridge?.addresses ?? []).map((a) => parseIp(a.local)).filter((ip): ip is Ip => ip !== null);
}
