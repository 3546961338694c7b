// Where a query's hosts come from: --snapshot files, else this host collected now.
import { collectSnapshot } from '../collectors/run.js';
import type { ContainerScope } from '../collectors/scope.js';
import type { CollectorName, HostSnapshot } from '../snapshot/host-snapshot.js';
import type { World } from '../rules/model/types.js';
import { readSnapshotFile } from './snapshot-file.js';
import { inventoryAgents } from './inventory.js';
import { describeErrors } from './render/errors.js';
import { parseOwnedSnapshot } from '../snapshot/host-snapshot.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { askAgent } from './agent-client.js';
import { agentTargets } from './agent-access.js';
import type { AccessOptions, AgentEntry, AgentTarget } from './agent-access.js';

export interface SourceOptions extends AccessOptions {
  snapshot?: string[];
  agent?: string[];
  inventory?: string;
  hostName?: string;
}

/** The agents in view: --agent URLs, or an inventory's hosts (whose names then name the snapshots). */
export async function agentsInView(opts: SourceOptions): Promise<AgentEntry[]> {
  if (opts.inventory) return inventoryAgents(opts.inventory);
  return (opts.agent ?? []).map((url) => ({ name: null, url }));
}

/** An agent's error answer as its JSON message says it (429's "too many requests…"), else the start of the body. */
function agentMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // Not JSON (a proxy's page): its start says enough.
  }
  return body.slice(0, 200);
}

/** One agent's snapshot (GET /v1/snapshot), with a one-line error naming the agent. */
export async function fetchSnapshot(t: AgentTarget): Promise<HostSnapshot> {
  const res = await askAgent(t, '/v1/snapshot');
  if (res.status !== 200) throw new UsageError(`the agent at ${t.shown} answered ${res.status}: ${agentMessage(res.text)}`);
  try {
    return parseOwnedSnapshot(JSON.parse(res.text));
  } catch (error) {
    throw new UsageError(`the agent at ${t.shown} sent something that is not a snapshot: ${(error as Error).message}`);
  }
}

/** What a local collection may leave out for one question: its containers (scope) and collectors it does not need. */
export interface Question {
  scope?: ContainerScope;
  skip?: CollectorName[];
  /** Names and sockets read only in the question's own containers' namespaces (collectors/run.ts). */
  namesOfAskedOnly?: boolean;
  /** false: the other iptables backend is not counted. */
  otherBackend?: boolean;
  /** false: the host's sockets without their processes. */
  socketProcesses?: boolean;
}

export async function loadSnapshots(opts: SourceOptions, io: Io, question: Question = {}): Promise<HostSnapshot[]> {
  return (await loadHosts(opts, io, question)).snapshots;
}

/** The hosts in view, and for those reached through an agent, its URL (a plan needs both). */
/** `scope` limits a local collection to the containers a question needs (snapshots and agents are taken whole). */
export async function loadHosts(opts: SourceOptions, io: Io, question: Question = {}): Promise<{ snapshots: HostSnapshot[]; agents: Map<string, string> }> {
  const sources = [opts.snapshot?.length ? '--snapshot' : null, opts.agent?.length ? '--agent' : null, opts.inventory ? '--inventory' : null].filter(Boolean);
  if (sources.length > 1) throw new UsageError(`give one of --snapshot, --agent or --inventory, not ${sources.join(' and ')}`);
  if (sources.length === 1) {
    const agents = await agentTargets(await agentsInView(opts), opts, io);
    if (agents.length > 1) io.stderr(`netdiag: asking ${agents.length} agents…\n`);
    const snaps = agents.length > 0
      ? await Promise.all(agents.map(async (a) => ({ ...(await fetchSnapshot(a)), ...(a.name ? { name: a.name } : {}) })))
      : await Promise.all((opts.snapshot as string[]).map(readSnapshotFile));
    // A plan records these: the URL as shown, with its user but never a password.
    const urls = new Map(agents.map((a, i) => [snaps[i]?.name ?? '', a.shown]));
    const names = new Set<string>();
    for (const s of snaps) {
      if (names.has(s.name)) throw new UsageError(`two snapshots are both named ${JSON.stringify(s.name)}`, 'collect them with distinct --host-name values');
      names.add(s.name);
    }
    // What a snapshot lacks makes answers unknown: say so up front, not only inside each answer.
    for (const s of snaps) for (const line of describeErrors(s, true)) io.stderr(`netdiag: warning: ${line}\n`);
    return { snapshots: snaps, agents: urls };
  }
  // Collected for a question and used here at once: its parts were checked as they came in.
  const s = await collectSnapshot({ hostName: opts.hostName, env: io.env, validate: false, ...question });
  if (!s.docker) {
    const e = s.errors.find((x) => x.collector === 'docker');
    throw new UsageError(e ? e.message : 'Docker was not read', e?.hint);
  }
  for (const line of describeErrors(s)) io.stderr(`netdiag: warning: ${line}\n`);
  return { snapshots: [s], agents: new Map() };
}

export async function loadWorld(opts: SourceOptions, io: Io, question: Question = {}): Promise<World> {
  // The reads start before the model's code loads: node compiles it while the host and Docker answer (a collection
  // waits on programs and the daemon most of its time). Its failure is awaited below, after the code is in.
  const snapshots = loadSnapshots(opts, io, question);
  snapshots.catch(() => undefined);
  const { buildWorld } = await import('../rules/model/build.js');
  return buildWorld(await snapshots);
}
