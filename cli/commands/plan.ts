// `netdiag plan routes`: the cross-host routing plan for the hosts in view, as JSON with an ID, or explained.
import { PlanFile, planRoutes } from '../../rules/plan/plan-routes.js';
import type { Plan, SharedPlan } from '../../rules/plan/plan-routes.js';
import { countHost, expandPlan, hostChanges } from '../../rules/plan/shared-plan.js';
import { stepCommand } from '../../rules/steps/command.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { writeFileAtomic } from '../files.js';
import { checkJsonOut } from '../out-file.js';
import { EXIT, answerExit } from '../exit-codes.js';
import { loadHosts } from '../sources.js';
import type { SourceOptions } from '../sources.js';

export async function planCommand(what: string, opts: SourceOptions & { json?: boolean; out?: string; shape?: string }, io: Io): Promise<number> {
  if (what !== 'routes') throw new UsageError(`unknown plan ${JSON.stringify(what)}`, 'netdiag plan routes');
  if (opts.shape !== undefined && opts.shape !== 'per-host' && opts.shape !== 'shared') throw new UsageError(`unknown plan shape ${JSON.stringify(opts.shape)}`, '--shape per-host or --shape shared');
  checkJsonOut(opts.out);
  const { snapshots, agents } = await loadHosts(opts, io);
  if (snapshots.length < 2) throw new UsageError('a routing plan needs at least two hosts in view', 'give --agent URL (repeatable), --inventory FILE, or --snapshot FILE (repeatable)');
  const t0 = performance.now();
  const plan = planRoutes(snapshots, agents, opts.shape === undefined ? {} : { shape: opts.shape });
  const ms = performance.now() - t0;
  const json = `${JSON.stringify(plan, null, 2)}\n`;
  if (opts.out !== undefined) {
    await writeFileAtomic(opts.out, json);
    io.stderr(`netdiag: plan ${plan.id} written to ${opts.out}\n`);
  }
  if (opts.json) {
    io.stdout(json);
  } else {
    const lines = [`plan ${plan.id}: routes between ${plan.hosts.length} hosts (computed in ${ms.toFixed(0)} ms)`];
    if (plan.schema === 'netdiag/plan@2') lines.push(...sharedLines(plan));
    else for (const h of plan.hosts) {
      lines.push('', `  ${h.name} (${h.lan ?? 'no LAN address'}; container subnets ${h.subnets.join(', ') || 'none'})${h.agent ? ` via ${h.agent}` : ''}`);
      if (h.steps.length === 0) lines.push('    nothing to change');
      for (const s of h.steps) lines.push(`    $ ${stepCommand(s)}`);
    }
    if (plan.prerequisites.length) {
      lines.push('', '  first, by hand:');
      for (const p of plan.prerequisites) lines.push(`    ${p.disruptive ? 'DISRUPTIVE ' : ''}${p.host}: ${p.message}`, ...p.commands.map((c) => `      ${c}`));
    }
    for (const n of plan.notes) lines.push('', `  note: ${n}`);
    const b = plan.predicted.before;
    const a = plan.predicted.after;
    lines.push('', `  predicted, ${plan.predicted.crossHostPairs} cross-host container pairs: reachable ${b.reachable} → ${a.reachable}, blocked ${b.blocked} → ${a.blocked}, unknown ${b.unknown} → ${a.unknown}`);
    lines.push(...applyHint(plan, opts.out));
    io.stdout(`${lines.join('\n')}\n`);
  }
  return answerExit(EXIT.ok, snapshots);
}

/**
 * A plan written as one shared table, said as one: what every host adds for each host it reaches, then each host's
 * own steps and what it leaves out (the per-host form would repeat the table on every host).
 */
function sharedLines(plan: SharedPlan): string[] {
  const lines = ['', '  every host adds, for each other host below: a route to each of its subnets via its LAN address, and accepts its sources into its own subnets (DOCKER-USER; raw PREROUTING where Docker 28.2+ protects them)'];
  const sources = plan.hosts.reduce((k, p) => k + p.reach.sources.length, 0);
  plan.hosts.forEach((h, i) => {
    lines.push('', `  ${h.name} (${h.lan ?? 'no LAN address'}; container subnets ${h.subnets.join(', ') || 'none'})${h.agent ? ` via ${h.agent}` : ''}`);
    if (h.reach.routes.length) lines.push(`    reached at ${h.reach.via}: ${h.reach.routes.join(', ')}; its containers arrive from ${h.reach.sources.join(', ')}`);
    for (const s of h.steps) lines.push(`    $ ${stepCommand(s)}`);
    const t = h.takes;
    lines.push(`    takes the others' routes on ${t.dev}${t.tables.length ? ` and accepts them on ${t.iface} in ${t.tables.map((x) => (x === 'filter' ? 'filter DOCKER-USER' : 'raw PREROUTING')).join(' and ')}` : ''}: ${countHost(plan, i, sources).toLocaleString('en')} step${countHost(plan, i, sources) === 1 ? '' : 's'}`);
    if (t.skipRoutes.length) lines.push(`    but no route to ${t.skipRoutes.join(', ')} (there already, or overlapping its own)`);
    for (const s of t.skipAccepts) lines.push(`    and no accept from ${s.from} into ${s.dst} (its own subnets overlap it)`);
  });
  return lines;
}

/** What to do with the plan: the apply command only when `netdiag apply` would apply something. */
export function applyHint(plan: PlanFile, out: string | undefined): string[] {
  if (!plan.hosts.some((_, i) => hostChanges(plan, i))) return [plan.prerequisites.length ? '  nothing for netdiag to apply: make the changes above by hand, then plan again' : '  nothing to apply: no host needs a change'];
  if (plan.prerequisites.some((p) => p.disruptive)) return ['  apply refuses this plan until the disruptive changes above are made by hand; then plan again'];
  const noAgent = plan.hosts.filter((h, i) => hostChanges(plan, i) && !h.agent).map((h) => h.name);
  if (noAgent.length) return [`  to apply it through netdiag, plan from the hosts' agents (--agent or --inventory): ${noAgent.join(', ')} ${noAgent.length === 1 ? 'has' : 'have'} no agent to apply through; or run the commands above on each host`];
  return [`  apply with: ${out === undefined ? 'netdiag plan routes … --out plan.json && netdiag apply plan.json' : `netdiag apply ${out}`}`];
}

/** A plan file of either shape, host by host as apply and rollback read it. */
export function parsePlan(json: unknown, file: string): Plan {
  const r = PlanFile.safeParse(json);
  if (r.success) return expandPlan(r.data);
  const i = r.error.issues[0];
  throw new UsageError(`${file} is not a netdiag plan: ${i?.path.join('.') || '(top)'}: ${i?.message}`, 'make one with netdiag plan routes --json');
}
