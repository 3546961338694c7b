// Where a query's hosts come from: --snapshot files, else this host collected now.
import { collectSnapshot } from '../collectors/run.js';
import type { HostSnapshot } from '../collectors/snapshot.js';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';
import { readSnapshotFile } from './files.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';

export interface SourceOptions {
  snapshot?: string[];
  hostName?: string;
}

export async function loadSnapshots(opts: SourceOptions, io: Io): Promise<HostSnapshot[]> {
  if (opts.snapshot && opts.snapshot.length > 0) {
    const snaps = await Promise.all(opts.snapshot.map(readSnapshotFile));
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
