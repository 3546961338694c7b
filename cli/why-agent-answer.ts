// An answer to `why` from this host's agent, checked at the boundary and printed as the collected one would be, and
// the exit code of any why answer: shared by the whole CLI (commands/why.ts) and the quick path (why-quick.ts).
import { nameUnchecked, reachableButNameFails } from '../rules/why/asked.js';
// From the contract's own modules, not its index: an answer from the agent is checked against these two, and the
// index would build every other answer's schema too (map, plan, matrix…) before the first byte.
import { FixesResult } from '../snapshot/contract/changes.js';
import { WhyResult } from '../snapshot/contract/why.js';
import type { WhyAnswer } from '../snapshot/contract/why.js';
import type { Io } from './io.js';
import { renderWhy } from './render/why.js';
import { styleFor } from './render/style.js';
import { EXIT, VERDICT_EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { ANSWER_TIMEOUT_MS } from './local-agent.js';
import type { LocalAnswer } from './local-agent.js';
import { askAgent } from './agent-client.js';
import type { FixAdvice } from '../rules/changes/fixes.js';

/** As the user asked it: B asked by name, reachable at its address while the name does not resolve, fails like ping. */
export function exitOf(answer: WhyAnswer): ExitCode {
  if (reachableButNameFails(answer)) return VERDICT_EXIT.blocked;
  // A yes whose name part rests on DNS rules the snapshot does not hold: 4, as from any part not read.
  if (nameUnchecked(answer)) return EXIT.partial;
  return VERDICT_EXIT[answer.verdict];
}

/** A reply's body as JSON; undefined when it is not (which the contract's schema then refuses: not usable). */
function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The agent's answer, printed as the collected one would be (null: it was not usable, collect instead). The terminal's
 * next step needs what fixing comes to: the answer's fixes say it, but when there are none only the agent's fix
 * advice for the same question says why (asked then only).
 */
export async function whyFromAgent(local: LocalAnswer, json: boolean | undefined, io: Io): Promise<number | null> {
  const { from: a, to: b } = local.question;
  let parsed: WhyResult;
  try {
    parsed = WhyResult.parse(JSON.parse(local.text));
  } catch {
    return null;
  }
  let out: string;
  if (json) out = JSON.stringify(parsed);
  else {
    let next: FixAdvice | null = null;
    if (!(parsed.verdict === 'reachable' && !reachableButNameFails(parsed))) {
      if (parsed.fixes.length > 0) next = { status: 'fixes', fixes: parsed.fixes, advice: null };
      else {
        const res = await askAgent(local.target, '/v1/fixes', { method: 'POST', body: local.question, timeoutMs: ANSWER_TIMEOUT_MS }).catch(() => null);
        const advice = res?.status === 200 ? FixesResult.safeParse(jsonOrUndefined(res.text)) : null;
        if (!advice?.success) return null;
        next = { status: advice.data.status, fixes: advice.data.fixes, advice: advice.data.advice };
      }
    }
    out = renderWhy(parsed, styleFor(io), next, { from: a, to: b }).join('\n');
  }
  io.stderr(`netdiag: answered by the local agent (snapshot ${Math.round(local.ageSeconds)} s old; --no-agent collects now)\n`);
  io.stdout(`${out}\n`);
  const code = exitOf(parsed);
  return code === EXIT.ok && (local.partial || parsed.missing.length > 0) ? EXIT.partial : code;
}
