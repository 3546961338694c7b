// HostSnapshot: the one contract between collectors and everything else (zod schema, plain JSON, versioned).
// No I/O here: rules/, cli/ and agent/ import this file to validate snapshots from any source.
import { z } from 'zod';
import { fastParse, NOT_SURE } from './fast-parse.js';

export const SNAPSHOT_SCHEMA = 'netdiag/snapshot@1' as const;

export const COLLECTOR_NAMES = ['docker', 'links', 'routes', 'firewall', 'nftables', 'sysctls', 'sockets', 'host', 'dns', 'swarm'] as const;
export const CollectorName = z.enum(COLLECTOR_NAMES);
export type CollectorName = z.infer<typeof CollectorName>;

/** One problem met while collecting: which collector, what went wrong, what the user can do about it. */
export const CollectionError = z.object({
  collector: CollectorName,
  /** What the error concerns when it is narrower than the whole collector (a container, a table). */
  subject: z.string().optional(),
  message: z.string(),
  hint: z.string(),
});
export type CollectionError = z.infer<typeof CollectionError>;

/** ok: full data; partial: data with some parts missing (see errors); failed: no data; absent: source not present. */
export const CollectorStatus = z.object({
  status: z.enum(['ok', 'partial', 'failed', 'absent']),
  durationMs: z.number().nonnegative(),
});
export type CollectorStatus = z.infer<typeof CollectorStatus>;

// Addresses are checked here, at the boundary: a snapshot holding 999.1.1.1 is refused, never reinterpreted.
const Ip = z.union([z.ipv4(), z.ipv6()], { error: 'not an IPv4 or IPv6 address' });
const Cidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], { error: 'not an address or CIDR' });

// ---------- docker ----------

export const PublishedPort = z.object({
  containerPort: z.number().int(),
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  hostIp: Ip,
  hostPort: z.number().int().nullable(),
});
export type PublishedPort = z.infer<typeof PublishedPort>;

export const DockerEndpoint = z.object({
  network: z.string(),
  networkId: z.string(),
  endpointId: z.string(),
  ip: Ip.nullable(),
  prefixLen: z.number().int().min(0).max(128).nullable(),
  gateway: Ip.nullable(),
  mac: z.string().nullable(),
  ipv6: Ip.nullable(),
  ipv6PrefixLen: z.number().int().min(0).max(128).nullable().default(null),
  ipv6Gateway: Ip.nullable().default(null),
  aliases: z.array(z.string()),
  dnsNames: z.array(z.string()),
});
export type DockerEndpoint = z.infer<typeof DockerEndpoint>;

export const DockerContainer = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  pid: z.number().int(),
  /** As Docker stores it: default, bridge, host, none, container:<id>, or a network name. */
  networkMode: z.string(),
  /** Resolved kind of network mode, so consumers need not re-parse it. */
  networkModeKind: z.enum(['bridge', 'host', 'none', 'container', 'network']),
  /** For container:<id> mode, the container whose namespace is shared. */
  sharesNetnsWith: z.string().nullable(),
  sandboxKey: z.string().nullable(),
  endpoints: z.array(DockerEndpoint),
  ports: z.array(PublishedPort),
  labels: z.record(z.string(), z.string()),
  hostname: z.string().nullable().default(null),
  /** --link as Docker records it: "/target:/this/alias". */
  links: z.array(z.string()).default([]),
  /** The container's /etc/hosts (Docker writes --link entries there); null when it was not read. */
  hostsFile: z.array(z.object({ ip: Ip, names: z.array(z.string()) })).nullable().default(null),
});
export type DockerContainer = z.infer<typeof DockerContainer>;

export const DockerNetwork = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  scope: z.string(),
  /** Linux bridge device, for bridge-driver networks: com.docker.network.bridge.name or br-<12 hex of id>. */
  bridge: z.string().nullable(),
  /**
   * IPAM's pools. `auxAddresses`: --aux-address name=IP, addresses IPAM never hands out (reserved for something else on
   * the subnet, such as a host-side macvlan shim); absent in snapshots from before they were read.
   */
  subnets: z.array(z.object({ subnet: Cidr, gateway: Ip.nullable(), ipRange: Cidr.nullable(), auxAddresses: z.record(z.string(), Ip).optional() })),
  internal: z.boolean(),
  attachable: z.boolean(),
  ipv6: z.boolean(),
  /** Effective values, defaults filled in (Docker reports only the options a user passed). */
  icc: z.boolean(),
  masquerade: z.boolean(),
  gatewayModeIpv4: z.string(),
  isDefaultBridge: z.boolean(),
  /** Swarm's ingress network (the routing mesh's); absent in snapshots from before it was read. */
  ingress: z.boolean().default(false),
  options: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
});
export type DockerNetwork = z.infer<typeof DockerNetwork>;

export const DockerPart = z.object({
  endpoint: z.string(),
  version: z.string(),
  apiVersion: z.string(),
  os: z.string().nullable(),
  firewallBackend: z.string().nullable(),
  networks: z.array(DockerNetwork),
  containers: z.array(DockerContainer),
  /**
   * What was left out of the labels and driver options (kept: what netdiag reads, see kept-fields.ts, and labels matched
   * by --keep-labels): counts, never values, so a filtered host is not taken for a label-less one. null: a snapshot
   * from before netdiag filtered them (every label and option as Docker reported it).
   */
  dropped: z.object({ labels: z.number().int().nonnegative(), options: z.number().int().nonnegative(), keepLabels: z.array(z.string()) }).nullable().default(null),
});
export type DockerPart = z.infer<typeof DockerPart>;

// ---------- links ----------

export const Address = z.object({
  family: z.enum(['inet', 'inet6']),
  local: Ip,
  prefixLen: z.number().int().min(0).max(128),
  scope: z.string(),
});
export type Address = z.infer<typeof Address>;

/**
 * The lower device a macvlan or ipvlan child hangs off, and the child's mode. iproute2 prints the parent with the
 * same keys as a veth's peer (`link`, or `link_index` + `link_netnsid` when the parent is in another namespace, as
 * for a child Docker moved into a container); `name` is the parent's name when it is known here.
 */
export const LowerLink = z.object({
  ifindex: z.number().int().nullable(),
  /** The parent's namespace as nsid seen from the child's namespace; null: the same namespace. */
  netnsId: z.number().int().nullable(),
  name: z.string().nullable(),
  /** linkinfo.info_data.mode: macvlan bridge, private, vepa, passthru, source; ipvlan l2, l3, l3s. */
  mode: z.string().nullable(),
  /** ipvlan's flag (bridge, private, vepa; iproute2 prints it as a key set to true); null for macvlan. */
  flag: z.string().nullable(),
  /** An 802.1q vlan's tag (eth0.50 on eth0): frames leave its parent tagged, onto that VLAN's segment only. */
  vlanId: z.number().int().nullable().default(null),
});
export type LowerLink = z.infer<typeof LowerLink>;

/**
 * A VXLAN device as `ip -d -j link` prints its info_data. Docker's overlay driver creates it in the host's namespace
 * and moves it into the overlay network's namespace: its UDP socket stays in the host's (`linkNetnsId` is where the
 * encapsulated packets are sent from and received on, seen from the device's own namespace).
 */
export const VxlanInfo = z.object({
  id: z.number().int(),
  dstport: z.number().int(),
  /** The local tunnel address, when one is set (Docker sets none: the host's route to the peer picks it). */
  local: Ip.nullable(),
  learning: z.boolean(),
  proxy: z.boolean(),
  l2miss: z.boolean(),
  l3miss: z.boolean(),
  linkNetnsId: z.number().int().nullable(),
});
export type VxlanInfo = z.infer<typeof VxlanInfo>;

export const Interface = z.object({
  ifindex: z.number().int(),
  name: z.string(),
  /** linkinfo.info_kind: bridge, veth, vxlan, dummy …; null for a plain device (lo, physical NICs). */
  kind: z.string().nullable(),
  /** The bridge (or other master) this interface is enslaved to. */
  master: z.string().nullable(),
  /** Bridge port state (forwarding, disabled, blocking …) when enslaved to a bridge. */
  portState: z.string().nullable(),
  mtu: z.number().int(),
  mac: z.string().nullable(),
  up: z.boolean(),
  lowerUp: z.boolean(),
  /** veth peer: ifindex in the peer's namespace and that namespace's nsid as seen from here (null: same namespace). */
  peer: z.object({ ifindex: z.number().int().nullable(), netnsId: z.number().int().nullable(), name: z.string().nullable() }).nullable(),
  addresses: z.array(Address),
  /** macvlan, macvtap, ipvlan, ipvtap, vlan: the parent, the mode or tag (null for other kinds, and in snapshots from before it was read). */
  lower: LowerLink.nullable().default(null),
  /** Its interface group as `ip link` prints it ("default", "5", a name from /etc/iproute2/group); null when not read. */
  group: z.string().nullable().optional(),
  /**
   * The kernel's promiscuity count (ip -d link): above 0 the NIC takes frames for every MAC (set by hand, by a bridge,
   * or by the kernel itself when the NIC cannot filter the unicast MACs of its macvlan children). Absent: not read.
   */
  promiscuity: z.number().int().nonnegative().optional(),
  /** A wireless interface (listed in the namespace's /proc/net/wireless); absent: not known (no wireless extensions here, or not read). */
  wireless: z.boolean().optional(),
  /** A VXLAN device (ip -d link's info_data): its VNI, UDP port and how it learns; absent for other kinds. */
  vxlan: VxlanInfo.optional(),
});
export type Interface = z.infer<typeof Interface>;

/** One interface inside a container's sandbox, mapped to its host-side veth and that veth's bridge, or to its parent. */
export const SandboxInterface = z.object({
  name: z.string(),
  ifindex: z.number().int(),
  kind: z.string().nullable(),
  mac: z.string().nullable(),
  mtu: z.number().int(),
  up: z.boolean(),
  addresses: z.array(Address),
  hostVeth: z.object({ ifindex: z.number().int(), name: z.string() }).nullable(),
  bridge: z.string().nullable(),
  /** A macvlan or ipvlan child: its parent, named as the host's namespace names it when netdiag found it there. */
  lower: LowerLink.nullable().default(null),
  /**
   * A veth whose peer is a port of an overlay network's bridge, in that network's own namespace (not the host's):
   * the namespace's file name under Docker's netns directory, the peer veth and its bridge (br0).
   */
  overlayPort: z.object({ namespace: z.string(), veth: z.string().nullable(), bridge: z.string().nullable() }).nullable().optional(),
});
export type SandboxInterface = z.infer<typeof SandboxInterface>;

export const SandboxLinks = z.object({
  containerId: z.string(),
  sandboxKey: z.string(),
  interfaces: z.array(SandboxInterface),
});
export type SandboxLinks = z.infer<typeof SandboxLinks>;

export const LinksPart = z.object({
  interfaces: z.array(Interface),
  sandboxes: z.array(SandboxLinks),
});
export type LinksPart = z.infer<typeof LinksPart>;

// ---------- routes ----------

export const Route = z.object({
  table: z.string(),
  type: z.string(),
  /** CIDR, host routes given their full length; 0.0.0.0/0 for default. */
  dst: Cidr,
  family: z.enum(['inet', 'inet6']),
  dev: z.string().nullable(),
  gateway: Ip.nullable(),
  prefsrc: Ip.nullable(),
  protocol: z.string(),
  scope: z.string(),
  metric: z.number().int(),
  nexthops: z.array(z.object({ dev: z.string().nullable(), gateway: Ip.nullable(), weight: z.number().int() })),
  flags: z.array(z.string()),
});
export type Route = z.infer<typeof Route>;

/** A port selector of a policy rule: one port is a range of one. */
export const PortRange = z.object({ start: z.number().int(), end: z.number().int() });

/** One `ip rule` (fib rule), as `ip -j rule show` prints it; the fields after `action` are absent from older snapshots. */
export const PolicyRule = z.object({
  family: z.enum(['inet', 'inet6']).default('inet'),
  priority: z.number().int(),
  not: z.boolean(),
  src: Cidr.nullable(),
  dst: Cidr.nullable(),
  iif: z.string().nullable(),
  oif: z.string().nullable(),
  fwmark: z.string().nullable(),
  table: z.string().nullable(),
  /** lookup, goto, nop, blackhole, unreachable, prohibit (what `ip rule` prints; anything else is not evaluated). */
  action: z.string(),
  /** The `iif`/`oif` device does not exist (yet): the kernel keeps the rule, which then matches nothing. */
  iifDetached: z.boolean().default(false),
  oifDetached: z.boolean().default(false),
  /** tos / dsfield as printed ("0x10"); a packet the walk models carries 0, which no rule's non-zero value matches. */
  tos: z.string().nullable().default(null),
  /** ipproto as printed (tcp, udp, icmp, ipv6-icmp, or a number). */
  ipproto: z.string().nullable().default(null),
  sport: PortRange.nullable().default(null),
  dport: PortRange.nullable().default(null),
  uidrange: PortRange.nullable().default(null),
  /** goto's target priority. */
  goto: z.number().int().nullable().default(null),
  suppressPrefixlen: z.number().int().nullable().default(null),
  suppressIfgroup: z.string().nullable().default(null),
  /** Selectors the walk does not evaluate, as `ip rule` names them (l3mdev, tun_id 5, a key newer iproute2 prints). */
  unevaluated: z.array(z.string()).default([]),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** One entry of the neighbour table (ARP for IPv4, NDP for IPv6): what the namespace last learnt of an address on a link. */
export const Neighbour = z.object({
  family: z.enum(['inet', 'inet6']),
  dst: Ip,
  dev: z.string(),
  lladdr: z.string().nullable(),
  /** REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP … (the kernel may set several). */
  state: z.array(z.string()),
});
export type Neighbour = z.infer<typeof Neighbour>;

export const SandboxRoutes = z.object({
  containerId: z.string(),
  routes: z.array(Route),
  rules: z.array(PolicyRule),
  /** Its neighbour tables, both families (absent from snapshots taken before they were collected). */
  neighbours: z.array(Neighbour).default([]),
});
export type SandboxRoutes = z.infer<typeof SandboxRoutes>;

export const RoutesPart = z.object({
  routes: z.array(Route),
  rules: z.array(PolicyRule),
  neighbours: z.array(Neighbour).default([]),
  sandboxes: z.array(SandboxRoutes),
});
export type RoutesPart = z.infer<typeof RoutesPart>;

// ---------- firewall ----------

export const FirewallRule = z.object({
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  index: z.number().int().positive(),
  /** The rule exactly as iptables-save printed it, without counters: `-A CHAIN …`. */
  text: z.string(),
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type FirewallRule = z.infer<typeof FirewallRule>;

export const FirewallChain = z.object({
  name: z.string(),
  /** Built-in chains have a policy; user chains have none (falling off their end returns). */
  policy: z.enum(['ACCEPT', 'DROP']).nullable(),
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  rules: z.array(FirewallRule),
});
export type FirewallChain = z.infer<typeof FirewallChain>;

export const FirewallTable = z.object({ name: z.string(), chains: z.array(FirewallChain) });
export type FirewallTable = z.infer<typeof FirewallTable>;

export const FirewallFinding = z.object({ code: z.string(), severity: z.enum(['info', 'warning', 'error']), message: z.string() });
export type FirewallFinding = z.infer<typeof FirewallFinding>;

export const FirewallPart = z.object({
  backend: z.enum(['nf_tables', 'legacy', 'unknown']),
  version: z.string().nullable(),
  tables: z.array(FirewallTable),
  /** Rule count per table held by the other backend (iptables-legacy vs iptables-nft), when readable. */
  otherBackend: z.object({ backend: z.enum(['nf_tables', 'legacy']), rules: z.number().int() }).nullable(),
  findings: z.array(FirewallFinding),
  /** ip6tables-save: the IPv6 tables (null when they could not be read, or in snapshots from before IPv6 was read). */
  tables6: z.array(FirewallTable).nullable().default(null),
});
export type FirewallPart = z.infer<typeof FirewallPart>;

// ---------- nftables ----------

export const NftFamily = z.enum(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

export const NftTable = z.object({
  family: NftFamily,
  name: z.string(),
  handle: z.number().int(),
  /** iptables: managed by iptables-nft, read from iptables-save (nft's JSON drops its match arguments); nft: native. */
  source: z.enum(['nft', 'iptables']),
});
export type NftTable = z.infer<typeof NftTable>;

export const NftChain = z.object({
  family: NftFamily,
  table: z.string(),
  name: z.string(),
  handle: z.number().int(),
  /** Base chains only: type, hook, numeric priority, policy. */
  type: z.string().nullable(),
  hook: z.string().nullable(),
  prio: z.number().int().nullable(),
  policy: z.enum(['accept', 'drop']).nullable(),
});
export type NftChain = z.infer<typeof NftChain>;

export const NftRule = z.object({
  family: NftFamily,
  table: z.string(),
  chain: z.string(),
  handle: z.number().int(),
  comment: z.string().nullable(),
  /** The statements as libnftables-json prints them (schema version 1); the evaluator reads what it knows. */
  expr: z.array(z.record(z.string(), z.unknown())),
});
export type NftRule = z.infer<typeof NftRule>;

export const NftSet = z.object({
  family: NftFamily,
  table: z.string(),
  name: z.string(),
  kind: z.enum(['set', 'map']),
  type: z.union([z.string(), z.array(z.string())]),
  /** A map's data type (verdict, ipv4_addr …). */
  map: z.string().nullable(),
  flags: z.array(z.string()),
  elem: z.array(z.unknown()),
});
export type NftSet = z.infer<typeof NftSet>;

export const NftablesPart = z.object({
  version: z.string().nullable(),
  tables: z.array(NftTable),
  chains: z.array(NftChain),
  rules: z.array(NftRule),
  sets: z.array(NftSet),
});
export type NftablesPart = z.infer<typeof NftablesPart>;

// ---------- sysctls ----------

/** Values as read from /proc/sys (trimmed); null means the key does not exist (e.g. br_netfilter not loaded). */
export const SysctlsPart = z.object({ values: z.record(z.string(), z.string().nullable()) });
export type SysctlsPart = z.infer<typeof SysctlsPart>;

// ---------- sockets ----------

/** A socket that accepts traffic: TCP in LISTEN, or UDP bound and not connected to one peer. */
export const ListeningSocket = z.object({
  proto: z.enum(['tcp', 'udp']),
  family: z.enum(['inet', 'inet6']),
  /** The bound address: 0.0.0.0 or :: for every address of the namespace. */
  address: Ip,
  port: z.number().int().min(0).max(65535),
  /** SO_BINDTODEVICE (ss prints it as %iface), when set. */
  iface: z.string().nullable(),
  /** The process holding it, where netdiag could see it. */
  process: z.object({ name: z.string(), pid: z.number().int() }).nullable(),
});
export type ListeningSocket = z.infer<typeof ListeningSocket>;

export const SocketsPart = z.object({
  /** The host's own namespace (where netdiag runs). */
  host: z.array(ListeningSocket),
  /** Each container namespace, by the container that owns it. */
  sandboxes: z.array(z.object({ containerId: z.string(), sockets: z.array(ListeningSocket) })),
});
export type SocketsPart = z.infer<typeof SocketsPart>;

// ---------- host ----------

export const HostPart = z.object({
  hostname: z.string(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  addresses: z.array(z.object({ iface: z.string(), ip: Ip, prefixLen: z.number().int().nullable(), family: z.enum(['inet', 'inet6']), mac: z.string().nullable() })),
});
export type HostPart = z.infer<typeof HostPart>;

// ---------- dns ----------

/** A resolv.conf as the resolver reads it: nameservers in order, search domains, options (the rest is not kept). */
export const ResolvConf = z.object({
  /** Where it was read. */
  path: z.string(),
  /** As written (an address, or text the resolver would refuse: kept, so a bad entry can be named). */
  nameservers: z.array(z.string()),
  search: z.array(z.string()),
  options: z.array(z.string()),
});
export type ResolvConf = z.infer<typeof ResolvConf>;

/** What Docker's embedded DNS is made of inside one container's namespace. */
export const SandboxDns = z.object({
  containerId: z.string(),
  /** The resolv.conf Docker wrote for it (its ResolvConfPath); null when it could not be read. */
  resolvConf: ResolvConf.nullable(),
  /** --dns servers (HostConfig.Dns): dockerd's resolver forwards to these from the container's namespace. */
  dnsServers: z.array(z.string()).default([]),
  /** The namespace's iptables nat table (iptables-save -t nat): Docker's DOCKER_OUTPUT / DOCKER_POSTROUTING; null when not read. */
  nat: z.array(FirewallTable).nullable(),
  /** The namespace's nftables `ip docker-dns` table (Docker 29 with the nftables backend); null when not read or absent. */
  nft: NftablesPart.nullable().default(null),
});
export type SandboxDns = z.infer<typeof SandboxDns>;

export const DnsPart = z.object({
  host: z.object({
    /** /etc/resolv.conf; null when the host has none. */
    resolvConf: ResolvConf.nullable(),
    /** /run/systemd/resolve/resolv.conf (systemd-resolved's upstreams), read by dockerd when /etc/resolv.conf lists only 127.0.0.53. */
    systemdResolvConf: ResolvConf.nullable(),
  }),
  sandboxes: z.array(SandboxDns),
});
export type DnsPart = z.infer<typeof DnsPart>;

// ---------- swarm ----------

/** One forwarding entry of a bridge or VXLAN device (`bridge -j fdb show`): a VXLAN's `dst` is the peer's tunnel address. */
export const FdbEntry = z.object({
  mac: z.string(),
  dev: z.string(),
  /** The remote VTEP (the peer host's data-path address) for a VXLAN device's own (`self`) entries. */
  dst: Ip.nullable(),
  /** The bridge this entry belongs to when it is the bridge's (master) entry. */
  master: z.string().nullable(),
  self: z.boolean(),
  permanent: z.boolean(),
  vni: z.number().int().nullable(),
});
export type FdbEntry = z.infer<typeof FdbEntry>;

/**
 * One IPVS virtual service as /proc/net/ip_vs lists it: a firewall mark (FWM: Docker's service VIPs and ingress
 * ports are marked by iptables' mangle table, then balanced by mark), or an address and port, with its real servers.
 */
export const IpvsService = z.object({
  protocol: z.enum(['FWM', 'TCP', 'UDP', 'SCTP']),
  /** FWM: the mark; else null. */
  fwmark: z.number().int().nullable(),
  address: Ip.nullable(),
  port: z.number().int().nullable(),
  scheduler: z.string(),
  destinations: z.array(z.object({
    address: Ip,
    port: z.number().int(),
    /** Masq (NAT), Route (direct routing), Tunnel (IPIP): Docker uses Masq. */
    forward: z.string(),
    weight: z.number().int(),
    activeConns: z.number().int().nonnegative(),
    inactiveConns: z.number().int().nonnegative(),
  })),
});
export type IpvsService = z.infer<typeof IpvsService>;

/**
 * A network namespace Docker's swarm mode keeps besides containers': an overlay network's (its bridge br0, the VXLAN
 * device and their forwarding and neighbour entries), `ingress_sbox` (the routing mesh's: IPVS behind
 * docker_gwbridge), or `lb_<network>` (a network's load balancer for service VIPs).
 */
export const SwarmNamespace = z.object({
  /** The file's name under Docker's netns directory: 1-<network id prefix>, ingress_sbox, lb_<network id prefix>. */
  name: z.string(),
  path: z.string(),
  role: z.enum(['overlay', 'ingress-sbox', 'load-balancer']),
  /** The overlay network it belongs to (full ID when netdiag matched it), null when not known. */
  networkId: z.string().nullable(),
  interfaces: z.array(Interface),
  routes: z.array(Route),
  neighbours: z.array(Neighbour),
  fdb: z.array(FdbEntry),
  /** iptables-save inside it (null: not read); ingress_sbox marks published ports in mangle and SNATs in nat. */
  firewall: z.array(FirewallTable).nullable(),
  /** Native nftables inside it (null: not read or nft missing). */
  nft: NftablesPart.nullable(),
  /** IPVS services (null: the kernel has no IPVS here, or they were not read). */
  ipvs: z.array(IpvsService).nullable(),
  /** The sysctls that decide its forwarding and bridging (ip_forward, bridge-nf-call-iptables …), null where absent. */
  sysctls: z.record(z.string(), z.string().nullable()),
});
export type SwarmNamespace = z.infer<typeof SwarmNamespace>;

/** A swarm service as a manager describes it (the Engine API's /services): its VIPs, published ports and mode. */
export const SwarmService = z.object({
  id: z.string(),
  name: z.string(),
  /** vip: one virtual address per network, balanced by IPVS; dnsrr: DNS answers with the tasks' addresses. */
  endpointMode: z.enum(['vip', 'dnsrr']),
  virtualIps: z.array(z.object({ networkId: z.string(), address: Cidr })),
  ports: z.array(z.object({
    protocol: z.enum(['tcp', 'udp', 'sctp']),
    targetPort: z.number().int(),
    publishedPort: z.number().int().nullable(),
    /** ingress: every node's published port, through the routing mesh; host: only nodes running a task. */
    publishMode: z.enum(['ingress', 'host']),
  })),
});
export type SwarmService = z.infer<typeof SwarmService>;

/** An overlay network as this node's NetworkDB knows it (`docker network inspect --verbose`). */
export const SwarmNetwork = z.object({
  id: z.string(),
  name: z.string(),
  /** The VXLAN network identifiers (com.docker.network.driver.overlay.vxlanid_list), one per subnet. */
  vnis: z.array(z.number().int()),
  /** --opt encrypted: IPsec (ESP) between the nodes, set up by dockerd in the host's namespace. */
  encrypted: z.boolean(),
  ingress: z.boolean(),
  attachable: z.boolean(),
  /** The nodes holding endpoints of the network, by their data-path address. */
  peers: z.array(z.object({ name: z.string(), ip: Ip })),
  /** Service entries NetworkDB gossiped ("" for containers that are no service's): VIP and each task's address and node. */
  services: z.array(z.object({
    name: z.string(),
    vip: Ip.nullable(),
    ports: z.array(z.string()),
    localLbIndex: z.number().int(),
    tasks: z.array(z.object({ name: z.string(), endpointId: z.string(), ip: Ip, hostIp: Ip.nullable() })),
  })),
});
export type SwarmNetwork = z.infer<typeof SwarmNetwork>;

/** Swarm mode on this node: its role and addresses, the overlay networks it has, and swarm's own namespaces. */
export const SwarmPart = z.object({
  nodeId: z.string(),
  /** LocalNodeState: inactive, pending, active, error, locked. */
  state: z.string(),
  /** The advertise address other nodes reach it at (2377 on managers, 7946 gossip). */
  nodeAddr: Ip.nullable(),
  /** Where VXLAN traffic is sent to it: --data-path-addr, else the advertise address. */
  dataPathAddr: Ip.nullable(),
  dataPathPort: z.number().int(),
  manager: z.boolean(),
  managers: z.array(z.object({ nodeId: z.string(), addr: z.string() })),
  nodes: z.number().int().nullable(),
  error: z.string().nullable(),
  networks: z.array(SwarmNetwork),
  /** null on a worker (only managers list services). */
  services: z.array(SwarmService).nullable(),
  namespaces: z.array(SwarmNamespace),
  /**
   * Each container on an overlay network: its namespace's whole iptables rule set (a published service's task has
   * moby's ingress REDIRECT and INPUT/OUTPUT rules there) and its IPVS services (empty since Docker 18.09, which
   * balances VIPs in the network's lb_ namespace; before it, in each container: mangle OUTPUT marks). Null: not read.
   */
  sandboxes: z.array(z.object({ containerId: z.string(), firewall: z.array(FirewallTable).nullable(), ipvs: z.array(IpvsService).nullable() })).default([]),
});
export type SwarmPart = z.infer<typeof SwarmPart>;

// ---------- the snapshot ----------

export const HostSnapshot = z.object({
  schema: z.literal(SNAPSHOT_SCHEMA),
  /** The host's name in netdiag: --host-name / NETDIAG_HOST_NAME, else its hostname. */
  name: z.string().min(1),
  collectedAt: z.string(),
  /**
   * Collected for one question: only these containers were inspected and entered (null: every container); and when
   * none of them has an IPv6 address (nor is the host asked about), ip6tables and the host's IPv6 routes were not read.
   */
  scope: z.array(z.string()).nullable().default(null),
  /**
   * Of those, the containers (by name) whose namespaces were not entered: known from Docker's data only (a question's
   * bystanders, see collectors/scope.ts). Absent: every collected container's namespace was entered.
   */
  notEntered: z.array(z.string()).optional(),
  durationMs: z.number().nonnegative(),
  netdiagVersion: z.string(),
  // Partial: a snapshot from a netdiag with fewer collectors still reads (its missing parts are null).
  collectors: z.partialRecord(CollectorName, CollectorStatus),
  errors: z.array(CollectionError),
  docker: DockerPart.nullable(),
  links: LinksPart.nullable(),
  routes: RoutesPart.nullable(),
  firewall: FirewallPart.nullable(),
  /** Absent in snapshots from before the nftables collector, or where nft is not installed. */
  nftables: NftablesPart.nullable().default(null),
  sysctls: SysctlsPart.nullable(),
  /** Absent in snapshots from before the sockets collector: then nothing is known about who listens. */
  sockets: SocketsPart.nullable().default(null),
  host: HostPart.nullable(),
  /** Absent in snapshots from before the dns collector: then Docker's embedded DNS path is unknown. */
  dns: DnsPart.nullable().default(null),
  /** Absent in snapshots from before the swarm collector, and null on a node not in a swarm. */
  swarm: SwarmPart.nullable().default(null),
});
export type HostSnapshot = z.infer<typeof HostSnapshot>;

export type SnapshotParts = {
  docker: DockerPart;
  links: LinksPart;
  routes: RoutesPart;
  firewall: FirewallPart;
  nftables: NftablesPart;
  sysctls: SysctlsPart;
  sockets: SocketsPart;
  host: HostPart;
  dns: DnsPart;
  swarm: SwarmPart;
};

/**
 * Validate JSON the caller just parsed and keeps no other hold on (parts zod would return unchanged are returned
 * themselves, not copied): zod's result without zod's per-value cost when the snapshot is well formed; otherwise
 * zod's parse, its result and its error.
 */
export function parseOwnedSnapshot(json: unknown): HostSnapshot {
  const quick = fastParse(HostSnapshot, json);
  return quick === NOT_SURE ? parseSnapshot(json) : (quick as HostSnapshot);
}

/** Validate untrusted JSON as a snapshot; the error names the first offending field. */
export function parseSnapshot(json: unknown): HostSnapshot {
  const result = HostSnapshot.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  throw new SnapshotFormatError(`not a ${SNAPSHOT_SCHEMA} snapshot: ${where}: ${issue?.message ?? 'invalid'}`);
}

export class SnapshotFormatError extends Error {
  override name = 'SnapshotFormatError';
}
