// Runs every collector concurrently with its own deadline; each failure becomes an entry in the snapshot's errors.
import type { CollectContext, CollectResult } from './collector.js';
import { CollectorError, NoDataError, NotApplicable } from './collector.js';
import { inspectRunningContainers } from './docker.js';
import { readAllSandboxes } from './sandboxes.js';
import { attachOverlayPorts } from './overlay-ports.js';
import { dockerSource } from '../host/docker.js';
import type { DockerSource } from '../host/docker.js';
import { CommandError, forkingRunner, runCommand } from '../host/exec.js';
import type { CommandRunner, ForkingRunner } from '../host/exec.js';
import type { EarlyExec } from '../host/early-exec.js';
import { HELPER_FROM_CONTAINERS, programTimeoutMs } from './first-reads.js';
import { listDir, osSource, readLink, readSmallFile } from '../host/os.js';
import { ParseError } from './iproute-json.js';
import { collectors } from './registry.js';
import type { ContainerScope } from './scope.js';
import type { QuestionNeeds } from './question-needs.js';
import { SNAPSHOT_SCHEMA, HostSnapshot } from '../snapshot/host-snapshot.js';
import { fastParse, NOT_SURE } from '../snapshot/fast-parse.js';
import type { CollectionError, CollectorName, CollectorStatus, SnapshotParts } from '../snapshot/host-snapshot.js';
import { NETDIAG_VERSION } from '../host/version.js';
import { hostNameOf } from '../host/identity.js';

export interface CollectOptions {
  /** The host's name in netdiag; defaults to NETDIAG_HOST_NAME, then the hostname. */
  hostName?: string;
  /** Where NETDIAG_HOST_NAME is read (the CLI's injected environment in tests). */
  env?: NodeJS.ProcessEnv;
  /** Deadline for each collector and each command it runs. */
  timeoutMs?: number;
  /** Replace parts of the real context (tests replay recorded outputs this way). */
  context?: Partial<CollectContext>;
  /** Wrap the context before collectors see it (recording every answer, for fixtures and bug reports). */
  wrap?: (ctx: CollectContext) => CollectContext;
  /** Only the containers a question needs (see scope.ts); the snapshot then says which it holds. */
  scope?: ContainerScope;
  /** --keep-labels globs: labels kept besides those netdiag reads (every other label and third-party option is dropped). */
  keepLabels?: readonly string[];
  /** Collectors a question does not need (a ping asks no socket); they are absent from the snapshot, not failed. */
  skip?: CollectorName[];
  /**
   * With `scope`: only the question's own containers' namespaces are read for names and sockets (the dns and sockets
   * collectors), not those of the containers on their networks (a ping between those walks neither).
   */
  namesOfAskedOnly?: boolean;
  /** false: the other iptables backend's rules are not counted (no walk reads that count). */
  otherBackend?: boolean;
  /** false: the host's sockets without their processes (a ping's answer never shows them). */
  socketProcesses?: boolean;
  /**
   * Check the assembled snapshot against the schema (default). A snapshot that leaves the process must; one a
   * question uses at once was already checked where it came in (every API answer and tool output), part by part.
   */
  validate?: boolean;
  /**
   * Programs started before the collection (`netdiag snapshot` starts the host's while the collectors load): the
   * answer for exactly this command and input, handed out once; anything it does not give is run as usual.
   */
  early?: EarlyExec['take'];
  /** The helper that forks programs, when the caller has one already (started as soon as Docker's list answered). */
  forking?: ForkingRunner;
  now?: () => Date;
}

/** The real context: this process's network namespace, Docker at DOCKER_HOST. */
export function liveContext(timeoutMs: number, overrides: Partial<CollectContext> = {}, wrap: (c: CollectContext) => CollectContext = (c) => c): CollectContext {
  const ctx: CollectContext = wrap({
    exec: runCommand,
    readFile: readSmallFile,
    listDir,
    readLink,
    docker: onceInfo(dockerSource(timeoutMs)),
    host: osSource,
    containers: () => Promise.resolve([]),
    sandboxes: () => Promise.resolve([]),
    timeoutMs,
    ...overrides,
  });
  if (!overrides.containers) {
    // Inspect containers once and share the answer between the collectors that read sandboxes.
    let shared: ReturnType<CollectContext['containers']> | undefined;
    ctx.containers = () => (shared ??= inspectRunningContainers(ctx).then((r) => r.containers));
  }
  if (!overrides.sandboxes) {
    let shared: ReturnType<CollectContext['sandboxes']> | undefined;
    ctx.sandboxes = () => (shared ??= readAllSandboxes(ctx));
  }
  return ctx;
}

/**
 * GET /info asked once for the docker and swarm collectors alike: the Engine API's slowest read. GET /networks too:
 * a question placed without the list (scope-direct.ts) reads it before the docker collector does.
 */
function onceInfo(docker: DockerSource): DockerSource {
  let info: Promise<unknown> | undefined;
  let networks: Promise<unknown> | undefined;
  return { ...docker, info: () => (info ??= docker.info()), listNetworks: () => (networks ??= docker.listNetworks()) };
}

/**
 * A collector's allowance for each container it may enter, on top of the collection's deadline: a fixed deadline that
 * suits 50 containers fails every collection at 500 on a busy host (the agent then serves a stale snapshot for good),
 * while each program keeps its own timeout, so a hung daemon or program is still bounded.
 */
export const DEADLINE_PER_CONTAINER_MS = 20;

/**
 * `p` raced against `ms`, extended by DEADLINE_PER_CONTAINER_MS for each container once `containers` says how many
 * (a collection whose list cannot be read keeps the plain deadline).
 */
export function withDeadline<T>(p: Promise<T>, ms: number, name: string, containers: Promise<number> = Promise.resolve(0)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const t0 = performance.now();
  const deadline = new Promise<never>((_, reject) => {
    const arm = (n: number) => {
      const total = ms + n * DEADLINE_PER_CONTAINER_MS;
      const why = n > 0 ? `${total} ms (${ms} ms and ${DEADLINE_PER_CONTAINER_MS} ms for each of ${n} containers)` : `${ms} ms`;
      clearTimeout(timer);
      timer = setTimeout(() => reject(new CollectorError(`the ${name} collector did not finish within ${why}`, 'the host may be overloaded; retry, or raise --timeout')), Math.max(0, total - (performance.now() - t0)));
    };
    arm(0);
    containers.then((n) => !settled && n > 0 && arm(n), () => undefined);
  });
  return Promise.race([p, deadline]).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
}

function asError(name: CollectorName, error: unknown): { entry: CollectionError; absent: boolean } {
  if (error instanceof CollectorError || error instanceof CommandError) {
    return { entry: { collector: name, message: error.message, hint: error.hint }, absent: error instanceof NoDataError };
  }
  if (error instanceof ParseError) {
    return { entry: { collector: name, message: error.message, hint: 'the tool printed output netdiag cannot read; run it by hand and report the output' }, absent: false };
  }
  // A bug in netdiag: still one line, but it must not take the other collectors down.
  const message = error instanceof Error ? error.message : String(error);
  return { entry: { collector: name, message: `internal error: ${message}`, hint: 'report this bug with the output of `netdiag snapshot`' }, absent: false };
}

/** Collect this host: every collector concurrently, failures recorded, never thrown. */
export async function collectSnapshot(opts: CollectOptions = {}): Promise<HostSnapshot> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? (() => new Date());
  // What Docker's list made of the question: null when it could not place it (everything is then collected).
  let needs: QuestionNeeds | null = null;
  const scope = opts.scope;
  const placed: ContainerScope | undefined = scope && ((list: unknown[]) => (needs = scope(list)));
  if (placed && scope?.direct) {
    const direct = scope.direct.bind(scope);
    placed.direct = async (docker, networks) => {
      const r = await direct(docker, networks);
      if (r) needs = r.needs;
      return r;
    };
  }
  const scoped = placed ? { scope: placed } : {};
  const keep = opts.keepLabels ? { keepLabels: opts.keepLabels } : {};
  const forking = opts.context?.exec ? null : (opts.forking ?? forkingRunner());
  const exec: CommandRunner = opts.context?.exec ?? forking?.exec ?? runCommand;
  const early = opts.early;
  const firstThenExec: CommandRunner = early ? (file, args, o) => early(file, args, o?.input) ?? exec(file, args, o) : exec;
  const ctx = liveContext(programTimeoutMs(timeoutMs), { ...opts.context, exec: firstThenExec, ...scoped, ...keep }, opts.wrap);
  // Two programs per container to enter, forked from a process that grows with them (2-7 ms each from 70-110 MB): past
  // a few dozen, a small helper forks them on the other core. A question's or a small host's few run from here.
  if (forking && !scope && !opts.skip?.length) void ctx.containers().then((list) => list.length >= HELPER_FROM_CONTAINERS && forking.start(), () => undefined);
  // Known once the list has placed the question; when it cannot be read, everything is read.
  if (scope) ctx.needsIpv6 = () => ctx.containers().then(() => needs?.ipv6 ?? true, () => true);
  if (scope) ctx.namespacesEntered = () => ctx.containers().then(() => needs?.entered ?? null, () => null);
  if (scope && opts.namesOfAskedOnly) ctx.namesWalkedIn = () => ctx.containers().then(() => needs?.asked ?? null, () => null);
  if (opts.otherBackend === false) ctx.otherBackend = false;
  if (opts.socketProcesses === false) ctx.socketProcesses = false;
  const started = performance.now();
  const collectedAt = now().toISOString();
  const statuses = {} as Record<CollectorName, CollectorStatus>;
  const errors: CollectionError[] = [];
  const parts: Partial<{ [K in CollectorName]: SnapshotParts[K] }> = {};

  // How many containers a whole-host collection enters. A question's (scoped) enters a few, and may place them without
  // Docker's list (scope-direct.ts): not asked for it here.
  const entering = scope ? Promise.resolve(0) : ctx.containers().then((list) => list.length, () => 0);
  await Promise.all(
    collectors.filter((c) => !opts.skip?.includes(c.name)).map(async (c) => {
      const t0 = performance.now();
      try {
        const result: CollectResult<CollectorName> = await withDeadline<CollectResult<CollectorName>>(c.collect(ctx), timeoutMs, c.name, entering);
        (parts as Record<string, unknown>)[c.name] = result.data;
        for (const e of result.errors) errors.push({ collector: c.name, ...e });
        statuses[c.name] = { status: result.errors.length > 0 ? 'partial' : 'ok', durationMs: round(performance.now() - t0) };
      } catch (error) {
        // Not applicable here (a node not in a swarm): left out of the snapshot as a skipped collector is, so such a
        // host's snapshot is what it was before the collector existed (and `netdiag snapshot` still exits 0).
        if (error instanceof NotApplicable) return;
        const { entry, absent } = asError(c.name, error);
        errors.push(entry);
        statuses[c.name] = { status: absent ? 'absent' : 'failed', durationMs: round(performance.now() - t0) };
      }
    }),
  ).finally(() => forking?.close());

  // Needs both the links' and swarm's reads, so it runs once both are in; the sandbox reads are shared, not repeated.
  if (parts.links && parts.swarm) attachOverlayPorts(parts.links, parts.swarm, parts.docker ?? null, await ctx.sandboxes().catch(() => []));

  const order = collectors.map((c) => c.name as string);
  errors.sort((a, b) => order.indexOf(a.collector) - order.indexOf(b.collector));
  const snapshot: HostSnapshot = {
    schema: SNAPSHOT_SCHEMA,
    name: hostNameOf(opts.hostName, opts.env, parts.host?.hostname),
    collectedAt,
    durationMs: round(performance.now() - started),
    netdiagVersion: NETDIAG_VERSION,
    collectors: statuses,
    errors,
    scope: needs && parts.docker ? parts.docker.containers.map((c) => c.name) : null,
    ...notEnteredOf(needs, parts.docker ?? null),
    docker: parts.docker ?? null,
    links: parts.links ?? null,
    routes: parts.routes ?? null,
    firewall: parts.firewall ?? null,
    nftables: parts.nftables ?? null,
    sysctls: parts.sysctls ?? null,
    sockets: parts.sockets ?? null,
    host: parts.host ?? null,
    dns: parts.dns ?? null,
    swarm: parts.swarm ?? null,
  };
  // What we emit must satisfy our own contract. zod's own walk of it cost a 10-container snapshot 25-38 ms of a cold
  // process; fastParse returns what zod would return and leaves anything it is not sure of to zod (result and error).
  if (opts.validate === false) return snapshot;
  const quick = fastParse(HostSnapshot, snapshot);
  return quick === NOT_SURE ? HostSnapshot.parse(snapshot) : (quick as HostSnapshot);
}

/** The containers collected from Docker's data only (a question's bystanders): said only when there are some. */
function notEnteredOf(needs: QuestionNeeds | null, docker: SnapshotParts['docker'] | null): { notEntered?: string[] } {
  const entered = needs?.entered ?? null;
  if (entered === null || !docker) return {};
  const names = docker.containers.filter((c) => !entered.has(c.id) && c.sandboxKey && c.networkModeKind !== 'host' && c.networkModeKind !== 'container').map((c) => c.name);
  return names.length > 0 ? { notEntered: names } : {};
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
