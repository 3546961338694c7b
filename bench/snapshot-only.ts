// `node dist/bench/snapshot-only.js [sizes…]`: only the snapshot bench (the lab is shared; `npm run bench` runs everything).
// NETDIAG_BENCH_BEFORE=path/to/netdiag.mjs: an earlier build timed in the same alternation, for before/after.
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { busyHost, growTo } from './busy.js';
import { report } from './report.js';
import { benchSnapshot } from './snapshot.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const before = process.env.NETDIAG_BENCH_BEFORE;
const why = labUnavailable();
if (why) console.log(`bench: the lab is not available: ${why}`);
else {
  const lab = await Lab.create();
  try {
    const b = await busyHost(lab);
    const rows: [string, string, string][] = [];
    for (const size of sizes.length ? sizes : [10, 50, 500]) {
      await growTo(b, size);
      const r = await benchSnapshot(b.h, size, before ? { before } : {});
      report(`snapshot at ${size}`, r);
      rows.push(...r);
    }
    report('snapshot on a live host, containers on 5 networks (wall, process start to exit)', rows);
  } finally {
    await lab.teardown();
  }
}
