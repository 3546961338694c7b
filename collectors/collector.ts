// The collector contract (node_exporter's pattern): one source per collector, failures reported, never fatal.
import type { CollectionError, CollectorName, SnapshotParts } from '../snapshot/host-snapshot.js';
import type { CommandRunner } from '../host/exec.js';
import type { DockerSource, InspectedContainer } from '../host/docker.js';
import type { HostSource } from '../host/os.js';
import type { ContainerScope } from './scope.js';

/** Everything a collector may touch; tests pass a context that replays recorded outputs. */
export interface CollectContext {
  exec: CommandRunner;
  /** Reads a small file (a /proc/sys value); null when it does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Lists a directory's entries; null when it does not exist. */
  listDir(path: string): Promise<string[] | null>;
  /** Where a symbolic link points; null when it does not exist. */
  readLink(path: string): Promise<string | null>;
  host: HostSource;
  docker: DockerSource;
  /** Running containers as the docker collector inspected them, shared by collectors that read sandboxes. */
  containers(): Promise<InspectedContainer[]>;
  /** iproute2's answers from inside every container's namespace, read once and shared by links and routes. */
  sandboxes(): Promise<SandboxReading[]>;
  /** Which containers to inspect and enter, from Docker's list (a question's); all of them when absent. */
  scope?: ContainerScope;
  /** Whether IPv6 tables and routes are wanted (after Docker's list placed the question); absent means yes. */
  needsIpv6?(): Promise<boolean>;
  /**
   * The containers whose own namespace a question's names and sockets are walked in (its resolver NAT, its sockets);
   * null, or absent: every collected container's is read.
   */
  namesWalkedIn?(): Promise<Set<string> | null>;
  /**
   * The containers whose namespaces are entered (iproute2 and iptables inside); null, or absent: every collected
   * container's. The others are known from Docker's data only, and the snapshot names them (`notEntered`).
   */
  namespacesEntered?(): Promise<Set<string> | null>;
  /** false: the other iptables backend is not counted (a question's walk never reads that count; doctor does). */
  otherBackend?: boolean;
  /**
   * false: the host's sockets are listed without the process holding each (`ss` without -p, which otherwise reads
   * every process's descriptors on the host: the slowest read of a busy host). A ping's answer never names them.
   */
  socketProcesses?: boolean;
  /** --keep-labels globs: labels kept besides those netdiag reads (snapshot/kept-fields.ts); absent: none. */
  keepLabels?: readonly string[];
  timeoutMs: number;
}

export interface CollectResult<K extends CollectorName> {
  data: SnapshotParts[K];
  /** Problems with parts of the source (one container, one table) that did not stop the rest. */
  errors: Omit<CollectionError, 'collector'>[];
}

export interface Collector<K extends CollectorName> {
  name: K;
  collect(ctx: CollectContext): Promise<CollectResult<K>>;
}

/** A failure of a whole collector: what happened and what to do. */
export class CollectorError extends Error {
  override name = 'CollectorError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The source does not exist on this host (not an error: e.g. no Docker installed is still a fact). */
export class NoDataError extends CollectorError {
  override name = 'NoDataError';
}

/** The source does not apply to this host (a node not in a swarm): no part, no status, no error — not collected. */
export class NotApplicable extends NoDataError {
  override name = 'NotApplicable';
}

/** Run fn over items with at most `limit` in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Order by code units: stable output without ICU. localeCompare's first call builds a collator, 6 ms of every
 * `netdiag why`; Docker's names and IDs are ASCII, where the two orders differ only in where capitals go.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What iproute2 says inside one sandbox: its links with addresses, its routes and its policy rules (raw JSON text). */
export interface SandboxReading {
  sandbox: Sandbox;
  result: { addr: string; routes: string; rules: string; neigh: string; routes6: string | null; rules6: string | null; neigh6: string | null } | { error: unknown };
}

export interface Sandbox {
  containerId: string;
  name: string;
  sandboxKey: string;
  /** Docker gave it an IPv6 address: its IPv6 routes and rules are read too (one more process, only then). */
  ipv6: boolean;
}
