// Bench: plan routes for 50, 500, 1,500 and 5,000 synthetic hosts (2 networks × 5 containers each) on one LAN, each size in
// a fresh process with its peak resident memory, the predicted effect on every cross-host pair, beside doing it by hand.
import { execFileSync } from 'node:child_process';
import { freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { planRoutes } from '../rules/plan/plan-routes.js';
import { AlikeFleet } from '../rules/alike/alike-hosts.js';
import { applySteps } from '../rules/changes/predict.js';
import { countPairs } from '../rules/matrix/matrix.js';
import { buildWorld } from '../rules/model/build.js';
import { nodeFlags } from '../test/lab/lab.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

/** Sizes, and the goal at each (ms) where the issue sets one. */
const SIZES: [number, number | null][] = [
  [50, 500],
  [500, 1000],
  // The largest that fits this machine's memory (the square's growth, measured), beside the goal's 5,000.
  [1500, null],
  [5000, 10_000],
];

/** What a child measured for one size. */
interface Measured {
  n: number;
  ms: number;
  rssMb: number;
  steps: number;
  pairs: number;
  before: number;
  after: number;
  /** Only at 50 hosts: the after-prediction walked pair by pair, and what the alike check walked. */
  every?: number;
  alike?: string;
}

const fleet = (n: number) => Array.from({ length: n }, (_, i) => syntheticHost(2, 5, `host${i}`, { lan: `10.50.${Math.floor(i / 200)}.${(i % 200) + 1}`, firstSubnet: i * 2 }));

/**
 * Each size in a process of its own, with the CLI's node flags, as `netdiag plan routes` runs: after the other
 * benches, a process's heap made the same plan 1.3-1.8× slower than it is; and its peak RSS is the plan's alone.
 */
export function benchPlan(): void {
  const rows: [string, string, string][] = [];
  let perStep = 0;
  let last: Measured | null = null;
  for (const [n, goal] of SIZES) {
    const steps = 4 * n * (n - 1);
    const goalText = goal === null ? '' : `goal ≤ ${goal.toLocaleString('en')} ms`;
    const name = `netdiag plan routes, ${n.toLocaleString('en')} hosts (${(n * 2).toLocaleString('en')} networks, ${(n * 10).toLocaleString('en')} containers)`;
    // A plan is a route and an accept per peer network: steps grow with the square of the hosts. Not started where
    // the memory the last size took per step says it cannot fit (the machine is shared; an OOM kill hits anyone).
    const needMb = perStep * steps;
    if (perStep > 0 && needMb > (freemem() / 2 ** 20) * 0.6) {
      rows.push([name, 'not run', `${goalText}${goalText ? ', missed' : ''}; its ${steps.toLocaleString('en')} steps would take ~${(needMb / 1024).toFixed(0)} GB at the ${(perStep * 1024).toFixed(2)} KB a step took between the last two sizes (${(freemem() / 2 ** 30).toFixed(0)} of ${(totalmem() / 2 ** 30).toFixed(0)} GB free)`]);
      rows.push(['  the same routes and accepts by hand', `${steps.toLocaleString('en')} commands`, `${n.toLocaleString('en')} hosts × ${(steps / n).toLocaleString('en')} commands each, typed on each host`]);
      continue;
    }
    const out = execFileSync(process.execPath, [...nodeFlags(), `--max-old-space-size=${Math.max(4096, Math.ceil(needMb * 1.5))}`, fileURLToPath(import.meta.url), 'child', String(n)], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 20 });
    const m = JSON.parse(out) as Measured;
    // Memory per step beyond the last size's (what node itself takes is not the plan's).
    perStep = last ? (m.rssMb - last.rssMb) / (m.steps - last.steps) : 0;
    last = m;
    rows.push([name, `${m.ms.toFixed(0)} ms`, `${goalText}${goal !== null && m.ms > goal ? ', missed' : ''}${goalText ? '; ' : ''}peak RSS ${m.rssMb.toFixed(0)} MB; ${m.steps.toLocaleString('en')} steps; predicted over ${m.pairs.toLocaleString('en')} cross-host pairs: reachable ${m.before.toLocaleString('en')} → ${m.after.toLocaleString('en')}`]);
    rows.push(['  the same routes and accepts by hand', `${m.steps.toLocaleString('en')} commands`, `${n.toLocaleString('en')} hosts × ${(m.steps / n).toLocaleString('en')} commands each, typed on each host`]);
    if (m.every !== undefined) rows.push(['  its after-prediction alone, every pair walked', `${m.every.toFixed(0)} ms`, `${(m.every / m.ms).toFixed(1)}× the whole plan (${m.alike})`]);
  }
  report('plan routes, synthetic hosts on one LAN (in process, a fresh one per size, median of 3 below 500 hosts)', rows);
}

function measure(n: number): Measured {
  const hosts = fleet(n);
  const times: number[] = [];
  // Warmed on the small size; 500 hosts and more once, without a second plan of a million steps alive beside it.
  const runs = n >= 500 ? 1 : 3;
  let plan: ReturnType<typeof planRoutes> | null = n >= 500 ? null : planRoutes(hosts);
  for (let i = 0; i < runs; i++) {
    plan = null;
    const t0 = performance.now();
    plan = planRoutes(hosts);
    times.push(performance.now() - t0);
  }
  if (!plan) throw new Error('no plan was made');
  const ms = median(times);
  const m: Measured = { n, ms, rssMb: 0, steps: plan.hosts.reduce((k, h) => k + h.steps.length, 0), pairs: plan.predicted.crossHostPairs, before: plan.predicted.before.reachable, after: plan.predicted.after.reachable };
  m.rssMb = process.resourceUsage().maxRSS / 1024;
  if (n === 50) {
    // What the prediction costs when the hosts are not recognised alike: every cross-host pair walked after the steps.
    const steps = plan.hosts.flatMap((h) => h.steps);
    const t0 = performance.now();
    countPairs(buildWorld(applySteps(hosts, steps)), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
    m.every = performance.now() - t0;
    const alike = new AlikeFleet(hosts).with(steps);
    m.alike = alike.alike ? `which walked ${alike.pairs.length} pair${alike.pairs.length === 1 ? '' : 's'} of hosts: they are alike` : `hosts not alike: ${alike.why}`;
  }
  return m;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') process.stdout.write(JSON.stringify(measure(Number(process.argv[3]))));
