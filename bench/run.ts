// `npm run bench`: every speed figure netdiag promises, measured and printed beside the alternative (never asserted),
// and at several sizes, so anyone sees whether the cost grows as it should.
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { benchMap } from './map.js';
import { benchMatrix } from './matrix.js';
import { benchPlan } from './plan.js';
import { benchApply } from './apply.js';
import { benchSnapshot } from './snapshot.js';
import { benchWhyAt } from './why.js';
import { benchAgent } from './agent.js';
import { busyHost, growTo } from './busy.js';
import { report } from './report.js';
import { machineLine } from './machine.js';
import type { ProbeCost } from './why.js';

console.log(machineLine());
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
    for (const size of [10, 50, 200, 500]) {
      await growTo(b, size);
      if ([10, 50, 500].includes(size)) snap.push(...(await benchSnapshot(b.h, size)));
      if (![50, 200, 500].includes(size)) continue;
      const w = await benchWhyAt(b.h, size, probes);
      whys.push(...w.rows);
      probes ??= w.probes;
    }
    report('snapshot on a live host, containers on 5 networks (wall, process start to exit; median of 7, of 3 at 500; by hand: median of 4, of 2 at 500)', snap);
    report('why on a live host, the same blocked pair as the host grows, as it is called (wall, process start to exit, median of 7)', whys);
  } finally {
    await lab.teardown();
  }
}
await benchMap();
await benchMatrix(probes);
await benchAgent();
benchPlan();
if (!why) benchApply();
