// `netdiag matrix`: every ordered pair of containers, one verdict each (per address in --json), streamed.
import { eachPair } from '../../rules/matrix.js';
import type { MatrixPair } from '../../snapshot/contract.js';
import { parseFamilies, parseFlow } from '../../rules/flow.js';
import { missingParts } from '../../rules/missing.js';
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

export async function matrixCommand(opts: SourceOptions & { port?: string; json?: boolean; ipv4?: boolean; ipv6?: boolean }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const families = parseFamilies(opts);
  const world = await loadWorld(opts, io);
  const out = chunked(io);
  const counts = { reachable: 0, blocked: 0, unknown: 0 };
  // Each pair's text is "from" (the same for a whole row) plus a tail that pairs with the same answer share.
  const tails = new WeakMap<MatrixPair['addresses'], string>();
  let failure: string | null = null;
  if (opts.json) {
    out.write(`{"flow":${JSON.stringify(flow)},"missing":${JSON.stringify(missingParts(world))},"pairs":[`);
    let sep = '';
    let lastFrom = '';
    let head = '';
    try {
      eachPair(world, flow, (p) => {
        counts[p.verdict]++;
        if (p.from !== lastFrom) head = `{"from":${JSON.stringify((lastFrom = p.from))},`;
        let tail = tails.get(p.addresses);
        if (tail === undefined) tails.set(p.addresses, (tail = `"to":${JSON.stringify(p.to)},"verdict":"${p.verdict}","addresses":${JSON.stringify(p.addresses)}}`));
        out.write(sep + head + tail);
        sep = ',';
      }, families);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    // Whatever happened, the document is whole: the pairs so far, and the error when there was one.
    out.write(`]${failure === null ? '' : `,"error":${JSON.stringify({ message: failure })}`}}\n`);
  } else {
    const st = styleFor(io);
    const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
    const w = Math.max(4, ...names.map((n) => n.length));
    out.write(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(w)}  VERDICT\n`);
    try {
      eachPair(world, flow, (p) => {
        counts[p.verdict]++;
        const per = p.addresses.length > 1 ? `  (${p.addresses.map((a) => `${a.ip} ${a.verdict}`).join(', ')})` : '';
        out.write(`${p.from.padEnd(w)}  ${p.to.padEnd(w)}  ${st.verdict(p.verdict)}${per}\n`);
      }, families);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const total = counts.reachable + counts.blocked + counts.unknown;
    out.write(`\n${total} pairs: ${counts.reachable} reachable, ${counts.blocked} blocked, ${counts.unknown} unknown\n`);
    if (total === 0) out.write(world.hosts.some((h) => h.containers.length > 0) ? '' : 'no running containers are in view\n');
  }
  out.flush();
  if (failure !== null) {
    io.stderr(`netdiag: internal error: the matrix stopped after ${counts.reachable + counts.blocked + counts.unknown} pairs: ${failure} (please report this bug)\n`);
    return 2;
  }
  return counts.unknown > 0 ? 3 : 0;
}
