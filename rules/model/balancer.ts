// Swarm's load-balancing namespaces on a node — `lb_<network>` (a network's service VIPs) and `ingress_sbox` (the
// routing mesh's published ports) — each as a stack of its own (interfaces, routes, iptables, sysctls) plus its IPVS.
import type { HostSnapshot, SwarmNamespace } from '../../snapshot/host-snapshot.js';
import type { Ip } from '../addr/addr.js';
import { buildHost } from './build.js';
import { compileIpvs } from './ipvs.js';
import type { IpvsTable } from './ipvs.js';
import type { HostModel } from './types.js';

export interface BalancerModel {
  /** The node it is on. */
  host: HostModel;
  /** Its file under Docker's netns directory: lb_<network id prefix>, ingress_sbox. */
  name: string;
  role: 'load-balancer' | 'ingress-sbox';
  networkId: string | null;
  /**
   * The namespace as a stack, walked by the same hooks as a host's: its own iptables (moby's mark and SNAT rules),
   * routes (table all: the VIP aliases are local there), interfaces and sysctls (ip_forward decides its replies).
   */
  stack: HostModel;
  /** Its IPVS services; null when they were not read (the kernel has no IPVS, or the collector could not). */
  ipvs: IpvsTable | null;
  /** Its interfaces whose veth peer is a port of a bridge of the node (ingress_sbox's eth1 on docker_gwbridge). */
  bridgePorts: Map<string, { bridge: string; veth: string }>;
}

/** The node's snapshot narrowed to one of swarm's namespaces: what buildHost needs to make it a stack. */
function namespaceSnapshot(s: HostSnapshot, ns: SwarmNamespace): HostSnapshot {
  return {
    ...s,
    docker: null,
    links: { interfaces: ns.interfaces, sandboxes: [] },
    // A namespace moby creates has the kernel's default policy rules only (buildRouting's empty list means those).
    routes: { routes: ns.routes, rules: [], neighbours: ns.neighbours, sandboxes: [] },
    firewall: ns.firewall ? { backend: s.firewall?.backend ?? 'unknown', version: s.firewall?.version ?? null, tables: ns.firewall, otherBackend: null, findings: [], tables6: null } : null,
    nftables: ns.nft,
    sysctls: { values: ns.sysctls },
    sockets: null,
    dns: null,
    swarm: null,
  };
}

/**
 * Its interfaces that are veth peers of the node's bridge ports: both ends name each other's ifindex (an ifindex alone
 * is per namespace, so one side's number could be any namespace's).
 */
function bridgePortsOf(host: HostModel, ns: SwarmNamespace): Map<string, { bridge: string; veth: string }> {
  const out = new Map<string, { bridge: string; veth: string }>();
  for (const i of ns.interfaces) {
    if (i.kind !== 'veth' || i.peer?.ifindex == null || i.peer.netnsId === null) continue;
    const peer = [...host.interfaces.values()].find((h) => h.ifindex === i.peer?.ifindex && h.peer?.ifindex === i.ifindex && h.master !== null);
    if (peer?.master && host.interfaces.get(peer.master)?.kind === 'bridge') out.set(i.name, { bridge: peer.master, veth: peer.name });
  }
  return out;
}

const cache = new WeakMap<HostModel, BalancerModel[]>();

/** The node's load-balancing namespaces, built once per host model. */
export function balancersOf(host: HostModel): BalancerModel[] {
  let list = cache.get(host);
  if (list) return list;
  list = [];
  for (const ns of host.snapshot.swarm?.namespaces ?? []) {
    if (ns.role !== 'load-balancer' && ns.role !== 'ingress-sbox') continue;
    list.push({ host, name: ns.name, role: ns.role, networkId: ns.networkId, stack: buildHost(namespaceSnapshot(host.snapshot, ns)), ipvs: compileIpvs(ns.ipvs), bridgePorts: bridgePortsOf(host, ns) });
  }
  cache.set(host, list);
  return list;
}

/** The load-balancing namespace that answers for `ip` on the node's `bridge` (ingress_sbox on docker_gwbridge), with its interface there. */
export function balancerOnBridge(host: HostModel, bridge: string, ip: Ip): { balancer: BalancerModel; iface: string } | null {
  for (const b of balancersOf(host)) {
    for (const [iface, port] of b.bridgePorts) {
      if (port.bridge === bridge && b.stack.localAddrs.get(ip) === iface) return { balancer: b, iface };
    }
  }
  return null;
}

/** The load-balancing namespace of overlay network `networkId` on the node that owns `ip` (a VIP alias or its own endpoint address). */
export function balancerOwning(host: HostModel, networkId: string, ip: Ip): BalancerModel | null {
  return balancersOf(host).find((b) => b.networkId === networkId && b.stack.localAddrs.has(ip)) ?? null;
}
