// Bench: plan routes for 10, 50 and 500 synthetic hosts (2 networks × 5 containers each) on one LAN, with the
// predicted effect on every cross-host pair, beside doing it by hand.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planRoutes } from '../rules/plan/plan-routes.js';
import { AlikeFleet } from '../rules/alike/alike-hosts.js';
import { applySteps } from '../rules/changes/predict.js';
import { countPairs } from '../rules/matrix/matrix.js';
import { buildWorld } from '../rules/model/build.js';
import { nodeFlags } from '../test/lab/lab.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

/**
 * In a process of its own, with the CLI's node flags, as `netdiag plan routes` runs: after the other benches, this
 * process's heap made the same plan 1.3-1.8× slower than it is.
 */
export function benchPlan(): void {
  const out = execFileSync(process.execPath, [...nodeFlags(), fileURLToPath(import.meta.url), 'child'], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 20 });
  report('plan routes, synthetic hosts on one LAN (in process, a fresh one)', JSON.parse(out) as [string, string, string][]);
}

function planRows(): [string, string, string][] {
  const rows: [string, string, string][] = [];
  for (const n of [10, 50, 500]) {
    const hosts = Array.from({ length: n }, (_, i) => syntheticHost(2, 5, `host${i}`, { lan: `10.50.${Math.floor(i / 200)}.${(i % 200) + 1}`, firstSubnet: i * 2 }));
    const times: number[] = [];
    // Warmed on the smaller sizes; 500 hosts once, without a second plan of a million steps alive beside it.
    let plan: ReturnType<typeof planRoutes> | null = n >= 500 ? null : planRoutes(hosts);
    for (let i = 0; i < (n >= 500 ? 1 : 3); i++) {
      plan = null;
      const t0 = performance.now();
      plan = planRoutes(hosts);
      times.push(performance.now() - t0);
    }
    if (!plan) throw new Error('no plan was made');
    const steps = plan.hosts.reduce((k, h) => k + h.steps.length, 0);
    const goal = n === 50 ? 500 : n === 500 ? 5000 : null;
    const ms = median(times);
    rows.push([`netdiag plan routes, ${n} hosts (${n * 2} networks, ${n * 10} containers)`, `${ms.toFixed(0)} ms`, `${goal ? `goal ≤ ${goal} ms${ms <= goal ? '' : ', missed'}; ` : ''}${steps.toLocaleString('en')} steps; predicted over ${plan.predicted.crossHostPairs.toLocaleString('en')} cross-host pairs: reachable ${plan.predicted.before.reachable.toLocaleString('en')} → ${plan.predicted.after.reachable.toLocaleString('en')}`]);
    if (n === 50) {
      rows.push(['  the same routes and accepts by hand', `${steps.toLocaleString('en')} commands`, `${n} hosts × ${(steps / n).toFixed(0)} commands each, typed on each host`]);
      // What the prediction costs when the hosts are not recognised alike: every cross-host pair walked after the steps.
      const t0 = performance.now();
      countPairs(buildWorld(applySteps(hosts, plan.hosts.flatMap((h) => h.steps))), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
      const every = performance.now() - t0;
      const alike = new AlikeFleet(hosts).with(plan.hosts.flatMap((h) => h.steps));
      rows.push(['  its after-prediction alone, every pair walked', `${every.toFixed(0)} ms`, `${(every / ms).toFixed(1)}× the whole plan (${alike.alike ? `which walked ${alike.pairs.length} pair${alike.pairs.length === 1 ? "" : "s"} of hosts: they are alike` : `hosts not alike: ${alike.why}`})`]);
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') process.stdout.write(JSON.stringify(planRows()));
