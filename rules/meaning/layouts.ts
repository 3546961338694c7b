// Who writes which chains and tables, as data: Docker's layouts from 20.10 to 29 (MOBY-FIREWALL.md, NFTABLES.md)
// and the other firewall managers met beside it. The classifiers consume these; no version is a special case there.
import type { RuleCode } from './types.js';

/** iptables chains Docker creates and rewrites at every daemon start (20.10–29, swarm and embedded DNS included). */
export const DOCKER_CHAINS: ReadonlySet<string> = new Set([
  'DOCKER',
  'DOCKER-ISOLATION-STAGE-1',
  'DOCKER-ISOLATION-STAGE-2',
  // 28.0+: FORWARD jumps to DOCKER-FORWARD, which calls these per-purpose chains.
  'DOCKER-FORWARD',
  'DOCKER-BRIDGE',
  'DOCKER-CT',
  'DOCKER-INTERNAL',
  // Swarm's ingress routing mesh.
  'DOCKER-INGRESS',
  // Inside a container's namespace: the embedded resolver's NAT (127.0.0.11:53 → dockerd's socket).
  'DOCKER_OUTPUT',
  'DOCKER_POSTROUTING',
]);

/**
 * The bridge network swarm mode gives every overlay container for traffic leaving the overlay (libnetwork's
 * gwbridge): one per node, local to it, the same subnet on every node by design (never routed between nodes).
 */
export const DOCKER_GWBRIDGE = 'docker_gwbridge';

/** The chain Docker creates for administrators: only the bare `-j RETURN` Docker appended (≤ 28.2.1) is its own. */
export const ADMIN_CHAIN = 'DOCKER-USER';

/** Docker's chain in nat (DNAT for published ports) and filter (accepts for them; 28+ ends each bridge with a drop). */
export const DOCKER_CHAIN = 'DOCKER';

/** Whether an iptables chain is one Docker creates (its own, or DOCKER-USER it makes for administrators). */
export const isDockerChain = (chain: string): boolean => DOCKER_CHAINS.has(chain) || chain === ADMIN_CHAIN;

/** Docker's chains whose rules name only Docker's bridges (`-o <bridge>`): they tell the bridges without its API. */
export const BRIDGE_NAMING_CHAINS: ReadonlySet<string> = new Set(['DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-INTERNAL']);

/** The ipsets Docker 28.0.0 matched its bridges with (28.0.1 replaced them with DOCKER-FORWARD's chains). */
export const DOCKER_IPSETS: ReadonlySet<string> = new Set(['docker-ext-bridges-v4', 'docker-ext-bridges-v6']);

/** Chains whose drops isolate networks from each other, or an --internal network from everything. */
export const ISOLATION_CHAINS: ReadonlySet<string> = new Set(['DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-INTERNAL']);

/** Chains of Docker's embedded DNS inside a container's namespace. */
export const DNS_CHAINS: ReadonlySet<string> = new Set(['DOCKER_OUTPUT', 'DOCKER_POSTROUTING']);

/**
 * From which Docker version a raw PREROUTING `-d <container> ! -i <its bridge> -j DROP` is Docker's: 28.0 wrote it
 * per published port, 28.2 per container. An older daemon writes no raw rules, so such a rule is an administrator's.
 */
export const RAW_DROPS_FROM: readonly [number, number] = [28, 0];

/** Docker 29's nftables tables (`--firewall-backend=nftables`), and the resolver's table inside containers. */
export const DOCKER_NFT_TABLES: ReadonlySet<string> = new Set(['docker-bridges', 'docker-dns']);

/** Docker 29's nftables layout (NFTABLES.md §1): the table, its base chains, and what its rules' comments say. */
export const DOCKER_NFT = {
  /** `table ip docker-bridges` and `table ip6 docker-bridges`. */
  table: 'docker-bridges',
  /** filter/prerouting at -300: the direct-access and remote-loopback drops. */
  rawPrerouting: 'raw-PREROUTING',
  /** Each bridge's chain of what may enter it: `filter-forward-in__<bridge>`. */
  forwardInPrefix: 'filter-forward-in__',
  directAccessComment: 'DROP DIRECT ACCESS',
  /** The accept --bridge-accept-fwmark adds to each bridge's forward-in chain. */
  allowMarkComment: 'ALLOW FW MARK',
} as const;

/** Docker 29's chain of what may enter `bridge`. */
export const dockerForwardInChain = (bridge: string): string => `${DOCKER_NFT.forwardInPrefix}${bridge}`;

/** Whether a chain of Docker 29's table is a bridge's forward-in chain. */
export const isDockerForwardInChain = (chain: string): boolean => chain.startsWith(DOCKER_NFT.forwardInPrefix);

/** The comments Docker 29 puts on its nftables rules, and what each means. */
export const DOCKER_NFT_COMMENTS: Readonly<Record<string, RuleCode>> = {
  [DOCKER_NFT.directAccessComment]: 'direct-access',
  'UNPUBLISHED PORT DROP': 'unpublished-port',
  ICC: 'icc-off',
  'INTERNAL NETWORK INGRESS': 'internal',
  'INTERNAL NETWORK EGRESS': 'internal',
  'DROP REMOTE LOOPBACK': 'loopback-publish',
  DNAT: 'dnat',
  MASQUERADE: 'masquerade',
};

/** Docker 29 names its per-bridge nftables chains `<purpose>__<bridge>` (filter-forward-in__docker0). */
export const NFT_BRIDGE_CHAIN_SEPARATOR = '__';

/** A per-bridge chain name of Docker 29's, split into its purpose and bridge; null for any other name. */
export function dockerNftBridgeChain(chain: string): { purpose: string; bridge: string } | null {
  const at = chain.lastIndexOf(NFT_BRIDGE_CHAIN_SEPARATOR);
  return at > 0 ? { purpose: chain.slice(0, at), bridge: chain.slice(at + NFT_BRIDGE_CHAIN_SEPARATOR.length) } : null;
}

/** Drops Docker writes to keep outsiders off a network: from another Docker bridge they are its isolation. */
export const ISOLATING_CODES: ReadonlySet<RuleCode> = new Set(['direct-access', 'unpublished-port']);

/** Other firewall managers, by the chains (iptables) and tables (nftables) they own. */
export interface Manager {
  name: string;
  chainPrefixes: readonly string[];
  chains: readonly string[];
  nftTables: readonly string[];
}

export const MANAGERS: readonly Manager[] = [
  { name: 'ufw', chainPrefixes: ['ufw-', 'ufw6-'], chains: [], nftTables: [] },
  {
    name: 'firewalld',
    // firewalld's iptables backend: the direct interface, zone dispatch and per-zone chains.
    chainPrefixes: ['FWDI_', 'FWDO_', 'FWD_', 'IN_', 'PRE_', 'POST_'],
    chains: ['INPUT_direct', 'FORWARD_direct', 'OUTPUT_direct', 'PREROUTING_direct', 'POSTROUTING_direct', 'INPUT_ZONES', 'FORWARD_IN_ZONES', 'FORWARD_OUT_ZONES', 'PREROUTING_ZONES', 'POSTROUTING_ZONES', 'OUTPUT_POLICIES'],
    nftTables: ['firewalld'],
  },
  { name: 'kube-proxy', chainPrefixes: ['KUBE-'], chains: [], nftTables: ['kube-proxy'] },
  { name: 'calico', chainPrefixes: ['cali-'], chains: [], nftTables: [] },
  { name: 'flannel', chainPrefixes: ['FLANNEL-'], chains: [], nftTables: [] },
  { name: 'fail2ban', chainPrefixes: ['f2b-'], chains: [], nftTables: ['f2b-table'] },
  { name: 'libvirt', chainPrefixes: ['LIBVIRT_'], chains: [], nftTables: ['libvirt_network'] },
  { name: 'tailscale', chainPrefixes: ['ts-'], chains: [], nftTables: [] },
];

/** The manager that owns an iptables chain, by its name; null for built-in chains and administrators' own. */
export function chainManager(chain: string): string | null {
  for (const m of MANAGERS) if (m.chains.includes(chain) || m.chainPrefixes.some((p) => chain.startsWith(p))) return m.name;
  return null;
}

/** The manager that owns a native nftables table, by its name. */
export function tableManager(table: string): string | null {
  return MANAGERS.find((m) => m.nftTables.includes(table))?.name ?? null;
}

/** The comment netdiag writes on every rule it adds: `netdiag:<fix or plan ID>`. */
export const NETDIAG_COMMENT_PREFIX = 'netdiag:';

/** The fix or plan ID in netdiag's own comment; null for any other comment. */
export function netdiagIdOf(comment: string | null | undefined): string | null {
  return comment?.startsWith(NETDIAG_COMMENT_PREFIX) ? comment.slice(NETDIAG_COMMENT_PREFIX.length) : null;
}

/** The network option that sets a network's MTU (`docker network create --opt`), bridge and overlay alike. */
export const MTU_OPTION = 'com.docker.network.driver.mtu';

/** Compose's labels: defined once beside the snapshot's label allow-list, which must keep every label rules/ reads. */
export { COMPOSE_LABELS } from '../../snapshot/kept-fields.js';

/**
 * Docker's embedded DNS (moby libnetwork resolver.go, resolver_unix.go, sandbox_dns_unix.go, internal/resolvconf):
 * where it listens inside a container, the nftables table Docker 29 writes for it, and where dockerd takes its
 * upstream servers from and queries them.
 */
export const DOCKER_DNS = {
  /** The address every user-network container's resolv.conf names; NAT in its namespace sends it to dockerd's socket. */
  address: '127.0.0.11',
  port: 53,
  /** Docker 29 with --firewall-backend=nftables: `table ip docker-dns` in each container's namespace. */
  nftTable: 'docker-dns',
  /** systemd-resolved's stub: resolvconf.Path() gives default-bridge containers systemd's list instead; the embedded resolver queries the stub itself, from the host's namespace. */
  systemdStub: '127.0.0.53',
  /**
   * From 28.0 every upstream read from the host's files is queried from the host's namespace (ExtDNSEntry
   * HostLoopback = !NSOverride); before, only loopback ones were, and the rest from the container's namespace.
   */
  allFromHostFrom: [28, 0] as readonly [number, number],
  /** 26.0 started taking IPv6 upstreams from the host's file; 20.10–25 read IPv4 nameservers only. */
  ipv6UpstreamsFrom: [26, 0] as readonly [number, number],
  /** Before 28.0, a host file with no nameserver at all made dockerd use Google's (from the container's namespace); 28 uses none. */
  defaultUpstreamsUntil: [28, 0] as readonly [number, number],
  defaultUpstreams: ['8.8.8.8', '8.8.4.4'] as readonly string[],
} as const;

/** Whether a nat rule belongs to Docker's embedded DNS: its iptables chains, or Docker 29's nftables table. */
export const isDockerDnsRule = (table: string, chain: string): boolean => DNS_CHAINS.has(chain) || table === DOCKER_DNS.nftTable;

/** Docker's firewall backends: iptables (every version), nftables (`--firewall-backend=nftables`, from `NFT_BACKEND_FROM`). */
export type DockerBackend = 'iptables' | 'nftables';

/** The first Docker version that can write its rules with nftables: before it, a daemon's rules are iptables' whatever it reports. */
export const NFT_BACKEND_FROM: readonly [number, number] = [29, 0];

/** What Docker writes for each network and published port, by purpose: doctor asks each of a network's bridge. */
export type ExpectedRule = 'isolation' | 'forward-accept' | 'masquerade' | 'dnat';

/**
 * Where Docker writes each purpose on each backend, and the meaning its rule has there (the classifiers decide the
 * meaning; this says which meanings count). iptables (20.10–29): isolation in DOCKER-ISOLATION-STAGE-2 (`-o br -j DROP`,
 * `internal` for an --internal network) or, 28+, DOCKER's `! -i br -o br -j DROP`; accepts in FORWARD or 28+'s
 * DOCKER-FORWARD/DOCKER-CT; MASQUERADE in nat POSTROUTING; DNAT in nat DOCKER. nftables (29): `ip docker-bridges`,
 * its rules' comments giving the meaning (DROP DIRECT ACCESS, UNPUBLISHED PORT DROP, MASQUERADE, DNAT).
 * `accept`: the purpose is met by a rule of Docker's that accepts (its meaning code is then a plain `rule`).
 */
export const DOCKER_WRITES: Readonly<Record<DockerBackend, Readonly<Record<ExpectedRule, { tables: readonly string[]; codes: readonly RuleCode[]; internalCodes?: readonly RuleCode[]; accept?: true }>>>> = {
  iptables: {
    isolation: { tables: ['filter'], codes: ['isolation', 'unpublished-port'], internalCodes: ['internal'] },
    'forward-accept': { tables: ['filter'], codes: ['rule'], accept: true },
    masquerade: { tables: ['nat'], codes: ['masquerade'] },
    dnat: { tables: ['nat'], codes: ['dnat'] },
  },
  nftables: {
    isolation: { tables: [DOCKER_NFT.table], codes: ['direct-access', 'unpublished-port'], internalCodes: ['internal'] },
    'forward-accept': { tables: [DOCKER_NFT.table], codes: ['rule'], accept: true },
    masquerade: { tables: [DOCKER_NFT.table], codes: ['masquerade'] },
    dnat: { tables: [DOCKER_NFT.table], codes: ['dnat'] },
  },
};

/**
 * What Docker leaves out for a network by its gateway mode (com.docker.network.bridge.gateway_mode_ipv4, 28+): a
 * routed network is neither masqueraded nor DNATed (its containers are addressed directly); a nat-unprotected one
 * (29) is not isolated from other networks (moby's iptablesdoc and NFTABLES.md dumps).
 */
export const GATEWAY_MODE_OMITS: Readonly<Record<string, readonly ExpectedRule[]>> = {
  routed: ['masquerade', 'dnat'],
  'nat-unprotected': ['isolation'],
};

/** The tables Docker's rules live in on a backend, as nftables lists them (iptables-nft's are `ip filter`, `ip nat`). */
export const dockerRuleTables = (backend: DockerBackend): readonly string[] => [...new Set(Object.values(DOCKER_WRITES[backend]).flatMap((w) => w.tables))];

/** The iptables chain whose policy Docker sets to DROP when it turns forwarding on. */
export const FORWARD_CHAIN = { table: 'filter', chain: 'FORWARD' } as const;

/**
 * What swarm's routing mesh writes in the host's iptables for each port published through the ingress network (moby
 * daemon/libnetwork/service_linux.go: initIngressConfiguration, generateIngressRules; IPv4 only, and the nftables
 * backend does not run swarm): a DOCKER-INGRESS chain in nat, jumped to from PREROUTING and OUTPUT for local
 * destinations, DNATing the port to ingress_sbox's docker_gwbridge address; one in filter, jumped to from
 * DOCKER-FORWARD (28.0.1+; FORWARD before), accepting the port and its replies. Written when the first port is
 * published and again at dockerd's start; a firewall reload removes them (moby PR #50443).
 */
export const SWARM_INGRESS = {
  chain: 'DOCKER-INGRESS',
  natFrom: ['PREROUTING', 'OUTPUT'],
  /** Either one holds the filter jump, by version. */
  filterFrom: ['DOCKER-FORWARD', 'FORWARD'],
} as const;
