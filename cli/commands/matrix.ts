// `netdiag matrix`: every ordered pair of containers, one verdict each (per address in --json), streamed.
import { eachPair } from '../../rules/matrix.js';
import type { MatrixPair } from '../../snapshot/contract.js';
import { parseFlow } from '../../rules/flow.js';
import { qualifiedName } from '../../rules/resolve.js';
import type { Io } from '../io.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';

/** Output in chunks: a thousand containers make a million lines, which one string or one JSON.stringify would hold. */
function chunked(io: Io): { write(s: string): void; flush(): void } {
  let buf = '';
  return {
    write(s) {
      buf += s;
      if (buf.length > 1 << 20) this.flush();
    },
    flush() {
      if (buf.length > 0) io.stdout(buf);
      buf = '';
    },
  };
}

export async function matrixCommand(opts: SourceOptions & { port?: string; json?: boolean }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const world = await loadWorld(opts, io);
  const out = chunked(io);
  const counts = { reachable: 0, blocked: 0, unknown: 0 };
  // Each pair's text is "from" (the same for a whole row) plus a tail that pairs with the same answer share.
  const tails = new WeakMap<MatrixPair['addresses'], string>();
  if (opts.json) {
    out.write(`{"flow":${JSON.stringify(flow)},"pairs":[`);
    let sep = '';
    let lastFrom = '';
    let head = '';
    eachPair(world, flow, (p) => {
      counts[p.verdict]++;
      if (p.from !== lastFrom) head = `{"from":${JSON.stringify((lastFrom = p.from))},`;
      let tail = tails.get(p.addresses);
      if (tail === undefined) tails.set(p.addresses, (tail = `"to":${JSON.stringify(p.to)},"verdict":"${p.verdict}","addresses":${JSON.stringify(p.addresses)}}`));
      out.write(sep + head + tail);
      sep = ',';
    });
    out.write(']}\n');
  } else {
    const st = styleFor(io);
    const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
    const w = Math.max(4, ...names.map((n) => n.length));
    out.write(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(w)}  VERDICT\n`);
    eachPair(world, flow, (p) => {
      counts[p.verdict]++;
      const per = p.addresses.length > 1 ? `  (${p.addresses.map((a) => `${a.ip} ${a.verdict}`).join(', ')})` : '';
      out.write(`${p.from.padEnd(w)}  ${p.to.padEnd(w)}  ${st.verdict(p.verdict)}${per}\n`);
    });
    const total = counts.reachable + counts.blocked + counts.unknown;
    out.write(`\n${total} pairs: ${counts.reachable} reachable, ${counts.blocked} blocked, ${counts.unknown} unknown\n`);
  }
  out.flush();
  return counts.unknown > 0 ? 3 : 0;
}
