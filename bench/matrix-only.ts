// `node dist/bench/matrix-only.js [OLD_DIST/netdiag.mjs]`: the fleet rows of the matrix bench alone (the machine is
// shared); with another build named, each size is run by both in turn (A B B A) and their ratio printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../test/lab/lab.js';
import { cliMatrix, fleetOf, write } from './matrix.js';
import { report } from './report.js';

const other = process.argv[2];
const self = join(REPO, 'dist/netdiag.mjs');
const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-'));
const rows: [string, string, string][] = [];
try {
  for (const hosts of [10, 30, 100]) {
    const files = write(dir, fleetOf(hosts));
    const args = ['--format', 'ndjson'];
    // Interleaved A B B A, so neither build has the quieter end of the run; the better median of each's two rounds.
    const a1 = await cliMatrix(files, args, self);
    const b1 = other ? await cliMatrix(files, args, other) : null;
    const b2 = other ? await cliMatrix(files, args, other) : null;
    const a2 = other ? await cliMatrix(files, args, self) : a1;
    const b = b1 && b2 ? { ms: Math.min(b1.ms, b2.ms), rssMb: Math.max(b1.rssMb, b2.rssMb) } : null;
    const ms = Math.min(a1.ms, a2.ms);
    const rss = Math.max(a1.rssMb, a2.rssMb);
    const pairs = hosts * 50 * (hosts * 50 - 1);
    rows.push([`netdiag matrix --format ndjson, a fleet of ${hosts} hosts × 50 containers`, `${ms.toFixed(0)} ms`, `${pairs.toLocaleString('en')} pairs; peak RSS ${rss.toFixed(0)} MB${hosts === 100 ? `; goal ≤ 1000 ms${ms <= 1000 ? '' : ', missed'}` : ''}`]);
    if (b) rows.push([`  the other build (${other})`, `${b.ms.toFixed(0)} ms`, `peak RSS ${b.rssMb.toFixed(0)} MB; this build ${(b.ms / ms).toFixed(2)}× faster`]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report('matrix, a fleet (process end to end, output to /dev/null, the better median of 3 of two rounds, A B B A)', rows);
