// `node dist/bench/agent-only.js`: the agent's bench alone (its owner's driver; `npm run bench` runs it with the rest).
import { benchAgent } from './agent.js';

// NETDIAG_BENCH_BIN set (another build measured): the refresh, timed in-process with this build's code, is left out.
await benchAgent({ refresh: process.env.NETDIAG_BENCH_BIN === undefined });
