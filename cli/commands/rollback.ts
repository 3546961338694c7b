// `netdiag rollback ID`: undo an applied fix or plan from its journal (also after a crash or a restart).
import { rollbackChange } from '../../actuation/apply.js';
import { PlanRollbackResult, RollbackResult } from '../../snapshot/contract.js';
import { Journal } from '../../actuation/journal.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { stateDir } from '../../actuation/state-dir.js';
import { planTargets, recordedPlan, rollbackPlanEverywhere } from './apply.js';
import type { PlanAccess } from './apply.js';
import { EXIT } from '../exit-codes.js';

export async function rollbackCommand(id: string, opts: PlanAccess & { json?: boolean; stateDir?: string }, io: Io): Promise<number> {
  const dir = stateDir(opts.stateDir, io.env);
  // A plan applied through agents is undone by each of them.
  const plan = await recordedPlan(dir, id);
  if (plan) {
    const hosts = await rollbackPlanEverywhere(plan, await planTargets(plan, opts, io), io);
    const ok = hosts.every((h) => h.verified);
    if (opts.json) io.stdout(`${JSON.stringify(PlanRollbackResult.parse({ id, status: ok ? 'rolled-back' : 'failed', hosts }))}\n`);
    else if (ok && hosts.every((h) => h.status === 'nothing to undo')) io.stdout(`${id}: nothing to undo on ${hosts.map((h) => h.host).join(', ')} (never applied there, or already rolled back)\n`);
    else io.stdout(`${id}: ${ok ? 'rolled back' : 'NOT fully rolled back'} on ${hosts.map((h) => `${h.host} (${h.status}${h.message ? `: ${h.message}` : ''})`).join(', ')}\n`);
    return ok ? EXIT.ok : EXIT.no;
  }
  const r = await rollbackChange(id, { stateDir: dir, progress: (l) => io.stderr(`netdiag: ${id}: ${l}\n`) }).catch((error: unknown) => {
    if ((error as Error).name === 'StepError') throw new UsageError(`${(error as Error).message}; the rollback stopped and can be run again`, (error as { hint?: string }).hint);
    throw error;
  });
  if (!r) {
    const known = await Journal.list(dir);
    throw new UsageError(`no applied fix or plan ${JSON.stringify(id)} in ${dir}`, known.length ? `known: ${known.join(', ')}` : 'nothing has been applied from this state directory');
  }
  if (opts.json) io.stdout(`${JSON.stringify(RollbackResult.parse(r))}\n`);
  else io.stdout(r.status === 'already-rolled-back' ? `${id}: already rolled back\n` : `${id}: rolled back${r.undone.length ? `\n${r.undone.map((u) => `  ${u.changed ? 'undid' : 'already gone'}: ${u.command}`).join('\n')}` : ''}\n`);
  return EXIT.ok;
}
