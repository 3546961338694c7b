// `npm run bench`: every speed figure netdiag promises, measured and printed beside the alternative (never asserted),
// and at several sizes, so anyone sees whether the cost grows as it should.
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { benchMap } from './map.js';
import { benchMatrix } from './matrix.js';
import { benchPlan } from './plan.js';
import { benchSnapshot } from './snapshot.js';
import { benchWhyAt } from './why.js';
import { benchAgent } from './agent.js';
import { benchStall } from './stall.js';
import { busyHost, growTo } from './busy.js';
import { report } from './report.js';
import type { ProbeCost } from './why.js';

let probes: ProbeCost | null = null;
const why = labUnavailable();
if (why) {
  console.log(`bench: the lab benches need a real dockerd and were not run: ${why}`);
} else {
  const lab = await Lab.create();
  try {
    const b = await busyHost(lab);
    const snap: [string, string, string][] = [];
    const whys: [string, string, string][] = [];
    let at50: number | null = null;
    for (const size of [10, 50, 100, 200]) {
      await growTo(b, size);
      if ([10, 50, 500].includes(size)) snap.push(...(await benchSnapshot(b.h, size)));
      const w = await benchWhyAt(b.h, size, at50);
      whys.push(...w.rows);
      if (w.probes) [probes, at50] = [w.probes, w.why];
    }
    report('snapshot on a live host, containers on 5 networks (wall, process start to exit; median of 7, of 3 at 500; by hand: median of 4, of 2 at 500)', snap);
    report('why on a live host, the same blocked pair as the host grows (wall, process start to exit, median of 7)', whys);
    await benchAgent(lab);
  } finally {
    await lab.teardown();
  }
}
await benchMap();
await benchMatrix(probes);
await benchStall();
benchPlan();
