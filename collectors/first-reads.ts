// The programs a whole-host collection runs whatever the answers say, named once: the collectors run them from these
// names, and `netdiag snapshot` starts them from the same names before the collectors have loaded. Data only (no zod).
// One program read is host/early-exec.ts's EarlyRead: what these name is what it starts.
import type { EarlyRead as Read } from '../host/early-exec.js';

// The host's addresses with their link details (links collector).
export const IP_ADDR = ['-j', '-d', 'addr', 'show'] as const;
// Routes and policy rules of both families, each read pinned to its own (without -4/-6 the JSON does not say which a
// route is); neighbour entries carry their address, so one read holds both (routes collector).
export const IP_ROUTES = ['-j', '-4', 'route', 'show', 'table', 'all'] as const;
export const IP_RULES = ['-j', '-4', 'rule', 'show'] as const;
export const IP_ROUTES6 = ['-j', '-6', 'route', 'show', 'table', 'all'] as const;
export const IP_RULES6 = ['-j', '-6', 'rule', 'show'] as const;
export const IP_NEIGH = ['-j', 'neigh', 'show'] as const;
// Both families' iptables with counters (firewall collector), native nftables (nftables collector).
export const IPTABLES_SAVE = ['-c'] as const;
export const IP6TABLES_SAVE = ['-c'] as const;
export const NFT_RULESET = ['-j', 'list', 'ruleset'] as const;
// Listening sockets, with their processes unless the question never shows them (sockets collector).
export const SS_WITH_PROCESSES = ['-Htlunp'] as const;
export const SS_WITHOUT_PROCESSES = ['-Htlun'] as const;

/** The host's own reads of a whole-host collection: none waits for Docker, each collector asks for its own. */
export const HOST_READS: readonly Read[] = [
  { file: 'ip', args: IP_ADDR },
  { file: 'ip', args: IP_ROUTES },
  { file: 'ip', args: IP_RULES },
  { file: 'ip', args: IP_ROUTES6 },
  { file: 'ip', args: IP_RULES6 },
  { file: 'ip', args: IP_NEIGH },
  { file: 'iptables-save', args: IPTABLES_SAVE },
  { file: 'ip6tables-save', args: IP6TABLES_SAVE },
  { file: 'nft', args: NFT_RULESET },
  { file: 'ss', args: SS_WITH_PROCESSES },
];

// One process per sandbox for addresses, routes, rules and neighbours: spawning nsenter is the dominant cost with many
// containers. Without -4, `route show table all` lists both families with nothing in the JSON to tell which ("default"
// is both), and a family cannot be given per batch line: so one -4 batch, and a -6 batch only for containers with IPv6.
export const SANDBOX_BATCH = 'addr show\nroute show table all\nrule show\nneigh show\n';
export const SANDBOX_IP_ARGS = ['-j', '-d', '-4', '-batch', '-'] as const;
export const SANDBOX_IP6_ARGS = ['-6', '-j', '-batch', '-'] as const;
// The NAT table Docker's embedded DNS redirects through, in each namespace (dns collector).
export const SANDBOX_DNS_NAT = ['-c', '-t', 'nat'] as const;

/** The parts of a container's inspection that say whether, and how, netdiag enters its namespace. */
export interface NamespaceFacts {
  State?: { Status?: unknown };
  HostConfig?: { NetworkMode?: unknown };
  NetworkSettings?: { SandboxKey?: unknown; Networks?: unknown };
}

/**
 * The namespace netdiag reads of a container: a running one that owns it (host mode shares the host's; container:X
 * mode shares X's), and whether it has IPv6 (its -6 batch). Takes Docker's answer as parsed or as it came.
 */
export function ownNamespace(c: NamespaceFacts): { sandboxKey: string; ipv6: boolean } | null {
  const key = c.NetworkSettings?.SandboxKey;
  const mode = c.HostConfig?.NetworkMode;
  if (c.State?.Status !== 'running' || typeof key !== 'string' || !key) return null;
  if (typeof mode !== 'string' || mode === 'host' || mode.startsWith('container:')) return null;
  const networks = c.NetworkSettings?.Networks;
  const entries = networks && typeof networks === 'object' ? Object.values(networks as Record<string, { GlobalIPv6Address?: unknown } | null>) : [];
  const ipv6 = entries.some((e) => typeof e?.GlobalIPv6Address === 'string' && e.GlobalIPv6Address !== '');
  return { sandboxKey: key, ipv6 };
}

/** Entering a namespace to run a program there. */
export function inNamespace(sandboxKey: string, file: string, args: readonly string[], input?: string): Read {
  return { file: 'nsenter', args: [`--net=${sandboxKey}`, file, ...args], ...(input === undefined ? {} : { input }) };
}

/** A whole-host collection's reads of one container's namespace (links and routes share the batches; dns its NAT). */
export function namespaceReads(ns: { sandboxKey: string; ipv6: boolean }): Read[] {
  return [
    inNamespace(ns.sandboxKey, 'ip', SANDBOX_IP_ARGS, SANDBOX_BATCH),
    ...(ns.ipv6 ? [inNamespace(ns.sandboxKey, 'ip', SANDBOX_IP6_ARGS, SANDBOX_BATCH)] : []),
    inNamespace(ns.sandboxKey, 'iptables-save', SANDBOX_DNS_NAT),
  ];
}

/**
 * From this many containers a collection forks its programs from a small helper (host/exec-helper.ts), started as soon
 * as Docker's list answers. Below it the helper's own start (~50 ms of CPU) costs more than the forks it spares, and
 * each container's namespace reads start as soon as Docker's inspection of it answers; from 50 containers on, the
 * process forking holds 70-110 MB, and each of its 2N+11 forks blocks it for 2-7 ms.
 */
export const HELPER_FROM_CONTAINERS = 25;

/**
 * How long one program or Docker call of a collection may take: the collection's deadline, at most 5 s (a collector
 * runs several, and each hung one must leave time for the rest). The early reads run under the same.
 */
export const programTimeoutMs = (timeoutMs: number) => Math.min(timeoutMs, 5_000);
