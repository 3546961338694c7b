// `netdiag probe A B`: ping or TCP connect from inside A's network namespace — the ground truth the model answers to.
import { probeAll } from '../../host/probe.js';
import { flowText, parseFlow } from '../../rules/query/flow.js';
import { probeTargets } from '../../rules/query/resolve.js';
import { ProbeAnswer } from '../../snapshot/contract.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { loadWorld } from '../sources.js';
import { styleFor } from '../render/style.js';
import { EXIT } from '../exit-codes.js';

export async function probeCommand(a: string, b: string, opts: { port?: string; json?: boolean; timeout?: string; hostName?: string }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const timeoutMs = Number(opts.timeout ?? 2000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, not ${JSON.stringify(opts.timeout)}`);
  const world = await loadWorld({ hostName: opts.hostName }, io);
  const answer = await probeAll(a, b, probeTargets(world, a, b), flow, timeoutMs);
  if (opts.json) io.stdout(`${JSON.stringify(ProbeAnswer.parse(answer))}\n`);
  else {
    const st = styleFor(io);
    for (const r of answer.results) io.stdout(`${a} → ${r.ip} (${flowText(flow)}): ${st.verdict(r.reachable === null ? 'unknown' : r.reachable ? 'reachable' : 'blocked')} in ${r.ms} ms — ${r.detail}\n`);
  }
  // A live probe is the ground truth: a partial snapshot (which only placed the names) does not change its code.
  if (answer.results.every((r) => r.reachable === null)) return EXIT.unknown;
  return answer.reachable ? EXIT.ok : EXIT.no;
}
