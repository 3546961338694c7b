#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of 2 MB (V8's default grows to 16): netdiag allocates small, short-lived objects, and the agent
// stays under 100 MB after a scrape storm while the matrix runs faster (fewer pages touched). Read only at start-up.
// The netdiag executable (package.json's bin, dist/netdiag.cjs): a CommonJS file, because node starts an ES module
// entry through its module loader, ~10 ms of CPU a `why` answered by the local agent does not otherwise need. That
// `why` is answered here (quick.ts); every other command line loads the CLI's ES modules (dist/netdiag-main.mjs).
import { join } from 'node:path';
import { endOnClosedOutput, processIo } from './io.js';
import { runCommandLine } from './quick.js';

/** The quick path's script beside this file (build.mjs names it by its content's hash); absent from tsc's output. */
declare const __NETDIAG_WHY_QUICK__: string | undefined;

endOnClosedOutput((code) => process.exit(code));
const script = typeof __NETDIAG_WHY_QUICK__ === 'string' ? join(__dirname, __NETDIAG_WHY_QUICK__) : null;
// The CLI's ES modules: build.mjs points this import at dist/netdiag-main.mjs, left to node (an ES module imported
// from CommonJS), so the executable itself stays CommonJS and small.
void runCommandLine(process.argv.slice(2), script, processIo, () => import('./main.js')).then((code) => {
  process.exitCode = code;
});
