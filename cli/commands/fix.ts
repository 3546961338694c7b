// `netdiag fix A B`: ranked fixes with their predicted effect; with --apply, change the host, verify, keep a rollback.
import { createInterface } from 'node:readline/promises';
import { applyFix, chooseFix, FixRefused } from '../../actuation/fix.js';
import type { ApplyResult } from '../../actuation/apply.js';
import { StateDirError } from '../../actuation/journal.js';
import { liveStepContext, StepError } from '../../actuation/steps.js';
import { collectSnapshot } from '../../collectors/run.js';
import { fixesFor } from '../../rules/changes/fixes.js';
import type { Fix } from '../../rules/changes/fixes.js';
import { buildWorld } from '../../rules/model/build.js';
import { ResolveError } from '../../rules/resolve.js';
import { why } from '../../rules/why.js';
import { parseFlow } from '../flow-option.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { renderFixes } from '../render/fixes.js';
import { styleFor } from '../render/style.js';
import { loadSnapshots } from '../sources.js';
import { stateDir } from '../../actuation/state-dir.js';
import { readFile } from 'node:fs/promises';

export interface FixOptions {
  port?: string;
  json?: boolean;
  apply?: boolean;
  yes?: boolean;
  fix?: string;
  snapshot?: string[];
  agent?: string[];
  inventory?: string;
  hostName?: string;
  stateDir?: string;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !io.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function fixCommand(a: string, b: string, opts: FixOptions, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  if (opts.apply && (opts.snapshot?.length || opts.agent?.length || opts.inventory)) throw new UsageError('--apply changes the host netdiag runs on; it cannot be combined with --snapshot or --agent', 'run it on that host, or POST /v1/fixes/ID/apply to its agent');
  const snapshots = await loadSnapshots(opts, io);
  const world = buildWorld(snapshots);
  const st = styleFor(io);
  const refused = (error: unknown): never => {
    if (error instanceof ResolveError || error instanceof FixRefused) throw new UsageError(error.message, error.hint);
    throw error;
  };
  if (!opts.apply) {
    let answer;
    try {
      answer = why(world, a, b, flow);
      if (answer.verdict !== 'blocked') chooseFix(world, a, b, flow, undefined, true);
    } catch (error) {
      refused(error);
    }
    const fixes = fixesFor(world, answer!, flow);
    if (opts.json) io.stdout(`${JSON.stringify({ from: answer!.from.name, to: answer!.to.name, verdict: answer!.verdict, fixes })}\n`);
    else io.stdout(`${answer!.from.name} → ${answer!.to.name}: ${st.verdict(answer!.verdict)}; ranked fixes:\n${renderFixes(fixes, st, answer!.from.name, answer!.to.name).join('\n')}\n\napply one with: netdiag fix ${a} ${b}${opts.port ? ` --port ${opts.port}` : ''} --apply [--fix ID]\n`);
    return 0;
  }

  let chosen: Fix;
  try {
    chosen = chooseFix(world, a, b, flow, opts.fix, Boolean(opts.yes)).fix;
  } catch (error) {
    return refused(error);
  }
  if (!opts.yes && !(await confirm(io, `Apply ${chosen.id}: ${chosen.commands.join('; ')}?`))) {
    throw new UsageError('nothing was changed', process.stdin.isTTY ? 'answered no' : 'confirm with --yes when not at a terminal');
  }

  const progress = (line: string) => io.stderr(`netdiag: ${chosen.id}: ${line}\n`);
  const pause = Number(io.env.NETDIAG_PAUSE_BETWEEN_STEPS_MS ?? 0);
  let result: ApplyResult;
  try {
    result = await applyFix(chosen, a, b, flow, {
      stateDir: stateDir(opts.stateDir, io),
      steps: liveStepContext((p) => readFile(p, 'utf8').catch(() => null)),
      collect: () => collectSnapshot({ hostName: snapshots[0]?.name }),
      progress,
      pauseBetweenStepsMs: pause > 0 ? pause : undefined,
    });
  } catch (error) {
    if (error instanceof StateDirError) throw new UsageError(`${error.message}; nothing was changed`, 'give a writable --state-dir (or NETDIAG_STATE_DIR), or run as root');
    if (error instanceof StepError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const out = { ...result, fix: { id: chosen.id, title: chosen.title, commands: chosen.commands } };
  if (opts.json) io.stdout(`${JSON.stringify(out)}\n`);
  else if (result.status === 'rolled-back') {
    io.stdout(`${chosen.id}: ${st.verdict('blocked')} — ${result.error ? `${result.error.message} (${result.error.hint})` : result.verification}; every step was undone\n`);
  } else {
    io.stdout(`${chosen.id}: ${result.status === 'already-applied' ? 'already in place' : 'applied'} and verified — ${result.verification}\nundo it with: netdiag rollback ${chosen.id}\n`);
  }
  if (result.error) {
    io.stderr(`netdiag: ${result.error.message}; nothing was left half-applied (${result.error.hint})\n`);
    return 2;
  }
  return result.verified ? 0 : 1;
}
