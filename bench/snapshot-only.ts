// `node dist/bench/snapshot-only.js [sizes…]`: only the snapshot bench (the lab is shared; `npm run bench` runs everything).
// NETDIAG_BENCH_BEFORE=path/to/netdiag.mjs: an earlier build timed in the same alternation, for before/after.
import { atEachSize } from './busy.js';
import { report } from './report.js';
import { benchSnapshot } from './snapshot.js';

const before = process.env.NETDIAG_BENCH_BEFORE;
const rows: [string, string, string][] = [];
await atEachSize([10, 50, 500], async (b, size) => {
  const r = await benchSnapshot(b.h, size, before ? { before } : {});
  report(`snapshot at ${size}`, r);
  rows.push(...r);
});
if (rows.length) report('snapshot on a live host, containers on 5 networks (wall, process start to exit)', rows);
