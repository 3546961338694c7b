// The quick path's driver, for both executables (launch.ts, package.json's bin; bin.ts, dist/netdiag.mjs): a
// `why A B [--json]` with a local agent to ask is answered by why-quick.ts, run from V8's code cache; any other command
// line, or a `why` the agent did not answer, goes to the whole CLI.
import type { Io } from './io.js';
import { quickWhy } from './quick-args.js';
import { runCached } from './code-cache.js';
import type { AskedAgent } from './commands/why.js';

/**
 * The exit code when the agent answered; else what the whole CLI is to be told (why the agent did not answer); null
 * when the command line is not the quick path's, or the path failed (its script missing, a bug): the whole CLI then
 * asks and answers as it always has. `script`: the quick script's path (null: none in this build).
 */
async function runQuick(argv: readonly string[], script: string | null, io: Io): Promise<{ code: number } | { asked: AskedAgent } | null> {
  if (script === null) return null;
  const quick = quickWhy(argv, io.env);
  if (quick === null) return null;
  try {
    const s = runCached<typeof import('./why-quick.js')>(script, io.env);
    const r = await s.exports.whyQuick(quick, io);
    s.keep();
    return r;
  } catch {
    return null;
  }
}

/**
 * A command line's exit code: the quick path's when it answered, else the whole CLI's, told what the agent said so it
 * is not asked twice. `loadMain`: each executable's own import of the CLI (bundled beside bin.ts; a separate ES
 * module for launch.ts, which build.mjs points its import at).
 */
export async function runCommandLine(
  argv: string[],
  script: string | null,
  io: Io,
  loadMain: () => Promise<{ main(argv: string[], io: Io, asked?: AskedAgent): Promise<number> }>,
): Promise<number> {
  const quick = await runQuick(argv, script, io);
  if (quick && 'code' in quick) return quick.code;
  const { main } = await loadMain();
  return main(argv, io, quick?.asked);
}
