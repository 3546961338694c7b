// Applies a change (a fix's steps), journaling each step before and after, verifies it, and undoes it on failure.
import { liveMutator } from '../host/mutate.js';
import type { HostMutator } from '../host/mutate.js';
import { stepCommand } from '../rules/steps/command.js';
import type { ApplyResult, PlanStep, RollbackResult } from '../snapshot/contract.js';
import { Journal, journalState } from './journal.js';
import type { Undo } from './journal.js';
import { doStep, undoStep, StepError } from './steps.js';

export type { ApplyResult, RollbackResult };

export interface ChangeRequest {
  kind: 'fix' | 'plan';
  id: string;
  title: string;
  steps: PlanStep[];
  context: Record<string, unknown>;
}

export interface Verification {
  ok: boolean;
  detail: string;
}

export interface ApplyOptions {
  stateDir: string;
  /** How the host is changed: this host by default, a recording one in tests. */
  host?: HostMutator;
  verify: () => Promise<Verification>;
  progress: (line: string) => void;
  /** Fault injection for crash tests: pause this long after each step (NETDIAG_PAUSE_BETWEEN_STEPS_MS). */
  pauseBetweenStepsMs?: number;
}

async function rollbackDone(journal: Journal, req: ChangeRequest, done: { index: number; undo: Undo }[], opts: ApplyOptions & { host: HostMutator }, reason: string): Promise<void> {
  for (const d of [...done].reverse()) {
    const step = req.steps[d.index] as PlanStep;
    opts.progress(`undoing step ${d.index + 1}: ${stepCommand(step)}`);
    await journal.append({ event: 'undo-begin', index: d.index });
    const r = await undoStep(opts.host, step, d.undo.step);
    await journal.append({ event: 'undo-done', index: d.index, changed: r.changed });
  }
  await journal.append({ event: 'rolled-back', reason });
}

export async function applyChange(req: ChangeRequest, options: ApplyOptions): Promise<ApplyResult> {
  const opts = { ...options, host: options.host ?? liveMutator() };
  const journal = await Journal.open(opts.stateDir, req.id);
  const prior = journalState(await journal.events());
  if (prior.status === 'applying' && prior.start) {
    throw new StepError(`${req.id} was interrupted while being applied`, `run \`netdiag rollback ${req.id}\` first`);
  }
  await journal.append({ event: 'start', kind: req.kind, id: req.id, title: req.title, steps: req.steps, context: req.context });
  const done: { index: number; undo: Undo }[] = [];
  const results: ApplyResult['steps'] = [];
  for (let i = 0; i < req.steps.length; i++) {
    const step = req.steps[i] as PlanStep;
    opts.progress(`step ${i + 1}/${req.steps.length}: ${stepCommand(step)}`);
    await journal.append({ event: 'step-begin', index: i });
    try {
      const r = await doStep(opts.host, step);
      const undo: Undo = { step: r.undo };
      await journal.append({ event: 'step-done', index: i, changed: r.changed, undo });
      if (r.changed) done.push({ index: i, undo });
      results.push({ command: stepCommand(step), changed: r.changed });
    } catch (error) {
      const e = error instanceof StepError ? error : new StepError((error as Error).message, 'see the message');
      await journal.append({ event: 'step-failed', index: i, error: e.message });
      // The failed step itself may have half-happened only if it was not refused up front; undo it too, idempotently.
      await journal.append({ event: 'undo-begin', index: i });
      await undoStep(opts.host, step, null).catch(() => undefined);
      await journal.append({ event: 'undo-done', index: i, changed: false });
      await rollbackDone(journal, req, done, opts, `step ${i + 1} failed: ${e.message}`);
      return { id: req.id, status: 'rolled-back', steps: results, verified: false, verification: 'not verified: a step failed', error: { message: e.message, hint: e.hint } };
    }
    if (opts.pauseBetweenStepsMs && i < req.steps.length - 1) await new Promise((r) => setTimeout(r, opts.pauseBetweenStepsMs));
  }
  opts.progress('verifying: collecting the host again and probing from the source (inside its container, or on the host itself)');
  const v = await opts.verify().catch((error: unknown) => ({ ok: false, detail: `verification failed: ${(error as Error).message}` }));
  await journal.append({ event: 'verified', ok: v.ok, detail: v.detail });
  if (!v.ok) {
    await rollbackDone(journal, req, done, opts, `verification failed: ${v.detail}`);
    return { id: req.id, status: 'rolled-back', steps: results, verified: false, verification: v.detail };
  }
  await journal.append({ event: 'applied' });
  const changedAny = results.some((r) => r.changed);
  return { id: req.id, status: changedAny ? 'applied' : 'already-applied', steps: results, verified: true, verification: v.detail };
}

/** Undo a change from its journal: after a crash mid-apply, after a restart of netdiag, or of Docker. */
export async function rollbackChange(id: string, options: Pick<ApplyOptions, 'stateDir' | 'host' | 'progress'>): Promise<RollbackResult | null> {
  const opts = { ...options, host: options.host ?? liveMutator() };
  const journal = await Journal.existing(opts.stateDir, id);
  if (!journal) return null;
  const state = journalState(await journal.events());
  if (!state.start) return null;
  if (state.status === 'rolled-back' && state.pending.length === 0) return { id, status: 'already-rolled-back', undone: [] };
  const undone: RollbackResult['undone'] = [];
  for (const p of state.pending) {
    const step = state.start.steps[p.index] as PlanStep;
    opts.progress(`undoing step ${p.index + 1}: ${stepCommand(step)}`);
    await journal.append({ event: 'undo-begin', index: p.index });
    const r = await undoStep(opts.host, step, p.undo?.step ?? null);
    await journal.append({ event: 'undo-done', index: p.index, changed: r.changed });
    undone.push({ command: stepCommand(step), changed: r.changed });
  }
  await journal.append({ event: 'rolled-back', reason: 'netdiag rollback' });
  return { id, status: 'rolled-back', undone };
}
