// `npm run bench`: every speed figure netdiag promises, measured and printed beside the alternative (never asserted).
import { Lab, labUnavailable } from '../test/lab/lab.js';
import { benchSnapshot } from './snapshot.js';

const why = labUnavailable();
if (why) {
  console.log(`bench: the lab benches need a real dockerd and were not run: ${why}`);
} else {
  const lab = await Lab.create();
  try {
    await benchSnapshot(lab);
  } finally {
    await lab.teardown();
  }
}
