// Where a query's hosts come from: --snapshot files, else this host collected now.
import { collectSnapshot } from '../collectors/run.js';
import type { ContainerScope } from '../collectors/scope.js';
import type { CollectorName, HostSnapshot } from '../snapshot/host-snapshot.js';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';
import { readSnapshotFile } from './files.js';
import { readInventory } from './inventory.js';
import { describeErrors } from './render/errors.js';
import { parseSnapshot } from '../snapshot/host-snapshot.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { fetchFailure } from './agent-client.js';
import { shownPath } from './text.js';

export interface SourceOptions {
  snapshot?: string[];
  agent?: string[];
  inventory?: string;
  hostName?: string;
}

/** The agents in view: --agent URLs, or an inventory's hosts (whose names then name the snapshots). */
export async function agentsInView(opts: SourceOptions): Promise<{ name: string | null; url: string }[]> {
  if (opts.inventory) return (await readInventory(opts.inventory)).hosts.map((h) => ({ name: h.name, url: h.agent }));
  return (opts.agent ?? []).map((url) => ({ name: null, url }));
}

/** One agent's snapshot over HTTP (GET /v1/snapshot), with a one-line error naming the agent. */
export async function fetchSnapshot(url: string): Promise<HostSnapshot> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--agent takes a URL like http://10.0.0.5:9700, not ${shownPath(url)}`);
  }
  let res: Response;
  try {
    res = await fetch(new URL('/v1/snapshot', base), { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new UsageError(`cannot reach the agent at ${shownPath(url)}: ${fetchFailure(error)}`, 'is `netdiag agent` running there, and listening on that address?');
  }
  const text = await res.text();
  if (!res.ok) throw new UsageError(`the agent at ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  try {
    return parseSnapshot(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`the agent at ${url} sent something that is not a snapshot: ${(error as Error).message}`);
  }
}

/** What a local collection may leave out for one question: its containers (scope) and collectors it does not need. */
export interface Question {
  scope?: ContainerScope;
  skip?: CollectorName[];
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
    const agents = await agentsInView(opts);
    if (agents.length > 1) io.stderr(`netdiag: asking ${agents.length} agents…\n`);
    const snaps = agents.length > 0
      ? await Promise.all(agents.map(async (a) => ({ ...(await fetchSnapshot(a.url)), ...(a.name ? { name: a.name } : {}) })))
      : await Promise.all((opts.snapshot as string[]).map(readSnapshotFile));
    const urls = new Map(agents.map((a, i) => [snaps[i]?.name ?? '', a.url]));
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
  return buildWorld(await loadSnapshots(opts, io, question));
}
