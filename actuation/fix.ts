// Choosing and applying one fix for A → B: the refusals (already reachable, discouraged, opens more) and the apply.
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { fixesFor } from '../rules/changes/fixes.js';
import type { Fix } from '../rules/changes/fixes.js';
import type { World } from '../rules/model/types.js';
import type { Flow } from '../snapshot/contract.js';
import { why } from '../rules/why.js';
import { applyChange } from './apply.js';
import type { ApplyResult } from './apply.js';
import type { StepContext } from './steps.js';
import { verifyReach } from './verify.js';

export class FixRefused extends Error {
  override name = 'FixRefused';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The fix to apply: `id`, else the top one netdiag can apply. Throws FixRefused with the reason when there is none. */
export function chooseFix(world: World, from: string, to: string, flow: Flow, id: string | undefined, acceptWider: boolean): { fix: Fix; fixes: Fix[] } {
  const answer = why(world, from, to, flow);
  if (answer.verdict === 'reachable') throw new FixRefused(`${answer.from.name} already reaches ${answer.to.name} (${answer.addresses.filter((x) => x.verdict === 'reachable').map((x) => x.ip).join(', ')}): nothing to fix`);
  if (answer.verdict === 'unknown') throw new FixRefused(`netdiag cannot tell whether ${answer.from.name} reaches ${answer.to.name}: ${answer.addresses.find((x) => x.decidedBy)?.decidedBy?.reason ?? 'see netdiag why'}`, 'fix what netdiag cannot see first');
  const fixes = fixesFor(world, answer, flow);
  const fix = id ? fixes.find((f) => f.id === id) : fixes.find((f) => f.steps.length > 0 && !f.discouraged);
  if (!fix) throw new FixRefused(id ? `no fix ${id} for ${from} → ${to}` : `no fix netdiag can apply for ${from} → ${to}`, id ? `the fixes are: ${fixes.map((f) => f.id).join(', ')}` : undefined);
  if (fix.steps.length === 0 || fix.discouraged) throw new FixRefused(`${fix.id} (${fix.title}) is shown as an alternative only; netdiag does not apply it`);
  if (fix.predicted.forward !== 'reachable') throw new FixRefused(`${fix.id} would not make ${from} reach ${to}, as the model predicts it`, 'pick another fix');
  if (fix.alsoOpens.length > 0 && !acceptWider) throw new FixRefused(`${fix.id} (${fix.title}) also opens ${fix.alsoOpens.join(', ')}`, 'run again with --yes to accept that, or pick a narrower fix with --fix');
  return { fix, fixes };
}

export interface FixApplyOptions {
  stateDir: string;
  steps: StepContext;
  collect: () => Promise<HostSnapshot>;
  progress: (line: string) => void;
  pauseBetweenStepsMs?: number;
}

export function applyFix(fix: Fix, from: string, to: string, flow: Flow, opts: FixApplyOptions): Promise<ApplyResult> {
  return applyChange(
    { kind: 'fix', id: fix.id, title: fix.title, steps: fix.steps, context: { from, to, flow } },
    { stateDir: opts.stateDir, steps: opts.steps, progress: opts.progress, pauseBetweenStepsMs: opts.pauseBetweenStepsMs, verify: () => verifyReach(opts.collect, from, to, flow, opts.progress) },
  );
}
