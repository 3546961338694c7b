// `netdiag why A B`: explain A → B. Exit codes follow ping/grep: 0 reachable, 1 blocked (or reachable by address while
// the name asked does not resolve), 3 unknown (2: bad input; 4: reachable, from a partial snapshot).
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { parseIp } from '../../rules/addr/addr.js';
import { questionScope } from '../../collectors/scope.js';
import { why } from '../../rules/why/why.js';
import { nameUnchecked, reachableButNameFails } from '../../rules/why/asked.js';
import { WhyResult } from '../../snapshot/contract.js';
import type { WhyAnswer } from '../../snapshot/contract.js';
import type { Io } from '../io.js';
import { renderWhy } from '../render/why.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';
import { EXIT, VERDICT_EXIT, answerExit } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';

/** As the user asked it: B asked by name, reachable at its address while the name does not resolve, fails like ping. */
export function exitOf(answer: WhyAnswer): ExitCode {
  if (reachableButNameFails(answer)) return VERDICT_EXIT.blocked;
  // A yes whose name part rests on DNS rules the snapshot does not hold: 4, as from any part not read.
  if (nameUnchecked(answer)) return EXIT.partial;
  return VERDICT_EXIT[answer.verdict];
}

export async function whyCommand(a: string, b: string, opts: SourceOptions & { port?: string; json?: boolean; ipv4?: boolean; ipv6?: boolean }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  // Asked at a terminal, only A, B and what they share are inspected and entered (the time does not grow with the
  // containers the question does not touch). --json carries fixes whose "also opens" covers every pair: all of them.
  // A ping to an address asks no socket and no name: the sockets and dns collectors are left out (sockets reads every
  // namespace's /proc/net). B named: its name is resolved through Docker's resolver, whose socket ends that walk.
  const byAddress = parseIp(b.slice(b.indexOf('/') + 1)) !== null;
  const world = await loadWorld(opts, io, opts.json ? {} : { scope: questionScope([a, b]), ...(flow.proto === 'icmp' && byAddress ? { skip: ['sockets' as const, 'dns' as const] } : {}) });
  const answer = why(world, a, b, flow, parseFamilies(opts));
  // Fixes cost a model run per candidate: computed only where they are shown (the JSON contract carries them).
  if (opts.json) {
    // Loaded only here: the predictions behind fixes are most of the code a `why` at a terminal would otherwise load.
    const [{ fixesFor }, { missingParts }] = await Promise.all([import('../../rules/changes/fixes.js'), import('../../rules/query/missing.js')]);
    io.stdout(`${JSON.stringify(WhyResult.parse({ ...answer, fixes: fixesFor(world, answer, flow), missing: missingParts(world) }))}\n`);
  } else {
    // The next step is only worth saying when it is true: the fixes are predicted (without counting what else each
    // opens, which only the full fix listing shows).
    const next = answer.verdict === 'reachable' && !reachableButNameFails(answer) ? null : (await import('../../rules/changes/fixes.js')).adviseFixes(world, answer, flow, { sideEffects: false });
    io.stdout(`${renderWhy(answer, styleFor(io), next, { from: a, to: b }).join('\n')}\n`);
  }
  return answerExit(exitOf(answer), world.hosts.map((h) => h.snapshot));
}
