// Applies a change (a fix's steps), journaling each step before and after, verifies it, and undoes it on failure.
import { liveMutator } from '../host/mutate.js';
import type { HostMutator } from '../host/mutate.js';
import { stepCommand } from '../rules/steps/command.js';
import type { ApplyResult, PlanStep, RollbackResult } from '../snapshot/contract.js';
import { Journal, journalState } from './journal.js';
import type { Undo } from './journal.js';
import { doRun, runsOf } from './batch.js';
import type { StepOutcome } from './batch.js';
import { inverseOf, StepError } from './steps.js';

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

/** What to undo: a step, and its recorded inverse (null: the one derived from the step, idempotent). */
interface ToUndo {
  index: number;
  undo: PlanStep | null;
  /** A step that was refused or may not have happened: its undo finding nothing to undo, or failing, is no error. */
  quiet?: boolean;
}

/**
 * Undo steps in reverse order of application, alike inverses in a row batched as applying batches them; each undo
 * journaled begun and done, so a rollback cut short is taken up where it stopped.
 */
async function undoAll(journal: Journal, steps: readonly PlanStep[], items: ToUndo[], host: HostMutator, progress: (line: string) => void): Promise<{ index: number; changed: boolean }[]> {
  const order = [...items].sort((a, b) => b.index - a.index);
  const inverses = order.map((d) => d.undo ?? inverseOf(steps[d.index] as PlanStep));
  const undone: { index: number; changed: boolean }[] = [];
  // A step without an inverse (a sysctl whose value was not yet read) has nothing to undo.
  const none = order.filter((_, k) => inverses[k] === null);
  if (none.length) {
    await journal.appendMany(none.flatMap((d) => [{ event: 'undo-begin' as const, index: d.index }, { event: 'undo-done' as const, index: d.index, changed: false }]));
    undone.push(...none.map((d) => ({ index: d.index, changed: false })));
  }
  const todo = order.filter((_, k) => inverses[k] !== null);
  const inv = inverses.filter((x): x is PlanStep => x !== null);
  for (const run of runsOf(host, inv)) {
    const part = todo.slice(run.from, run.to);
    progress(run.how === null ? `undoing step ${(part[0] as ToUndo).index + 1}: ${stepCommand(steps[(part[0] as ToUndo).index] as PlanStep)}` : `undoing ${part.length} steps (${(part[part.length - 1] as ToUndo).index + 1}-${(part[0] as ToUndo).index + 1}) in one ${run.how === 'ip' ? 'ip -batch' : 'iptables-restore'}`);
    await journal.appendMany(part.map((d) => ({ event: 'undo-begin' as const, index: d.index })));
    let outs: StepOutcome[];
    try {
      outs = await doRun(host, inv.slice(run.from, run.to), run.how);
    } catch (error) {
      if (!part.every((d) => d.quiet)) throw error;
      outs = part.map(() => ({ changed: false, undo: null }));
    }
    const failed = outs.find((o, k): o is { error: StepError } => 'error' in o && !(part[k] as ToUndo).quiet);
    const ok = part.flatMap((d, k) => {
      const o = outs[k] as StepOutcome;
      return 'error' in o ? (d.quiet ? [{ index: d.index, changed: false }] : []) : [{ index: d.index, changed: o.changed }];
    });
    await journal.appendMany(ok.map((d) => ({ event: 'undo-done' as const, ...d })));
    undone.push(...ok);
    if (failed) throw failed.error;
  }
  return undone;
}

export async function applyChange(req: ChangeRequest, options: ApplyOptions): Promise<ApplyResult> {
  const opts = { ...options, host: options.host ?? liveMutator() };
  const journal = await Journal.open(opts.stateDir, req.id);
  const prior = journalState(await journal.events());
  if (prior.status === 'applying' && prior.start) {
    throw new StepError(`${req.id} was interrupted while being applied`, `run \`netdiag rollback ${req.id}\` first`);
  }
  await journal.append({ event: 'start', kind: req.kind, id: req.id, title: req.title, steps: req.steps, context: req.context });
  const done: ToUndo[] = [];
  const results: ApplyResult['steps'] = [];
  const n = req.steps.length;
  const runs = runsOf(opts.host, req.steps);
  const rollBack = async (reason: string) => {
    await undoAll(journal, req.steps, done, opts.host, opts.progress);
    await journal.append({ event: 'rolled-back', reason });
  };
  for (const [r, run] of runs.entries()) {
    const part = req.steps.slice(run.from, run.to);
    const indexes = part.map((_, k) => run.from + k);
    opts.progress(run.how === null ? `step ${run.from + 1}/${n}: ${stepCommand(part[0] as PlanStep)}` : `steps ${run.from + 1}-${run.to}/${n}: ${part.length} in one ${run.how === 'ip' ? 'ip -batch' : 'iptables-restore'}`);
    await journal.appendMany(indexes.map((index) => ({ event: 'step-begin' as const, index })));
    let outs: StepOutcome[];
    try {
      outs = await doRun(opts.host, part, run.how);
    } catch (error) {
      // What happened to each step of the run cannot be told (a timeout mid-batch): every one is undone, idempotently.
      const e = error instanceof StepError ? error : new StepError((error as Error).message, 'see the message');
      await journal.append({ event: 'step-failed', index: run.from, error: e.message });
      done.push(...indexes.map((index) => ({ index, undo: null, quiet: true })));
      await rollBack(`step ${run.from + 1} failed: ${e.message}`);
      return { id: req.id, status: 'rolled-back', steps: results, verified: false, verification: 'not verified: a step failed', error: { message: e.message, hint: e.hint } };
    }
    const events: Parameters<Journal['appendMany']>[0][number][] = [];
    let failure: { index: number; error: StepError } | null = null;
    outs.forEach((o, k) => {
      const index = run.from + k;
      if ('error' in o) {
        failure ??= { index, error: o.error };
        events.push({ event: 'step-failed', index, error: o.error.message });
        // A refused step may have half-happened only if it was not refused up front: undone too, idempotently.
        done.push({ index, undo: null, quiet: true });
        return;
      }
      const undo: Undo = { step: o.undo };
      events.push({ event: 'step-done', index, changed: o.changed, undo });
      // With ip -force the lines after a refused one still went in: they are done, and undone with the rest.
      if (o.changed) done.push({ index, undo: o.undo });
      results.push({ command: stepCommand(part[k] as PlanStep), changed: o.changed });
    });
    await journal.appendMany(events);
    if (failure) {
      const f = failure as { index: number; error: StepError };
      await rollBack(`step ${f.index + 1} failed: ${f.error.message}`);
      return { id: req.id, status: 'rolled-back', steps: results, verified: false, verification: 'not verified: a step failed', error: { message: f.error.message, hint: f.error.hint } };
    }
    if (opts.pauseBetweenStepsMs && r < runs.length - 1) await new Promise((res) => setTimeout(res, opts.pauseBetweenStepsMs));
  }
  opts.progress('verifying: collecting the host again and probing from the source (inside its container, or on the host itself)');
  const v = await opts.verify().catch((error: unknown) => ({ ok: false, detail: `verification failed: ${(error as Error).message}` }));
  await journal.append({ event: 'verified', ok: v.ok, detail: v.detail });
  if (!v.ok) {
    await rollBack(`verification failed: ${v.detail}`);
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
  const steps = state.start.steps;
  const undone = (await undoAll(journal, steps, state.pending.map((p) => ({ index: p.index, undo: p.undo?.step ?? null })), opts.host, opts.progress)).map((u) => ({ command: stepCommand(steps[u.index] as PlanStep), changed: u.changed }));
  await journal.append({ event: 'rolled-back', reason: 'netdiag rollback' });
  return { id, status: 'rolled-back', undone };
}
