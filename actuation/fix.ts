// Fixing A → B, the one use case both faces call: list the ranked fixes, or choose one under one rule, apply it,
// verify it with the model on a fresh snapshot and a live probe, and undo it when that fails.
import { adviseFixes } from '../rules/changes/fixes.js';
import type { FixAdvice } from '../rules/changes/fixes.js';
import type { Family } from '../rules/addr/addr.js';
import type { World } from '../rules/model/types.js';
import { why } from '../rules/why/why.js';
import type { Fix, FixApplyResult, Flow, WhyAnswer } from '../snapshot/contract.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { applyChange } from './apply.js';
import type { ApplyOptions } from './apply.js';
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

export interface FixQuestion {
  world: World;
  from: string;
  to: string;
  flow: Flow;
  /** The address families asked about (-4, -6); both when absent. A fix is listed, chosen and verified in them. */
  families?: readonly Family[];
}

/** A pair, what fixing it comes to (nothing to fix, ranked fixes that work, or none and why), and the fixes. */
export function listFixes(q: FixQuestion): FixAdvice & { answer: WhyAnswer } {
  const answer = why(q.world, q.from, q.to, q.flow, q.families);
  return { answer, ...adviseFixes(q.world, answer, q.flow) };
}

export interface FixChoice {
  /** The fix to apply; the top one netdiag can apply when absent. */
  id?: string;
  /** Consent to a fix that opens more than the asked pair (--yes at the terminal, "acceptWider" over HTTP). */
  acceptWider: boolean;
}

/**
 * The one rule for applying a fix, whichever face asks: only for a blocked pair; never a fix shown as an alternative
 * only; only one the model predicts to work; and one that opens more than the asked pair only with consent.
 */
export function chooseFix(q: FixQuestion, choice: FixChoice): Fix {
  const { fixes, status, advice, answer } = listFixes(q);
  if (status === 'reaches') throw new FixRefused(`${answer.from.name} already reaches ${answer.to.name} (${answer.addresses.filter((x) => x.verdict === 'reachable').map((x) => x.ip).join(', ')}): nothing to fix`);
  if (status === 'no-fix') throw new FixRefused(`no fix for ${answer.from.name} → ${answer.to.name}: ${advice}`);
  // By default the top fix netdiag can apply by itself: not one shown only, nor one that needs dockerd restarted.
  const fix = choice.id ? fixes.find((f) => f.id === choice.id) : fixes.find((f) => f.steps.length > 0 && !f.discouraged && !f.steps.some((s) => s.kind === 'docker-daemon-config'));
  if (!fix) throw new FixRefused(choice.id ? `no fix ${choice.id} for ${q.from} → ${q.to}` : `no fix netdiag can apply for ${q.from} → ${q.to}`, choice.id ? `the fixes are: ${fixes.map((f) => f.id).join(', ')}` : undefined);
  if (fix.steps.length === 0 || fix.discouraged) throw new FixRefused(`${fix.id} (${fix.title}) is shown as an alternative only; netdiag does not apply it`);
  const daemon = fix.steps.filter((s) => s.kind === 'docker-daemon-config');
  if (daemon.length > 0) throw new FixRefused(`${fix.id} (${fix.title}) needs Docker's daemon configuration changed and dockerd restarted first: ${daemon.map((s) => fix.commands[fix.steps.indexOf(s)]).join('; ')}`, 'make that change yourself (it restarts every container); netdiag never restarts Docker');
  if (fix.predicted.forward !== 'reachable') throw new FixRefused(`${fix.id} would not make ${q.from} reach ${q.to}, as the model predicts it`, 'pick another fix');
  if (fix.alsoOpens.length > 0 && !choice.acceptWider) throw new FixRefused(`${fix.id} (${fix.title}) also opens ${fix.alsoOpens.join(', ')}`, 'accept that explicitly (--yes, or "acceptWider": true), or pick a narrower fix');
  return fix;
}

/** As for any change, but verified by collecting the host again (`collect`) and probing. */
export interface FixApplyOptions extends Omit<ApplyOptions, 'verify'> {
  /** This host afresh; with the other hosts in view as well when the pair crosses hosts (this host first). */
  collect: () => Promise<HostSnapshot | HostSnapshot[]>;
}

/**
 * A fix applied here for a pair across hosts: every step must change this host (netdiag changes only the host it
 * runs on), and A must be here too, since the live probe runs from inside A's namespace.
 */
export function refuseElsewhere(fix: Fix, q: FixQuestion, here: string): void {
  const others = [...new Set(fix.steps.map((s) => s.host).filter((h) => h !== here))];
  if (others.length > 0) throw new FixRefused(`${fix.id} (${fix.title}) changes ${others.join(', ')}, not only ${here}, where netdiag runs`, `run it on ${others.join(' and ')} (netdiag changes only the host it runs on)`);
  const a = q.world.hosts.find((h) => h.name === here);
  const local = q.from === 'host' || q.from === `${here}/host` || q.from.startsWith(`${here}/`) || (a?.containers.some((c) => c.name === q.from) ?? false);
  if (!local) throw new FixRefused(`${q.from} is not on ${here}: the probe that verifies ${fix.id} runs from inside ${q.from}'s namespace`, `ask it the other way round from here (netdiag fix B A --apply …): ${fix.id} is checked for both directions`);
}

/** Apply a chosen fix: journaled steps, then the model on a fresh snapshot and a live probe; undone if either fails. */
export async function applyFix(fix: Fix, q: Omit<FixQuestion, 'world'>, opts: FixApplyOptions): Promise<FixApplyResult> {
  const r = await applyChange(
    { kind: 'fix', id: fix.id, title: fix.title, steps: fix.steps, context: { from: q.from, to: q.to, flow: q.flow } },
    { ...opts, verify: () => verifyReach(opts.collect, q.from, q.to, q.flow, opts.progress, q.families) },
  );
  return { ...r, fix: { id: fix.id, title: fix.title, commands: fix.commands } };
}
