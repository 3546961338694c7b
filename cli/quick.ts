// The quick path's driver, for both executables (launch.ts, package.json's bin; bin.ts, dist/netdiag.mjs): a
// `why A B [--json]` with a local agent to ask is answered by why-quick.ts, run from V8's code cache.
import type { Io } from './io.js';
import { quickWhy } from './quick-args.js';
import { runCached } from './code-cache.js';
import type { AskedAgent } from './commands/why.js';

/**
 * The exit code when the agent answered; else what the whole CLI is to be told (why the agent did not answer); null
 * when the command line is not the quick path's, or the path failed (its script missing, a bug): the whole CLI then
 * asks and answers as it always has. `script`: the quick script's path (null: none in this build).
 */
export async function runQuick(argv: readonly string[], script: string | null, io: Io): Promise<{ code: number } | { asked: AskedAgent } | null> {
  const quick = script ? quickWhy(argv, io.env) : null;
  if (!quick || !script) return null;
  try {
    const s = runCached<typeof import('./why-quick.js')>(script, io.env);
    const r = await s.exports.whyQuick(quick, io);
    s.keep();
    return r;
  } catch {
    return null;
  }
}
