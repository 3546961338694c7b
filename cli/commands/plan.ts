// `netdiag plan routes`: the cross-host routing plan for the hosts in view, as JSON with an ID, or explained.
import { Plan, planRoutes } from '../../rules/plan/plan-routes.js';
import { stepCommand } from '../../rules/steps/command.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { writeFileAtomic } from '../files.js';
import { checkJsonOut } from '../out-file.js';
import { EXIT, answerExit } from '../exit-codes.js';
import { loadHosts } from '../sources.js';
import type { SourceOptions } from '../sources.js';

export async function planCommand(what: string, opts: SourceOptions & { json?: boolean; out?: string }, io: Io): Promise<number> {
  if (what !== 'routes') throw new UsageError(`unknown plan ${JSON.stringify(what)}`, 'netdiag plan routes');
  checkJsonOut(opts.out);
  const { snapshots, agents } = await loadHosts(opts, io);
  if (snapshots.length < 2) throw new UsageError('a routing plan needs at least two hosts in view', 'give --agent URL (repeatable), --inventory FILE, or --snapshot FILE (repeatable)');
  const t0 = performance.now();
  const plan = planRoutes(snapshots, agents);
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
    for (const h of plan.hosts) {
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

/** What to do with the plan: the apply command only when `netdiag apply` would apply something. */
export function applyHint(plan: Plan, out: string | undefined): string[] {
  if (!plan.hosts.some((h) => h.steps.length > 0)) return [plan.prerequisites.length ? '  nothing for netdiag to apply: make the changes above by hand, then plan again' : '  nothing to apply: no host needs a change'];
  if (plan.prerequisites.some((p) => p.disruptive)) return ['  apply refuses this plan until the disruptive changes above are made by hand; then plan again'];
  const noAgent = plan.hosts.filter((h) => h.steps.length > 0 && !h.agent).map((h) => h.name);
  if (noAgent.length) return [`  to apply it through netdiag, plan from the hosts' agents (--agent or --inventory): ${noAgent.join(', ')} ${noAgent.length === 1 ? 'has' : 'have'} no agent to apply through; or run the commands above on each host`];
  return [`  apply with: ${out === undefined ? 'netdiag plan routes … --out plan.json && netdiag apply plan.json' : `netdiag apply ${out}`}`];
}

export function parsePlan(json: unknown, file: string): Plan {
  const r = Plan.safeParse(json);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new UsageError(`${file} is not a netdiag plan: ${i?.path.join('.') || '(top)'}: ${i?.message}`, 'make one with netdiag plan routes --json');
}
