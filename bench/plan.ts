// Bench: plan routes for 50 synthetic hosts (2 networks × 5 containers each) on one LAN, beside doing it by hand.
import { planRoutes } from '../rules/plan-routes.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

export function benchPlan(): void {
  const hosts = Array.from({ length: 50 }, (_, i) => syntheticHost(2, 5, `host${i}`, { lan: `10.50.${Math.floor(i / 200)}.${(i % 200) + 1}`, subnetBase: 100 + i }));
  const times: number[] = [];
  let plan = planRoutes(hosts);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    plan = planRoutes(hosts);
    times.push(performance.now() - t0);
  }
  const steps = plan.hosts.reduce((n, h) => n + h.steps.length, 0);
  report('plan routes, 50 synthetic hosts (100 networks, 500 containers)', [
    ['netdiag plan routes (plan + predicted effect)', `${median(times).toFixed(0)} ms`, `goal ≤ 1000 ms; ${steps.toLocaleString('en')} steps; predicted over ${plan.predicted.crossHostPairs.toLocaleString('en')} cross-host pairs: reachable ${plan.predicted.before.reachable} → ${plan.predicted.after.reachable}`],
    ['the same routes and accepts by hand', `${steps.toLocaleString('en')} commands`, `${hosts.length} hosts × ${(steps / hosts.length).toFixed(0)} commands each, typed on each host`],
  ]);
}
