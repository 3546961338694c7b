#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of 2 MB (V8's default grows to 16): netdiag allocates small, short-lived objects, and the agent
// stays under 100 MB after a scrape storm while the matrix runs faster (fewer pages touched). Read only at start-up.
// The netdiag executable: the only place that reads process.argv and calls process.exit.
import { fileURLToPath } from 'node:url';
import { endOnClosedOutput, processIo } from './io.js';
import { quickWhy } from './quick-args.js';
import { runCached } from './code-cache.js';
import type { AskedAgent } from './commands/why.js';

/** The quick path's script in dist (build.mjs names it by its content's hash); absent when run from tsc's output. */
declare const __NETDIAG_WHY_QUICK__: string | undefined;

endOnClosedOutput((code) => process.exit(code));
const argv = process.argv.slice(2);
let asked: AskedAgent | undefined;
// `why A B [--json]` with a local agent to ask: asked without commander and the rest of the CLI, from V8's code cache
// (why-quick.ts). Anything it does not answer goes to the whole CLI, told what the agent said so it is not asked twice.
const quick = typeof __NETDIAG_WHY_QUICK__ === 'string' ? quickWhy(argv, process.env) : null;
if (quick) {
  try {
    const script = runCached<typeof import('./why-quick.js')>(fileURLToPath(new URL(__NETDIAG_WHY_QUICK__ as string, import.meta.url)), process.env);
    const r = await script.exports.whyQuick(quick, processIo);
    script.keep();
    if ('code' in r) process.exitCode = r.code;
    else asked = r.asked;
  } catch {
    // A quick path that failed (its script missing, a bug): the whole CLI asks and answers as it always has.
    asked = undefined;
  }
}
if (process.exitCode === undefined) {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv, processIo, asked);
}
