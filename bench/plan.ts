// Bench: plan routes for 50, 500 and 5,000 synthetic hosts (2 networks × 5 containers each) on one LAN, each size in
// a fresh process with its peak resident memory and the plan file's size, the predicted effect on every cross-host
// pair; beside it the same plan written host by host (netdiag/plan@1, N² steps), and doing it by hand.
import { execFileSync } from 'node:child_process';
import { freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { planRoutes } from '../rules/plan/plan-routes.js';
import type { PlanFile } from '../rules/plan/plan-routes.js';
import { countHost } from '../rules/plan/shared-plan.js';
import { AlikeFleet } from '../rules/alike/alike-hosts.js';
import { applySteps } from '../rules/changes/predict.js';
import { countPairs } from '../rules/matrix/matrix.js';
import { buildWorld } from '../rules/model/build.js';
import { nodeFlags } from '../test/lab/lab.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

/** Sizes, and the goal at each (ms) where the issue sets one. */
const SIZES: [number, number][] = [
  [50, 500],
  [500, 1000],
  [5000, 10_000],
];

/** What a child measured for one size. */
interface Measured {
  n: number;
  schema: string;
  /** The plan file's size (its JSON, as --out writes it), MB. */
  fileMb: number;
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
  const child = (n: number, shape: string, heapMb = 4096) => JSON.parse(execFileSync(process.execPath, [...nodeFlags(), `--max-old-space-size=${heapMb}`, fileURLToPath(import.meta.url), 'child', String(n), shape], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 20 })) as Measured;
  for (const [n, goal] of SIZES) {
    const name = `netdiag plan routes, ${n.toLocaleString('en')} hosts (${(n * 2).toLocaleString('en')} networks, ${(n * 10).toLocaleString('en')} containers)`;
    const m = child(n, 'default');
    rows.push([name, `${m.ms.toFixed(0)} ms`, `goal ≤ ${goal.toLocaleString('en')} ms${m.ms > goal ? ', missed' : ''}; peak RSS ${m.rssMb.toFixed(0)} MB; written ${m.schema === 'netdiag/plan@2' ? 'as one shared table (plan@2)' : 'host by host (plan@1)'}, ${fileText(m.fileMb)}; ${m.steps.toLocaleString('en')} steps once expanded; predicted over ${m.pairs.toLocaleString('en')} cross-host pairs: reachable ${m.before.toLocaleString('en')} → ${m.after.toLocaleString('en')}`]);
    // The alternative: the same plan host by host, as netdiag wrote every plan before (each host's steps spelled out).
    const steps = 4 * n * (n - 1);
    const needMb = perStep * steps;
    if (perStep > 0 && needMb > (freemem() / 2 ** 20) * 0.6) {
      rows.push(['  the same plan host by host (plan@1)', 'not run', `its ${steps.toLocaleString('en')} steps would take ~${(needMb / 1024).toFixed(0)} GB at the ${(perStep * 1024).toFixed(2)} KB a step took between the last two sizes (${(freemem() / 2 ** 30).toFixed(0)} of ${(totalmem() / 2 ** 30).toFixed(0)} GB free)`]);
    } else {
      const o = m.schema === 'netdiag/plan@1' ? m : child(n, 'per-host', Math.max(4096, Math.ceil(needMb * 1.5)));
      perStep = last ? (o.rssMb - last.rssMb) / (o.steps - last.steps) : 0;
      last = o;
      rows.push(['  the same plan host by host (plan@1)', `${o.ms.toFixed(0)} ms`, `${o === m ? 'as above' : `${(o.ms / m.ms).toFixed(1)}× the shared table`}; peak RSS ${o.rssMb.toFixed(0)} MB; ${fileText(o.fileMb)}`]);
    }
    rows.push(['  the same routes and accepts by hand', `${m.steps.toLocaleString('en')} commands`, `${n.toLocaleString('en')} hosts × ${(m.steps / n).toLocaleString('en')} commands each, typed on each host`]);
    if (m.every !== undefined) rows.push(['  its after-prediction alone, every pair walked', `${m.every.toFixed(0)} ms`, `${(m.every / m.ms).toFixed(1)}× the whole plan (${m.alike})`]);
  }
  report('plan routes, synthetic hosts on one LAN (in process, a fresh one per size and shape, median of 3 below 500 hosts)', rows);
}

const fileText = (mb: number) => `a ${mb < 1 ? `${(mb * 1024).toFixed(0)} KB` : `${mb.toFixed(0)} MB`} plan file`;

/** Steps the plan stands for, host by host (a shared table's counted, not made). */
function stepsOf(plan: PlanFile): number {
  if (plan.schema === 'netdiag/plan@1') return plan.hosts.reduce((k, h) => k + h.steps.length, 0);
  const sources = plan.hosts.reduce((k, p) => k + p.reach.sources.length, 0);
  return plan.hosts.reduce((k, _, i) => k + countHost(plan, i, sources), 0);
}

function measure(n: number, shape: string): Measured {
  const hosts = fleet(n);
  const opts = shape === 'per-host' || shape === 'shared' ? { shape } as const : {};
  const times: number[] = [];
  // Warmed on the small size; 500 hosts and more once, without a second plan of a million steps alive beside it.
  const runs = n >= 500 ? 1 : 3;
  let plan: PlanFile | null = n >= 500 ? null : planRoutes(hosts, new Map(), opts);
  for (let i = 0; i < runs; i++) {
    plan = null;
    const t0 = performance.now();
    plan = planRoutes(hosts, new Map(), opts);
    times.push(performance.now() - t0);
  }
  if (!plan) throw new Error('no plan was made');
  const ms = median(times);
  const m: Measured = { n, schema: plan.schema, fileMb: 0, ms, rssMb: 0, steps: stepsOf(plan), pairs: plan.predicted.crossHostPairs, before: plan.predicted.before.reachable, after: plan.predicted.after.reachable };
  m.rssMb = process.resourceUsage().maxRSS / 1024;
  // As --out writes it; measured after the peak was read (a per-host plan of 500 hosts is 150 MB of text).
  m.fileMb = Buffer.byteLength(JSON.stringify(plan, null, 2)) / 2 ** 20;
  if (n === 50) {
    // What the prediction costs when the hosts are not recognised alike: every cross-host pair walked after the steps.
    if (plan.schema !== 'netdiag/plan@1') throw new Error('50 hosts are planned host by host');
    const steps = plan.hosts.flatMap((h) => h.steps);
    const t0 = performance.now();
    countPairs(buildWorld(applySteps(hosts, steps)), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
    m.every = performance.now() - t0;
    const alike = new AlikeFleet(hosts).with(steps);
    m.alike = alike.alike ? `which walked ${alike.pairs.length} pair${alike.pairs.length === 1 ? '' : 's'} of hosts: they are alike` : `hosts not alike: ${alike.why}`;
  }
  return m;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') process.stdout.write(JSON.stringify(measure(Number(process.argv[3]), process.argv[4] ?? 'default')));
