#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of 2 MB (V8's default grows to 16): netdiag allocates small, short-lived objects, and the agent
// stays under 100 MB after a scrape storm while the matrix runs faster (fewer pages touched). Read only at start-up.
// The netdiag CLI as an ES module (dist/netdiag.mjs; package.json's bin is launch.ts, which starts faster): the only
// places that read process.argv and call process.exit are these two.
import { fileURLToPath } from 'node:url';
import { endOnClosedOutput, processIo } from './io.js';
import { runCommandLine } from './quick.js';

/** The quick path's script in dist (build.mjs names it by its content's hash); absent when run from tsc's output. */
declare const __NETDIAG_WHY_QUICK__: string | undefined;

endOnClosedOutput((code) => process.exit(code));
// `why A B [--json]` with a local agent to ask: asked without commander and the rest of the CLI (quick.ts).
const script = typeof __NETDIAG_WHY_QUICK__ === 'string' ? fileURLToPath(new URL(__NETDIAG_WHY_QUICK__, import.meta.url)) : null;
process.exitCode = await runCommandLine(process.argv.slice(2), script, processIo, () => import('./main.js'));
