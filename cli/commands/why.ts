// `netdiag why A B`: explain A → B. Exit codes follow ping/grep: 0 reachable, 1 blocked, 3 unknown (2: bad input).
import { ResolveError } from '../../rules/resolve.js';
import { why } from '../../rules/why.js';
import type { WhyAnswer } from '../../rules/why.js';
import { parseFlow } from '../flow-option.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { renderWhy } from '../render/why.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';
import { fixesFor } from '../../rules/changes/fixes.js';

export const EXIT: Record<WhyAnswer['verdict'], number> = { reachable: 0, blocked: 1, unknown: 3 };

export async function whyCommand(a: string, b: string, opts: SourceOptions & { port?: string; json?: boolean }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const world = await loadWorld(opts, io);
  let answer: WhyAnswer;
  try {
    answer = why(world, a, b, flow);
  } catch (error) {
    if (error instanceof ResolveError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const fixes = answer.verdict === 'blocked' ? fixesFor(world, answer, flow) : [];
  if (opts.json) io.stdout(`${JSON.stringify({ ...answer, fixes })}\n`);
  else io.stdout(`${renderWhy(answer, styleFor(io)).join('\n')}\n`);
  return EXIT[answer.verdict];
}
