// `node dist/bench/why-only.js [sizes…]`: only the why bench (the lab is shared; `npm run bench` runs everything).
// NETDIAG_BENCH_BEFORE=path/to/netdiag.mjs: an earlier build run by turns with this one in every mode, on the same
// hosts and the same agent, for before/after; NETDIAG_BENCH_WHY_MODES=json,agent…: only those modes.
import { atEachSize } from './busy.js';
import { report } from './report.js';
import { benchWhyAt } from './why.js';
import type { ProbeCost } from './why.js';

const before = process.env.NETDIAG_BENCH_BEFORE;
let probes: ProbeCost | null = null;
const rows: [string, string, string][] = [];
await atEachSize([50, 200, 500], async (b, size) => {
  const w = await benchWhyAt(b.h, size, probes, before ? { alongside: before } : {});
  rows.push(...w.rows);
  probes ??= w.probes;
  report(`why at ${size}`, w.rows);
});
if (rows.length) report('why on a live host, the same blocked pair as the host grows, as it is called (wall, process start to exit, median of 7)', rows);
