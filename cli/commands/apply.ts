// `netdiag apply PLAN.json`: each host's steps through its agent, in parallel; verified; all hosts rolled back on failure.
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWorld } from '../../rules/model/build.js';
import { eachPair } from '../../rules/matrix/matrix.js';
import { PLAN_APPLY_BODY_MAX, PLAN_HOST_STEPS_MAX, PlanApplyResult } from '../../snapshot/contract.js';
import type { Plan } from '../../snapshot/contract.js';
import { agentToken, postToAgent } from '../agent-client.js';
import { agentTargets } from '../agent-access.js';
import type { AccessOptions, AgentEntry, AgentTarget } from '../agent-access.js';
import { inventoryAgents } from '../inventory.js';
import { parseJson, readUserFile, writeFileAtomic } from '../files.js';
import { shownPath } from '../text.js';
import type { Io } from '../io.js';
import { UsageError, usageErrorOf } from '../io.js';
import { fetchSnapshot } from '../sources.js';
import { stateDir } from '../../actuation/state-dir.js';
import { parsePlan } from './plan.js';
import { EXIT } from '../exit-codes.js';

interface HostOutcome {
  host: string;
  agent: string;
  status: string;
  verified: boolean;
  message?: string;
}

/** How apply and rollback reach a plan's agents and what they say to them. */
export interface PlanAccess extends AccessOptions {
  /** An inventory whose hosts (matched by name) bring their own tls_config and basic_auth. */
  inventory?: string;
}

/**
 * Each plan host's agent, ready to be asked: the plan's URL (a plan never stores credentials), TLS and basic auth from
 * the inventory's host of that name, else from the command line; the token, which every change needs.
 */
export async function planTargets(plan: Plan, opts: PlanAccess, io: Io): Promise<Map<string, AgentTarget>> {
  await agentToken(opts.tokenFile, io);
  const own = new Map((opts.inventory ? await inventoryAgents(opts.inventory) : []).map((e) => [e.name, e]));
  const entries: AgentEntry[] = plan.hosts.filter((h) => h.agent).map((h) => {
    const inv = own.get(h.name);
    return { name: h.name, url: h.agent as string, ...(inv?.tls ? { tls: inv.tls } : {}), ...(inv?.basicAuth ? { basicAuth: inv.basicAuth } : {}) };
  });
  const targets = await agentTargets(entries, opts, io);
  return new Map(targets.map((t) => [t.name as string, t]));
}

export async function rollbackPlanEverywhere(plan: Plan, agents: Map<string, AgentTarget>, io: Io, hosts = plan.hosts.filter((h) => h.agent)): Promise<HostOutcome[]> {
  return Promise.all(
    hosts.map(async (h) => {
      io.stderr(`netdiag: ${plan.id}: rolling back ${h.name}\n`);
      const r = await postToAgent(agents.get(h.name) as AgentTarget, `/v1/rollback/${plan.id}`, null);
      // A host that never journaled this plan has nothing to undo.
      const ok = r.status === 200 || r.status === 404;
      return { host: h.name, agent: h.agent as string, status: ok ? (r.status === 404 ? 'nothing to undo' : String(r.body.status)) : 'failed', verified: ok, message: ok ? undefined : String(r.body.message) };
    }),
  );
}

/** What one host's agent is sent to apply its steps. */
const applyBody = (plan: Plan, steps: Plan['hosts'][number]['steps']) => ({ id: plan.id, title: `routes plan ${plan.id}`, steps });

/** Cross-host pairs the model finds reachable on fresh snapshots from the agents. */
async function reachableAcross(plan: Plan, agents: Map<string, AgentTarget>): Promise<number> {
  const snaps = await Promise.all(plan.hosts.map(async (h) => ({ ...(await fetchSnapshot(agents.get(h.name) as AgentTarget)), name: h.name })));
  const world = buildWorld(snaps);
  const hostOf = new Map(world.hosts.flatMap((h) => h.containers.map((c) => [`${h.name}/${c.name}`, h.name])));
  let n = 0;
  eachPair(world, { proto: 'icmp', port: null }, (p) => {
    if (hostOf.get(p.from) !== hostOf.get(p.to) && p.verdict === 'reachable') n++;
  });
  return n;
}

export async function applyCommand(file: string, opts: PlanAccess & { json?: boolean; stateDir?: string }, io: Io): Promise<number> {
  const json = parseJson(await readUserFile(file, 'plan', 'the plan file'), `the plan ${shownPath(file)}`, 'make one with netdiag plan routes --out FILE');
  const plan = parsePlan(json, file);
  const missing = plan.hosts.filter((h) => h.steps.length > 0 && !h.agent);
  if (missing.length) throw new UsageError(`the plan has no agent URL for ${missing.map((h) => h.name).join(', ')}`, 'make the plan with --agent or --inventory so it knows where each host\'s agent is');
  const disruptive = plan.prerequisites.filter((p) => p.disruptive);
  if (disruptive.length) throw new UsageError(`the plan needs disruptive changes first: ${disruptive.map((p) => p.message).join('; ')}`, 'make them by hand, then make a new plan');
  // Every host checked against what an agent takes before any is asked: a plan refused half way would be half applied.
  for (const h of plan.hosts) {
    if (h.steps.length > PLAN_HOST_STEPS_MAX) throw new UsageError(`the plan gives ${h.name} ${h.steps.length.toLocaleString('en')} steps; an agent takes at most ${PLAN_HOST_STEPS_MAX.toLocaleString('en')} in one plan; nothing was changed`, 'plan fewer hosts at once (several plans, each with --inventory listing part of the fleet)');
    const bytes = Buffer.byteLength(JSON.stringify(applyBody(plan, h.steps)));
    if (bytes > PLAN_APPLY_BODY_MAX) throw new UsageError(`the plan's steps for ${h.name} are ${(bytes / 2 ** 20).toFixed(1)} MB; an agent reads at most ${(PLAN_APPLY_BODY_MAX / 2 ** 20).toFixed(0)} MB in one plan; nothing was changed`, 'plan fewer hosts at once (several plans, each with --inventory listing part of the fleet)');
  }
  const agents = await planTargets(plan, opts, io);
  const dir = stateDir(opts.stateDir, io.env);
  try {
    await mkdir(join(dir, 'plans'), { recursive: true });
    await writeFileAtomic(join(dir, 'plans', `${plan.id}.json`), `${JSON.stringify(plan, null, 2)}\n`);
  } catch (error) {
    throw new UsageError(`the state directory ${dir} is not writable; nothing was changed`, 'give a writable --state-dir (or NETDIAG_STATE_DIR)');
  }
  const withSteps = plan.hosts.filter((h) => h.steps.length > 0);
  if (withSteps.length === 0) {
    // Said as such, not as "applied on  and verified": no host was asked to change, and nothing can be undone.
    if (opts.json) io.stdout(`${JSON.stringify(PlanApplyResult.parse({ id: plan.id, status: 'already-applied', hosts: [] }))}\n`);
    else io.stdout(`${plan.id}: nothing to apply: no host needs a change\n`);
    return EXIT.ok;
  }
  io.stderr(`netdiag: ${plan.id}: applying on ${withSteps.length} hosts in parallel…\n`);
  const outcomes: HostOutcome[] = await Promise.all(
    withSteps.map(async (h) => {
      const r = await postToAgent(agents.get(h.name) as AgentTarget, '/v1/plans/apply', applyBody(plan, h.steps));
      const ok = r.status === 200 && r.body.verified === true;
      io.stderr(`netdiag: ${plan.id}: ${h.name}: ${ok ? String(r.body.status) : `failed (${r.status ? `HTTP ${r.status}: ` : ''}${String(r.body.message ?? r.body.verification ?? r.body.error)})`}\n`);
      return { host: h.name, agent: h.agent as string, status: ok ? String(r.body.status) : 'failed', verified: ok, message: ok ? undefined : String(r.body.message ?? r.body.verification ?? r.body.error) };
    }),
  );
  let failure = outcomes.find((o) => !o.verified)?.message ?? null;
  if (!failure) {
    io.stderr(`netdiag: ${plan.id}: verifying: collecting every host again\n`);
    let unread = '';
    const reachable = await reachableAcross(plan, agents).catch((error: unknown) => {
      unread = usageErrorOf(error)?.message ?? String(error);
      return -1;
    });
    if (reachable < 0) failure = `after the change the hosts could not be read again: ${unread}`;
    else if (reachable < plan.predicted.after.reachable) failure = `after the change the model finds ${reachable} cross-host pairs reachable, the plan predicted ${plan.predicted.after.reachable}`;
  }
  if (failure) {
    const undone = await rollbackPlanEverywhere(plan, agents, io, withSteps);
    const out = { id: plan.id, status: 'rolled-back' as const, error: failure, hosts: outcomes, rollback: undone };
    if (opts.json) io.stdout(`${JSON.stringify(PlanApplyResult.parse(out))}\n`);
    else io.stdout(`${plan.id}: not applied — ${failure}; every host was rolled back\n`);
    return EXIT.no;
  }
  const status: 'applied' | 'already-applied' = outcomes.every((o) => o.status === 'already-applied') ? 'already-applied' : 'applied';
  const out = { id: plan.id, status, hosts: outcomes };
  if (opts.json) io.stdout(`${JSON.stringify(PlanApplyResult.parse(out))}\n`);
  else io.stdout(`${plan.id}: ${status === 'already-applied' ? 'already in place' : 'applied'} on ${outcomes.map((o) => o.host).join(', ')} and verified\nundo it with: netdiag rollback ${plan.id}\n`);
  return EXIT.ok;
}

/** A plan applied through agents, as recorded when it was applied (for `netdiag rollback pl-…`). */
export async function recordedPlan(dir: string, id: string): Promise<Plan | null> {
  if (!/^pl-[0-9a-f]{8}$/.test(id)) return null;
  try {
    return parsePlan(JSON.parse(await readFile(join(dir, 'plans', `${id}.json`), 'utf8')), id);
  } catch {
    return null;
  }
}
