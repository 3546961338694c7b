// `netdiag fix A B`: ranked fixes with their predicted effect; with --apply, change the host, verify, keep a rollback.
import { createInterface } from 'node:readline/promises';
import { applyChange } from '../../agent/actuation/apply.js';
import type { ApplyResult } from '../../agent/actuation/apply.js';
import { StateDirError } from '../../agent/actuation/journal.js';
import { liveStepContext, StepError } from '../../agent/actuation/steps.js';
import { collectSnapshot } from '../../collectors/run.js';
import { fixesFor } from '../../rules/fixes/candidates.js';
import type { Fix } from '../../rules/fixes/candidates.js';
import { buildWorld } from '../../rules/model/build.js';
import { ResolveError } from '../../rules/resolve.js';
import { why } from '../../rules/why.js';
import { parseFlow } from '../flow-option.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { renderFixes } from '../render/fixes.js';
import { styleFor } from '../render/style.js';
import { loadSnapshots } from '../sources.js';
import { stateDir } from '../state-dir.js';
import { probeAll } from './probe.js';
import { readFile } from 'node:fs/promises';

export interface FixOptions {
  port?: string;
  json?: boolean;
  apply?: boolean;
  yes?: boolean;
  fix?: string;
  snapshot?: string[];
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
  if (opts.apply && opts.snapshot?.length) throw new UsageError('--apply changes the live host; it cannot be combined with --snapshot');
  const snapshots = await loadSnapshots(opts, io);
  const world = buildWorld(snapshots);
  let answer;
  try {
    answer = why(world, a, b, flow);
  } catch (error) {
    if (error instanceof ResolveError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  if (answer.verdict === 'reachable') throw new UsageError(`${answer.from.name} already reaches ${answer.to.name} (${answer.addresses.filter((x) => x.verdict === 'reachable').map((x) => x.ip).join(', ')}): nothing to fix`);
  if (answer.verdict === 'unknown') throw new UsageError(`netdiag cannot tell whether ${answer.from.name} reaches ${answer.to.name}: ${answer.addresses.find((x) => x.decidedBy)?.decidedBy?.reason ?? 'see netdiag why'}`, 'fix what netdiag cannot see first');
  const fixes = fixesFor(world, answer, flow);
  const st = styleFor(io);
  if (!opts.apply) {
    if (opts.json) io.stdout(`${JSON.stringify({ from: answer.from.name, to: answer.to.name, verdict: answer.verdict, fixes })}\n`);
    else io.stdout(`${answer.from.name} → ${answer.to.name}: ${st.verdict(answer.verdict)}; ranked fixes:\n${renderFixes(fixes, st, answer.from.name, answer.to.name).join('\n')}\n\napply one with: netdiag fix ${a} ${b}${opts.port ? ` --port ${opts.port}` : ''} --apply [--fix ID]\n`);
    return 0;
  }

  const chosen: Fix | undefined = opts.fix ? fixes.find((f) => f.id === opts.fix) : fixes.find((f) => f.steps.length > 0 && !f.discouraged);
  if (!chosen) throw new UsageError(opts.fix ? `no fix ${opts.fix} for ${a} → ${b}` : `no fix netdiag can apply for ${a} → ${b}`, opts.fix ? `the fixes are: ${fixes.map((f) => f.id).join(', ')}` : undefined);
  if (chosen.steps.length === 0 || chosen.discouraged) throw new UsageError(`${chosen.id} (${chosen.title}) is shown as an alternative only; netdiag does not apply it`);
  if (chosen.predicted.forward !== 'reachable') throw new UsageError(`${chosen.id} would not make ${a} reach ${b}, as the model predicts it`, 'pick another fix with --fix');
  if (chosen.alsoOpens.length > 0 && !opts.yes) {
    throw new UsageError(`${chosen.id} (${chosen.title}) also opens ${chosen.alsoOpens.join(', ')}`, 'run again with --yes to accept that, or pick a narrower fix with --fix');
  }
  if (!opts.yes && !(await confirm(io, `Apply ${chosen.id}: ${chosen.commands.join('; ')}?`))) {
    throw new UsageError('nothing was changed', process.stdin.isTTY ? 'answered no' : 'confirm with --yes when not at a terminal');
  }

  const dir = stateDir(opts.stateDir, io);
  const progress = (line: string) => io.stderr(`netdiag: ${chosen.id}: ${line}\n`);
  const steps = liveStepContext((p) => readFile(p, 'utf8').catch(() => null));
  const pause = Number(io.env.NETDIAG_PAUSE_BETWEEN_STEPS_MS ?? 0);
  let result: ApplyResult;
  try {
    result = await applyChange(
      { kind: 'fix', id: chosen.id, title: chosen.title, steps: chosen.steps, context: { from: a, to: b, flow } },
      {
        stateDir: dir,
        steps,
        progress,
        pauseBetweenStepsMs: pause > 0 ? pause : undefined,
        verify: async () => {
          const after = buildWorld([await collectSnapshot({ hostName: snapshots[0]?.name })]);
          const model = why(after, a, b, flow).verdict;
          progress(`probing ${a} → ${b} from inside ${a}'s namespace`);
          const p = await probeAll(after, a, b, flow);
          const probes = p.results.map((r) => `${r.ip} ${r.reachable ? 'reachable' : 'blocked'}`).join(', ');
          return { ok: p.reachable, detail: `probe: ${probes}; model: ${model}` };
        },
      },
    );
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
