// `npm run bench`: every speed figure netdiag promises, measured and printed beside the alternative (never asserted).
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { benchMatrix } from './matrix.js';
import { benchPlan } from './plan.js';
import { benchSnapshot } from './snapshot.js';
import { benchWhy } from './why.js';
import { benchAgent } from './agent.js';
import { benchStall } from './stall.js';
import type { ProbeCost } from './why.js';

let probes: ProbeCost | null = null;
const why = labUnavailable();
if (why) {
  console.log(`bench: the lab benches need a real dockerd and were not run: ${why}`);
} else {
  const lab = await Lab.create();
  try {
    await benchSnapshot(lab);
    probes = await benchWhy(lab);
    await benchAgent(lab);
  } finally {
    await lab.teardown();
  }
}
await benchMatrix(probes);
await benchStall();
benchPlan();
