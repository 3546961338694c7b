// Many steps in one program: routes through `ip -force -batch`, accepts through `iptables-restore --noflush` (one
// transaction a table); each step's own outcome is known, so the journal records exactly what happened to each.
import { CommandError, firstLine } from '../host/exec.js';
import { BATCH_WORD } from '../host/mutate.js';
import type { HostMutator } from '../host/mutate.js';
import { tokenize } from '../rules/iptables/tokenize.js';
import type { PlanStep } from '../snapshot/contract.js';
import { doStep, inverseOf, StepError } from './steps.js';

/**
 * Below this many alike steps in a row they run one by one: a fix's one or two rules keep the path whose errors name
 * each command, and two spawns (a listing and a restore) cost what two single steps do.
 */
export const BATCH_MIN = 4;
/** One program takes at most this many lines: its timeout grows with them, and a failure names one of a bounded lot. */
export const BATCH_MAX = 5_000;

type RouteStep = Extract<PlanStep, { kind: 'ip-route-add' | 'ip-route-del' }>;
type RuleStep = Extract<PlanStep, { kind: 'iptables-insert' | 'iptables-delete' }>;

/** One step's outcome in a run: done (changed, or found done) with its inverse, or refused with why. */
export type StepOutcome = { changed: boolean; undo: PlanStep | null } | { error: StepError };

/** Steps [from, to) run together by `how`, or one step on its own (`how` null). */
export interface Run {
  from: number;
  to: number;
  how: 'ip' | 'restore' | null;
}

export const routeArgs = (s: RouteStep): string[] => ['route', s.kind === 'ip-route-add' ? 'add' : 'del', s.dst, 'via', s.via, ...(s.dev ? ['dev', s.dev] : [])];

/** What `iptables -S` prints for a rule made of these options alone; anything else is compared by iptables itself (-C). */
const SIMPLE = new Set(['-i', '-o', '-s', '-d', '-p', '-m', '--comment', '-j']);

/**
 * A rule's options as iptables -S shows them, order aside: `-s 10.0.0.1` is listed `10.0.0.1/32`, a comment quoted.
 * Null for a rule with any other option or a negation: only the one-by-one path (-C) can say whether it is there.
 */
export function ruleKey(words: readonly string[]): string | null {
  if (words.length % 2 !== 0) return null;
  const pairs: string[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const opt = words[i] as string;
    let v = words[i + 1] as string;
    if (!SIMPLE.has(opt) || v === '!') return null;
    if ((opt === '-s' || opt === '-d') && !v.includes('/')) v = `${v}/${v.includes(':') ? 128 : 32}`;
    pairs.push(`${opt} ${v}`);
  }
  return pairs.sort().join('\u0000');
}

function runKey(m: HostMutator, s: PlanStep): string | null {
  if (s.kind === 'ip-route-add' || s.kind === 'ip-route-del') return m.ipBatch && routeArgs(s).every((w) => BATCH_WORD.test(w)) ? 'ip' : null;
  if (s.kind === 'iptables-insert' || s.kind === 'iptables-delete') {
    // An insert at a position other than the top may fall back to an append (steps.ts): that stays one by one.
    if (s.kind === 'iptables-insert' && (s.position ?? 1) !== 1) return null;
    if (!m.iptablesRestore || !m.iptablesList || ruleKey(s.rule) === null || ![s.chain, ...s.rule].every((w) => BATCH_WORD.test(w))) return null;
    // Rules of other chains commute: a plan's accepts alternate filter and raw, and run together, a restore a chain.
    return `restore ${s.kind}`;
  }
  return null;
}

/** The steps cut into runs: alike steps in a row together (at least BATCH_MIN, at most BATCH_MAX), the rest alone. */
export function runsOf(m: HostMutator, steps: readonly PlanStep[]): Run[] {
  const keys = steps.map((s) => runKey(m, s));
  const runs: Run[] = [];
  for (let i = 0; i < steps.length; ) {
    const k = keys[i];
    let j = i + 1;
    if (k !== null) while (j < steps.length && j - i < BATCH_MAX && keys[j] === k) j++;
    if (k !== null && j - i >= BATCH_MIN) runs.push({ from: i, to: j, how: k === 'ip' ? 'ip' : 'restore' });
    else for (let x = i; x < j; x++) runs.push({ from: x, to: x + 1, how: null });
    i = j;
  }
  return runs;
}

/**
 * Do a run's steps. Resolves with each step's outcome (ip -force tries every line: a refused route leaves the others
 * done); rejects with a StepError when what happened to each step cannot be told (a timeout): all may have happened.
 */
export async function doRun(m: HostMutator, steps: readonly PlanStep[], how: Run['how']): Promise<StepOutcome[]> {
  try {
    if (how === 'ip') return await routes(m, steps as RouteStep[]);
    if (how === 'restore') return await rules(m, steps as RuleStep[]);
    const one = steps[0] as PlanStep;
    return [await doStep(m, one).catch((error: unknown) => ({ error: error instanceof StepError ? error : new StepError((error as Error).message, 'see the message') }))];
  } catch (error) {
    if (error instanceof CommandError) throw new StepError(error.message, error.hint);
    throw error;
  }
}

async function routes(m: HostMutator, steps: RouteStep[]): Promise<StepOutcome[]> {
  const { failed } = await (m.ipBatch as NonNullable<HostMutator['ipBatch']>)(steps.map(routeArgs));
  return steps.map((s, i) => {
    const said = failed.get(i);
    if (said === undefined) return { changed: true, undo: inverseOf(s) };
    const add = s.kind === 'ip-route-add';
    // Already there (add) or already gone (del): as the one-by-one path reads ip's words.
    if (add ? /File exists/.test(said) : /No such process|not found/i.test(said)) return { changed: false, undo: inverseOf(s) };
    return { error: new StepError(`ip route ${add ? 'add' : 'del'} ${s.dst} failed: ${said}`, "check the host's routes (ip route)") };
  });
}

/**
 * Rule steps of one kind, grouped by chain (order kept within each: another chain's rules do not move its own), each
 * chain listed once and changed in one restore. A refused restore rejects: the chains before it went in, and the run
 * is undone whole, idempotently.
 */
async function rules(m: HostMutator, steps: RuleStep[]): Promise<StepOutcome[]> {
  const groups = new Map<string, number[]>();
  steps.forEach((s, i) => {
    const k = `${s.ip6tables ? 6 : 4} ${s.table} ${s.chain}`;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const out: StepOutcome[] = new Array<StepOutcome>(steps.length);
  for (const idx of groups.values()) {
    const got = await chainRules(m, idx.map((i) => steps[i] as RuleStep));
    idx.forEach((i, k) => (out[i] = got[k] as StepOutcome));
  }
  return out;
}

async function chainRules(m: HostMutator, steps: RuleStep[]): Promise<StepOutcome[]> {
  const first = steps[0] as RuleStep;
  const six = first.ip6tables === true;
  const tool = six ? 'ip6tables' : 'iptables';
  const listed = await (m.iptablesList as NonNullable<HostMutator['iptablesList']>)(first.table, first.chain, six);
  if (listed === null) {
    throw new StepError(`${tool}: chain ${first.chain} does not exist in table ${first.table}`, six ? 'Docker makes IPv6 chains only with ip6tables enabled (--ip6tables, the default since 27.0)' : 'Docker creates DOCKER-USER when it starts; is dockerd running with iptables enabled?');
  }
  // How many copies of each rule the chain holds now, as the steps before in this run leave it.
  const have = new Map<string, number>();
  for (const line of listed) {
    const k = ruleKey(tokenize(line).slice(2));
    if (k !== null) have.set(k, (have.get(k) ?? 0) + 1);
  }
  const commands: string[][] = [];
  const sent: number[] = [];
  const out: StepOutcome[] = steps.map((s, i) => {
    const k = ruleKey(s.rule) as string;
    const n = have.get(k) ?? 0;
    const insert = s.kind === 'iptables-insert';
    if (insert ? n > 0 : n === 0) return { changed: false, undo: inverseOf(s) };
    have.set(k, insert ? 1 : n - 1);
    commands.push([insert ? '-I' : '-D', s.chain, ...s.rule]);
    sent.push(i);
    return { changed: true, undo: inverseOf(s) };
  });
  if (commands.length === 0) return out;
  const r = await (m.iptablesRestore as NonNullable<HostMutator['iptablesRestore']>)(first.table, commands, six);
  if (r.ok) return out;
  // One transaction: nothing of it happened. Its report names the line (1-based, after the `*table` line).
  const line = /line (\d+) failed/.exec(r.stderr);
  const at = line ? sent[Number(line[1]) - 2] : undefined;
  const culprit = steps[at ?? (sent[0] as number)] as RuleStep;
  throw new StepError(`${tool}-restore ${culprit.kind === 'iptables-insert' ? '-I' : '-D'} ${culprit.chain} ${culprit.rule.join(' ')} failed: ${firstLine(r.stderr)} (none of the ${commands.length} rules sent with it went in)`, `check the rule with ${tool} -S`);
}
