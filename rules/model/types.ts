// netdiag's model of the hosts in view: containers, their endpoints, bridges, routes and rules, resolved from snapshots.
import type { DockerContainer, DockerNetwork, HostSnapshot, Interface, ListeningSocket, Neighbour, PolicyRule, PublishedPort, ResolvConf, Route, SwarmNamespace, SwarmNetwork } from '../../snapshot/host-snapshot.js';
import type { Ip } from '../addr/addr.js';
import type { Attachment, IpvlanFlag } from './attachment.js';
import type { PrefixMap } from '../addr/prefix-map.js';
import type { Ruleset } from '../netfilter/ruleset.js';
import type { NftRuleset } from '../nftables/model.js';
import type { HostMeanings } from '../meaning/host.js';
import type { PolicyRules } from './policy.js';

export interface RouteEntry {
  route: Route;
  /** Parsed destination: network address and prefix length (the address's type is the route's family). */
  net: Ip;
  bits: number;
  gateway: Ip | null;
  prefsrc: Ip | null;
}

/** A routing context: the host's, or one container namespace's — both families, whose routes never match each other. */
export interface Routing {
  tables: Map<string, RouteEntry[]>;
  /** Each table's routes by network, the lowest metric of equal ones: a lookup probes a map per prefix length. */
  index: Map<string, PrefixMap<RouteEntry>>;
  /** Policy rules per family (the kernel keeps `ip rule` and `ip -6 rule` apart), compiled, by priority. */
  rules: { 4: PolicyRules; 6: PolicyRules };
  /** A family with only the kernel's own rules: the tables they look up, in order (the lookup's fast path); else null. */
  plainTables: { 4: [string, PrefixMap<RouteEntry>][] | null; 6: [string, PrefixMap<RouteEntry>][] | null };
  /** Each device's interface group (what suppress_ifgroup compares); null when the namespace's links say none. */
  groups: Map<string, string> | null;
}

/** One address of a container on one interface. */
export interface Endpoint {
  container: ContainerModel;
  /** IPv4 (number) or IPv6 (bigint): one Endpoint per address, so a dual-stack interface has two. */
  ip: Ip;
  ipText: string;
  prefixLen: number;
  /** The Docker network this address belongs to, when Docker says so. */
  network: DockerNetwork | null;
  /** Interface inside the container (eth0, eth1 …). */
  iface: string;
  /** How that interface meets the host's network: a bridge port, a macvlan/ipvlan child, the host's namespace … */
  attachment: Attachment;
  /** Read from inside the container's namespace; false when only Docker's view of it is known (see `unread`). */
  observed: boolean;
}

export interface ContainerModel {
  host: HostModel;
  docker: DockerContainer;
  name: string;
  /** The namespace the container's traffic starts in: its own sandbox, the host's (host mode), or none known. */
  netns: 'sandbox' | 'host' | 'unknown';
  /** The container whose namespace this one uses (itself, or X for --network container:X). */
  netnsOwnerId: string;
  /** The namespace to enter to act as this container (Docker's SandboxKey); null for the host's own. */
  sandboxKey: string | null;
  routing: Routing | null;
  endpoints: Endpoint[];
  /** Why its namespace was not read, when it was not (a collector's error, in its own words). */
  unread: string | null;
  /** What its namespace listens on; null when that was not collected. */
  sockets: ListeningSocket[] | null;
  /** Its ARP and NDP tables as collected (evidence for the trace; the bridge's endpoints decide who answers). */
  neighbours: Neighbour[];
  /** Its namespace's own NAT (Docker's resolver rules) and resolver settings; null when they were not collected. */
  dns: SandboxDnsModel | null;
}

/** What a container namespace holds of Docker's embedded DNS, parsed once. */
export interface SandboxDnsModel {
  /** The namespace's iptables nat table (null: not read); Docker's DOCKER_OUTPUT / DOCKER_POSTROUTING on 20.10–28. */
  ruleset: Ruleset | null;
  /** Docker 29's `ip docker-dns` table (null: none there). */
  nft: NftRuleset | null;
  resolvConf: ResolvConf | null;
  /** --dns servers: dockerd queries these from the container's namespace. */
  dnsServers: string[];
}

export interface HostModel {
  name: string;
  snapshot: HostSnapshot;
  interfaces: Map<string, Interface>;
  /** Addresses of the host's own interfaces, and which interface holds each. */
  localAddrs: Map<Ip, string>;
  broadcastAddrs: Set<number>;
  routing: Routing | null;
  ruleset: Ruleset | null;
  /** ip6tables' tables: null when they were not collected (the IPv6 walk then cannot say what they do). */
  ruleset6: Ruleset | null;
  /** Native nftables tables (Docker 29's docker-bridges, firewalld's, an operator's); null when not collected. */
  nft: NftRuleset | null;
  /** How deep iptables jumps may nest on this host's backend (deeper is a rule set the kernel would not load). */
  jumpLimit: number;
  ipForward: boolean | null;
  /** net.ipv6.conf.all.forwarding: IPv6 forwarding is switched apart from IPv4's. */
  ipForward6: boolean | null;
  /** br_netfilter's bridge-nf-call-iptables: null when the module is not loaded (bridged frames skip iptables). */
  brNetfilter: boolean | null;
  /** bridge-nf-call-ip6tables: the same for bridged IPv6 frames and ip6tables. */
  brNetfilter6: boolean | null;
  containers: ContainerModel[];
  /** Ports of each bridge that are not containers' veths (a NIC enslaved to docker0): they lead off the host. */
  foreignPorts: Map<string, string[]>;
  /** Endpoints by bridge, for the L2 neighbour question on that bridge. */
  endpointsOnBridge: Map<string, Endpoint[]>;
  /** macvlan and ipvlan children by parent interface: containers' addresses and the host's own (a shim). */
  children: Map<string, LowerChild[]>;
  /** Swarm overlay networks this node has, by network ID, with their namespace and this node's endpoints on each. */
  overlays: Map<string, OverlayModel>;
  /** Published ports served by docker-proxy on this host (the userland proxy listens on the host address). */
  published: { container: ContainerModel; port: PublishedPort }[];
  /** What the host's own namespace listens on; null when that was not collected. */
  sockets: ListeningSocket[] | null;
  /** What each of its rules means, decided once here: the walk, explanations, fixes and doctor read it. */
  meanings: HostMeanings;
}

/** One address of a child of `parent`: a container's (through its endpoint) or the host's own interface's. */
export interface LowerChild {
  parent: string;
  driver: 'macvlan' | 'ipvlan';
  /** macvlan: bridge, private, vepa, passthru, source; ipvlan: l2, l3, l3s. Null when not known. */
  mode: string | null;
  /** ipvlan's flag (bridge, private, vepa); null for macvlan. */
  flag: IpvlanFlag | null;
  ip: Ip;
  who: { kind: 'container'; endpoint: Endpoint } | { kind: 'host'; iface: string };
}

/** A swarm overlay network on one node, as its own namespace holds it (see overlay.ts). */
export interface OverlayModel {
  /** The network's full ID (the same on every node: swarm scope). */
  id: string;
  name: string;
  network: DockerNetwork | null;
  swarm: SwarmNetwork | null;
  /** The network's namespace on this node; null when it was not read (or the node has none for it). */
  ns: SwarmNamespace | null;
  bridge: Interface | null;
  vxlan: Interface | null;
  /** Its VXLAN identifier: the device's, else what Docker reports. */
  vni: number | null;
  /** The UDP port VXLAN is sent to: the device's, else the swarm's data-path port. */
  port: number;
  encrypted: boolean;
  /** What the VXLAN device answers ARP with (`proxy`): the MAC of each remote endpoint, by address. */
  neighbours: Map<Ip, string>;
  /** Where the VXLAN device sends a frame for each remote MAC: the peer node's data-path address. */
  fdb: Map<string, Ip>;
  /** This node's containers on the network: the bridge's ports in that namespace. */
  endpoints: Endpoint[];
}

export interface World {
  hosts: HostModel[];
}

export type { Interface, Route, PolicyRule };
export type { Attachment };
