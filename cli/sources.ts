// Where a query's hosts come from: --snapshot files, else this host collected now.
import { collectSnapshot } from '../collectors/run.js';
import type { HostSnapshot } from '../collectors/snapshot.js';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';
import { readSnapshotFile } from './files.js';
import { parseSnapshot } from '../collectors/snapshot.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';

export interface SourceOptions {
  snapshot?: string[];
  agent?: string[];
  hostName?: string;
}

/** One agent's snapshot over HTTP (GET /v1/snapshot), with a one-line error naming the agent. */
export async function fetchSnapshot(url: string): Promise<HostSnapshot> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--agent takes a URL like http://10.0.0.5:9700, not ${JSON.stringify(url)}`);
  }
  let res: Response;
  try {
    res = await fetch(new URL('/v1/snapshot', base), { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UsageError(`cannot reach the agent at ${url}: ${cause}`, 'is `netdiag agent` running there, and listening on that address?');
  }
  const text = await res.text();
  if (!res.ok) throw new UsageError(`the agent at ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  try {
    return parseSnapshot(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`the agent at ${url} sent something that is not a snapshot: ${(error as Error).message}`);
  }
}

export async function loadSnapshots(opts: SourceOptions, io: Io): Promise<HostSnapshot[]> {
  const fromAgents = opts.agent && opts.agent.length > 0;
  if (fromAgents && opts.snapshot?.length) throw new UsageError('give either --snapshot files or --agent URLs, not both');
  if ((opts.snapshot && opts.snapshot.length > 0) || fromAgents) {
    if (fromAgents && (opts.agent as string[]).length > 1) io.stderr(`netdiag: asking ${(opts.agent as string[]).length} agents…\n`);
    const snaps = fromAgents ? await Promise.all((opts.agent as string[]).map(fetchSnapshot)) : await Promise.all((opts.snapshot as string[]).map(readSnapshotFile));
    const names = new Set<string>();
    for (const s of snaps) {
      if (names.has(s.name)) throw new UsageError(`two snapshots are both named ${JSON.stringify(s.name)}`, 'collect them with distinct --host-name values');
      names.add(s.name);
    }
    return snaps;
  }
  const s = await collectSnapshot({ hostName: opts.hostName ?? io.env.NETDIAG_HOST_NAME });
  if (!s.docker) {
    const e = s.errors.find((x) => x.collector === 'docker');
    throw new UsageError(e ? e.message : 'Docker was not read', e?.hint);
  }
  for (const e of s.errors) io.stderr(`netdiag: warning: ${e.collector}${e.subject ? ` (${e.subject})` : ''}: ${e.message} — ${e.hint}\n`);
  return [s];
}

export async function loadWorld(opts: SourceOptions, io: Io): Promise<World> {
  return buildWorld(await loadSnapshots(opts, io));
}
