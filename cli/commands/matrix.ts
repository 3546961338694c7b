// `netdiag matrix`: every ordered pair of containers, one verdict each (per address in JSON), streamed: a row of
// pairs at a time, waiting for the output to drain, so a million pairs never sit in memory as one document.
import { MatrixText, pairRows } from '../../rules/matrix.js';
import type { MatrixPair } from '../../snapshot/contract.js';
import { parseFamilies, parseFlow } from '../../rules/flow.js';
import { missingParts } from '../../rules/missing.js';
import { qualifiedName } from '../../rules/resolve.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';

const FORMATS = ['text', 'json', 'ndjson'] as const;

const CHUNK = 1 << 20;

/**
 * Output in chunks of about a megabyte. Pieces that recur (a row's "from", a shared answer's tail) are encoded once
 * and copied as bytes; `drained` resolves when what was written has gone out. JSON goes out as bytes, unescaped (a
 * third of a 100 MB matrix's time was the terminal-safety scan); the table goes through it, as all text does.
 */
function chunked(io: Io, json: boolean): { write(s: string): void; bytes(b: Buffer): void; flush(): void; drained(): Promise<void> } {
  let buf = Buffer.allocUnsafe(CHUNK);
  let at = 0;
  const raw = json ? io.stdoutBytes : undefined;
  const out = (b: Buffer) => (raw ? raw(b) : io.stdout(b.toString('utf8')));
  return {
    write(s) {
      this.bytes(Buffer.from(s, 'utf8'));
    },
    bytes(b) {
      if (at + b.length > CHUNK) this.flush();
      if (b.length > CHUNK) return out(b);
      b.copy(buf, at);
      at += b.length;
    },
    flush() {
      if (at === 0) return;
      // The chunk now belongs to the stream: a new one for what follows.
      out(buf.subarray(0, at));
      buf = Buffer.allocUnsafe(CHUNK);
      at = 0;
    },
    drained: () => io.drained?.() ?? Promise.resolve(),
  };
}

export async function matrixCommand(opts: SourceOptions & { port?: string; json?: boolean; format?: string; ipv4?: boolean; ipv6?: boolean }, io: Io): Promise<number> {
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format ${JSON.stringify(opts.format)} is not a matrix format`, `use one of ${FORMATS.join(', ')} (--json is --format json)`);
  const flow = parseFlow(opts.port);
  const families = parseFamilies(opts);
  const world = await loadWorld(opts, io);
  const out = chunked(io, format !== 'text');
  const counts = { reachable: 0, blocked: 0, unknown: 0 };
  // Pieces that recur (a row's "from", a shared answer) are encoded once and copied as bytes.
  const text = new MatrixText((s) => Buffer.from(s, 'utf8'));
  let failure: string | null = null;
  let visit: (p: MatrixPair, shared: number) => void;
  if (format === 'json') {
    out.write(MatrixText.open(flow, missingParts(world)));
    const comma = Buffer.from(',');
    let first = true;
    visit = (p, shared) => {
      counts[p.verdict]++;
      if (!first) out.bytes(comma);
      first = false;
      out.bytes(text.head(p));
      out.bytes(text.tail(p, shared));
    };
  } else if (format === 'ndjson') {
    // One pair per line, nothing else: what line-oriented tools (jq -c, grep, split) want.
    visit = (p, shared) => {
      counts[p.verdict]++;
      out.bytes(text.head(p));
      out.bytes(text.tail(p, shared, '\n'));
    };
  } else {
    const st = styleFor(io);
    const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
    const w = Math.max(4, ...names.map((n) => n.length));
    out.write(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(w)}  VERDICT\n`);
    visit = (p) => {
      counts[p.verdict]++;
      const per = p.addresses.length > 1 ? `  (${p.addresses.map((a) => `${a.ip} ${a.verdict}`).join(', ')})` : '';
      out.write(`${p.from.padEnd(w)}  ${p.to.padEnd(w)}  ${st.verdict(p.verdict)}${per}\n`);
    };
  }
  try {
    const rows = pairRows(world, flow, visit, families);
    for (let r = rows.next(); !r.done; r = rows.next()) await out.drained();
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const total = counts.reachable + counts.blocked + counts.unknown;
  if (format === 'json') {
    // Whatever happened, the document is whole: the pairs so far, and the error when there was one.
    out.write(`${MatrixText.close(failure)}\n`);
  } else if (format === 'ndjson') {
    if (failure !== null) out.write(`${JSON.stringify({ error: { message: failure } })}\n`);
  } else {
    out.write(`\n${total} pairs: ${counts.reachable} reachable, ${counts.blocked} blocked, ${counts.unknown} unknown\n`);
    if (total === 0) out.write(world.hosts.some((h) => h.containers.length > 0) ? '' : 'no running containers are in view\n');
  }
  out.flush();
  if (failure !== null) {
    io.stderr(`netdiag: internal error: the matrix stopped after ${total} pairs: ${failure} (please report this bug)\n`);
    return 2;
  }
  return counts.unknown > 0 ? 3 : 0;
}
