// `netdiag matrix`: every ordered pair of containers, one verdict each (per address in --json).
import { matrix } from '../../rules/matrix.js';
import { parseFlow } from '../flow-option.js';
import type { Io } from '../io.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';

export async function matrixCommand(opts: SourceOptions & { port?: string; json?: boolean }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const world = await loadWorld(opts, io);
  const pairs = matrix(world, flow);
  if (opts.json) {
    io.stdout(`${JSON.stringify({ flow, pairs })}\n`);
  } else {
    const st = styleFor(io);
    const w = Math.max(4, ...pairs.map((p) => p.from.length));
    const w2 = Math.max(2, ...pairs.map((p) => p.to.length));
    io.stdout(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(w2)}  VERDICT\n`);
    for (const p of pairs) {
      const per = p.addresses.length > 1 ? `  (${p.addresses.map((a) => `${a.ip} ${a.verdict}`).join(', ')})` : '';
      io.stdout(`${p.from.padEnd(w)}  ${p.to.padEnd(w2)}  ${st.verdict(p.verdict)}${per}\n`);
    }
    const n = (v: string) => pairs.filter((p) => p.verdict === v).length;
    io.stdout(`\n${pairs.length} pairs: ${n('reachable')} reachable, ${n('blocked')} blocked, ${n('unknown')} unknown\n`);
  }
  return pairs.some((p) => p.verdict === 'unknown') ? 3 : 0;
}
