// `netdiag why A B`: explain A → B. Exit codes follow ping/grep: 0 reachable, 1 blocked, 3 unknown (2: bad input).
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { parseIp } from '../../rules/addr/addr.js';
import { questionScope } from '../../collectors/scope.js';
import { why } from '../../rules/why/why.js';
import { WhyResult } from '../../snapshot/contract.js';
import type { WhyAnswer } from '../../snapshot/contract.js';
import type { Io } from '../io.js';
import { renderWhy } from '../render/why.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';

export const EXIT: Record<WhyAnswer['verdict'], number> = { reachable: 0, blocked: 1, unknown: 3 };

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
    io.stdout(`${JSON.stringify(WhyResult.parse({ ...answer, fixes: answer.verdict === 'blocked' ? fixesFor(world, answer, flow) : [], missing: missingParts(world) }))}\n`);
  } else io.stdout(`${renderWhy(answer, styleFor(io)).join('\n')}\n`);
  return EXIT[answer.verdict];
}
