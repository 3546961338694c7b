// A routes plan written as one shared table (netdiag/plan@2) expanded into each host's steps: exactly the steps, in
// the order, the per-host form (netdiag/plan@1) gives that host, so apply, its journal and rollback see no difference.
import type { Plan, PlanFile, PlanStep, SharedPlan } from '../../snapshot/contract.js';
import { ADMIN_CHAIN } from '../meaning/layouts.js';

/** The chain each table's accepts go to: DOCKER-USER in filter, PREROUTING in raw (Docker 28.2+'s direct-access drops). */
const CHAIN = { filter: ADMIN_CHAIN, raw: 'PREROUTING' } as const;

/**
 * Host `i`'s steps: its own, then a route to each other host's subnets (in the plan's host order), then an accept for
 * each other host's sources into each of its subnets; with `peer`, only those for that peer (the alike check's pairs).
 */
export function expandHost(plan: SharedPlan, i: number, peer?: number): PlanStep[] {
  const h = plan.hosts[i] as SharedPlan['hosts'][number];
  const out: PlanStep[] = [...h.steps];
  const { dev, iface, tables } = h.takes;
  const skipRoutes = h.takes.skipRoutes.length ? new Set(h.takes.skipRoutes) : null;
  // The same order as the per-host planner: each peer's routes, then (once every route is in) each peer's accepts.
  plan.hosts.forEach((p, j) => {
    if (j === i || (peer !== undefined && j !== peer)) return;
    for (const dst of p.reach.routes) if (!skipRoutes?.has(dst)) out.push({ kind: 'ip-route-add', host: h.name, dst, via: p.reach.via, dev });
  });
  const skipAccepts = h.takes.skipAccepts.length ? new Set(h.takes.skipAccepts.map((s) => `${s.from}\u0000${s.dst}`)) : null;
  const tag = `netdiag:${plan.id}`;
  plan.hosts.forEach((p, j) => {
    if (j === i || (peer !== undefined && j !== peer)) return;
    for (const dst of h.reach.routes) {
      if (skipAccepts?.has(`${p.name}\u0000${dst}`)) continue;
      for (const src of p.reach.sources) for (const table of tables) out.push({ kind: 'iptables-insert', host: h.name, table, chain: CHAIN[table], rule: ['-i', iface, '-s', src, '-d', dst, '-m', 'comment', '--comment', tag, '-j', 'ACCEPT'] });
    }
  });
  return out;
}

/** How many steps host `i` takes, without making them (a plan of 5,000 hosts stands for 100 million). */
export function countHost(plan: SharedPlan, i: number, sources: number): number {
  const h = plan.hosts[i] as SharedPlan['hosts'][number];
  let routes = 0;
  for (const p of plan.hosts) routes += p.reach.routes.length;
  routes -= h.reach.routes.length + h.takes.skipRoutes.length;
  let skipped = 0;
  const sourcesOf = h.takes.skipAccepts.length ? new Map(plan.hosts.map((p) => [p.name, p.reach.sources.length])) : null;
  for (const s of h.takes.skipAccepts) skipped += sourcesOf?.get(s.from) ?? 0;
  const accepts = (h.reach.routes.length * (sources - h.reach.sources.length) - skipped) * h.takes.tables.length;
  return h.steps.length + routes + accepts;
}

/** Whether host `i` has anything to change. */
export function hostChanges(plan: PlanFile, i: number): boolean {
  if (plan.schema === 'netdiag/plan@1') return (plan.hosts[i]?.steps.length ?? 0) > 0;
  return countHost(plan, i, plan.hosts.reduce((k, p) => k + p.reach.sources.length, 0)) > 0;
}

/** The plan host by host, as apply and rollback read it (a plan@1 as it is). */
export function expandPlan(plan: PlanFile): Plan {
  if (plan.schema === 'netdiag/plan@1') return plan;
  return {
    schema: 'netdiag/plan@1',
    id: plan.id,
    kind: plan.kind,
    hosts: plan.hosts.map((h, i) => ({ name: h.name, agent: h.agent, lan: h.lan, subnets: h.subnets, steps: expandHost(plan, i) })),
    prerequisites: plan.prerequisites,
    notes: plan.notes,
    predicted: plan.predicted,
  };
}
