// `netdiag why A B [--json]` answered by this host's agent without the rest of the CLI (commander, the commands):
// bundled on its own as a script (dist/why-quick-HASH.cjs) that bin.ts runs from V8's code cache (code-cache.ts).
// Whatever this path cannot finish it hands back, with what it learnt, to the whole CLI, which says the same as ever.
// zod's jitless mode first: set before the answer's schemas are built, as main.ts does for `why`.
import './commands/why-jitless.js';
import type { Io } from './io.js';
import { terminalSafeIo } from './text.js';
import { askLocalAgent } from './local-agent.js';
import type { NotAnswered } from './local-agent.js';
import { whyFromAgent } from './why-agent-answer.js';
import type { QuickWhy } from './quick-args.js';

/**
 * The exit code when the agent answered and it was printed; otherwise what the whole CLI is to be told: why the agent
 * did not answer (said when it was named), or a silent null when its answer was not usable (collected instead, as
 * the whole CLI does).
 */
export async function whyQuick(q: QuickWhy, rawIo: Io): Promise<{ code: number } | { asked: NotAnswered | null }> {
  const io = terminalSafeIo(rawIo);
  const local = await askLocalAgent({ from: q.from, to: q.to }, {}, io);
  if (local === null || !('text' in local)) return { asked: local };
  const code = await whyFromAgent(local, q.json, io);
  return code === null ? { asked: { reason: 'its answer was not usable', explicit: false } } : { code };
}
