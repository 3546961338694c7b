#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of 2 MB (V8's default grows to 16): netdiag allocates small, short-lived objects, and the agent
// stays under 100 MB after a scrape storm while the matrix runs faster (fewer pages touched). Read only at start-up.
// The netdiag executable: the only place that reads process.argv and calls process.exit.
import { main } from './main.js';
import { endOnClosedOutput, processIo } from './io.js';

endOnClosedOutput((code) => process.exit(code));
process.exitCode = await main(process.argv.slice(2), processIo);
