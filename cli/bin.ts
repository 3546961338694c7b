#!/usr/bin/env node
// The netdiag executable: the only place that reads process.argv and calls process.exit.
import { main } from './main.js';
import { processIo } from './io.js';

process.exitCode = await main(process.argv.slice(2), processIo);
