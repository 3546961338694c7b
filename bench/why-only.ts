// `node dist/bench/why-only.js [sizes…]`: only the why bench (the lab is shared; `npm run bench` runs everything).
// NETDIAG_BENCH_BEFORE=path/to/netdiag.mjs: an earlier build measured the same way on the same hosts, for before/after
// (with NETDIAG_BENCH_WHY_MODES=agent: in runs alternating with this build's, on the same agent).
import { atEachSize } from './busy.js';
import { report } from './report.js';
import { benchWhyAt } from './why.js';
import type { ProbeCost } from './why.js';

const before = process.env.NETDIAG_BENCH_BEFORE;
let probes: ProbeCost | null = null;
const rows: [string, string, string][] = [];
const old: [string, string, string][] = [];
await atEachSize([50, 200, 500], async (b, size) => {
  // Only the agent's figure asked for: the earlier build alternates with this one on the same agent.
  const alongside = before && process.env.NETDIAG_BENCH_WHY_MODES === 'agent' ? before : undefined;
  const w = await benchWhyAt(b.h, size, probes, alongside ? { alongside } : {});
  rows.push(...w.rows);
  probes ??= w.probes;
  report(`why at ${size}`, w.rows);
  if (before && !alongside) {
    const o = await benchWhyAt(b.h, size, probes, { bin: before });
    old.push(...o.rows);
    report(`why at ${size}, before (${before})`, o.rows);
  }
});
if (rows.length) report('why on a live host, the same blocked pair as the host grows, as it is called (wall, process start to exit, median of 7)', rows);
if (before && old.length) report(`the same, ${before}`, old);
