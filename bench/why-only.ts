// `node dist/bench/why-only.js [sizes…]`: only the why bench (the lab is shared; `npm run bench` runs everything).
// NETDIAG_BENCH_BEFORE=path/to/netdiag.mjs: an earlier build measured the same way on the same hosts, for before/after.
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { busyHost, growTo } from './busy.js';
import { report } from './report.js';
import { benchWhyAt } from './why.js';
import type { ProbeCost } from './why.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const before = process.env.NETDIAG_BENCH_BEFORE;
const why = labUnavailable();
if (why) console.log(`bench: the lab is not available: ${why}`);
else {
  const lab = await Lab.create();
  try {
    const b = await busyHost(lab);
    let probes: ProbeCost | null = null;
    const rows: [string, string, string][] = [];
    const old: [string, string, string][] = [];
    for (const size of sizes.length ? sizes : [50, 200, 500]) {
      await growTo(b, size);
      const w = await benchWhyAt(b.h, size, probes);
      rows.push(...w.rows);
      probes ??= w.probes;
      report(`why at ${size}`, w.rows);
      if (before) {
        const o = await benchWhyAt(b.h, size, probes, { bin: before });
        old.push(...o.rows);
        report(`why at ${size}, before (${before})`, o.rows);
      }
    }
    report('why on a live host, the same blocked pair as the host grows, as it is called (wall, process start to exit, median of 7)', rows);
    if (before) report(`the same, ${before}`, old);
  } finally {
    await lab.teardown();
  }
}
