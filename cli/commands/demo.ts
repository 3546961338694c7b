// `netdiag demo`: the seed scenario from a snapshot captured in the lab and bundled with netdiag (no root, no Docker).
import { fileURLToPath } from 'node:url';
import type { Io } from '../io.js';
import { readSnapshotFile } from '../files.js';
import { summarizeSnapshot } from '../render/summary.js';

/** examples/ sits beside dist/ in the package; this file is dist/cli/commands/demo.js. */
export const DEMO_SNAPSHOT = fileURLToPath(new URL('../../../examples/seed-host.json', import.meta.url));

export async function demoCommand(opts: { json?: boolean }, io: Io): Promise<number> {
  const snapshot = await readSnapshotFile(DEMO_SNAPSHOT);
  if (opts.json) io.stdout(`${JSON.stringify(snapshot)}\n`);
  else io.stdout(`${summarizeSnapshot(snapshot).join('\n')}\n`);
  return 0;
}
