// `node dist/bench/why-json-only.js [sizes…]`: `why c0 c1 --json --no-agent` alone on the growing lab host, this build
// and NETDIAG_BENCH_BEFORE's (an earlier dist/netdiag.mjs) run by turns, so both see the same machine (the lab is shared).
import { atEachSize } from './busy.js';
import { median, report } from './report.js';
import { NETDIAG_BIN, nodeFlags } from '../test/lab/lab.js';
import type { LabHost } from '../test/lab/lab.js';

const RUNS = 7;
const before = process.env.NETDIAG_BENCH_BEFORE;
const rows: [string, string, string][] = [];
let probe: number | null = null;

/** `why c0 c1 --json --no-agent` with a build (c0 on n1, c1 on n2: Docker's isolation blocks them; exit 1). */
const whyJson = (h: LabHost, bin: string) => async () => {
  const r = await h.exec(process.execPath, [...nodeFlags(), bin, 'why', 'c0', 'c1', '--json', '--no-agent'], 60_000);
  if (r.exitCode !== 1) throw new Error(`${bin} why c0 c1 --json exited ${r.exitCode}: ${r.stderr.trim()}`);
};

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

await atEachSize([50, 200, 500], async (b, size) => {
  if (probe === null) {
    const c1 = await b.h.ip('c1', 'n2');
    const ps: number[] = [];
    for (let i = 0; i < RUNS; i++) ps.push(await timed(() => b.h.probe('c0', c1)));
    probe = median(ps);
    rows.push(['docker exec ping, blocked pair (1 s timeout)', `${probe.toFixed(0)} ms`, '']);
  }
  const now = whyJson(b.h, NETDIAG_BIN);
  const old = before ? whyJson(b.h, before) : null;
  await now();
  await old?.();
  const [a, o]: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    a.push(await timed(now));
    if (old) o.push(await timed(old));
  }
  // NETDIAG_BENCH_PROFILE=DIR: one more run of this build with node's CPU profile written there, per size.
  const prof = process.env.NETDIAG_BENCH_PROFILE;
  if (prof) await b.h.exec(process.execPath, [...nodeFlags(), '--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=why-json-${size}.cpuprofile`, NETDIAG_BIN, 'why', 'c0', 'c1', '--json', '--no-agent'], 60_000);
  const ms = median(a);
  const goal = `${((probe as number) / ms).toFixed(1)}× a blocked probe; goal ≤ 150 ms, ≥ 7×${ms > 150 || (probe as number) / ms < 7 ? ', missed' : ''}`;
  rows.push([`netdiag why c0 c1 --json, ${size} containers`, `${ms.toFixed(0)} ms`, goal]);
  if (old) rows.push([`  the same, ${before}`, `${median(o).toFixed(0)} ms`, `${(median(o) / ms).toFixed(2)}× this build's time`]);
  report(`why --json at ${size}`, rows.slice(-2));
});
if (rows.length) report('why --json on a live lab host as it grows (wall, process start to exit, median of 7, interleaved)', rows);
