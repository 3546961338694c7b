// Bench: plan routes for 10, 50 and 500 synthetic hosts (2 networks × 5 containers each) on one LAN, with the
// predicted effect on every cross-host pair, beside doing it by hand.
import { planRoutes } from '../rules/plan-routes.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

export function benchPlan(): void {
  const rows: [string, string, string][] = [];
  for (const n of [10, 50, 500]) {
    const hosts = Array.from({ length: n }, (_, i) => syntheticHost(2, 5, `host${i}`, { lan: `10.50.${Math.floor(i / 200)}.${(i % 200) + 1}`, firstSubnet: i * 2 }));
    const times: number[] = [];
    let plan = planRoutes(hosts);
    for (let i = 0; i < (n >= 500 ? 1 : 3); i++) {
      const t0 = performance.now();
      plan = planRoutes(hosts);
      times.push(performance.now() - t0);
    }
    const steps = plan.hosts.reduce((k, h) => k + h.steps.length, 0);
    const goal = n === 50 ? 500 : n === 500 ? 5000 : null;
    const ms = median(times);
    rows.push([`netdiag plan routes, ${n} hosts (${n * 2} networks, ${n * 10} containers)`, `${ms.toFixed(0)} ms`, `${goal ? `goal ≤ ${goal} ms${ms <= goal ? '' : ', missed'}; ` : ''}${steps.toLocaleString('en')} steps; predicted over ${plan.predicted.crossHostPairs.toLocaleString('en')} cross-host pairs: reachable ${plan.predicted.before.reachable.toLocaleString('en')} → ${plan.predicted.after.reachable.toLocaleString('en')}`]);
    if (n === 50) rows.push(['  the same routes and accepts by hand', `${steps.toLocaleString('en')} commands`, `${n} hosts × ${(steps / n).toFixed(0)} commands each, typed on each host`]);
  }
  report('plan routes, synthetic hosts on one LAN (in process)', rows);
}
