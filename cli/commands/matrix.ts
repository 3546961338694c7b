// `netdiag matrix`: every ordered pair of containers, one verdict each (per address in JSON), streamed: a row of
// pairs at a time, waiting for the output to drain, so a million pairs never sit in memory as one document.
import { pairRows } from '../../rules/matrix/matrix.js';
import { matrixClose, matrixOpen, noPairs, rowViews } from '../../present/matrix-text.js';
import type { MatrixPair } from '../../snapshot/contract.js';
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { missingParts } from '../../rules/query/missing.js';
import { qualifiedName } from '../../rules/query/resolve.js';
import { familyName, familyWord } from '../../rules/why/verdict.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { styleFor } from '../render/style.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';
import { EXIT, answerExit } from '../exit-codes.js';

const FORMATS = ['text', 'json', 'ndjson'] as const;

const CHUNK = 1 << 16;

/**
 * The table, written in chunks of text through the terminal-safe stdout. (JSON goes out a row at a time as bytes,
 * unescaped: JSON's encoder escaped every control character already, and that scan was a third of a 100 MB matrix's
 * time.)
 */
function textWriter(io: Io): { write(s: string): void; flush(): void } {
  let parts: string[] = [];
  let size = 0;
  return {
    write(s) {
      parts.push(s);
      size += s.length;
      if (size >= CHUNK) this.flush();
    },
    flush() {
      if (size === 0) return;
      io.stdout(parts.join(''));
      parts = [];
      size = 0;
    },
  };
}

export async function matrixCommand(opts: SourceOptions & { port?: string; json?: boolean; format?: string; ipv4?: boolean; ipv6?: boolean }, io: Io): Promise<number> {
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format ${JSON.stringify(opts.format)} is not a matrix format`, `use one of ${FORMATS.join(', ')} (--json is --format json)`);
  const flow = parseFlow(opts.port);
  const families = parseFamilies(opts);
  const world = await loadWorld(opts, io);
  const counts = noPairs();
  const drained = () => io.drained?.() ?? Promise.resolve();
  let failure: string | null = null;
  const fail = (error: unknown) => {
    failure = error instanceof Error ? error.message : String(error);
  };
  const bytes = (b: Buffer) => (io.stdoutBytes ? io.stdoutBytes(b) : io.stdout(b.toString('utf8')));
  const raw = (s: string) => bytes(Buffer.from(s, 'utf8'));
  const out = textWriter(io);
  const lacking = families.map((f) => familyWord(familyName(f))).join(' or ');
  if (format === 'text') {
    const st = styleFor(io);
    const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
    const w = Math.max(4, ...names.map((n) => n.length));
    out.write(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(w)}  VERDICT\n`);
    const visit = (p: MatrixPair) => {
      counts[p.verdict]++;
      const per = p.addresses.length > 1 ? `  (${p.addresses.map((a) => `${a.ip} ${a.verdict}`).join(', ')})` : '';
      // A pair with no address of the family asked is its own mark: neither blocked nor unknown (nothing to walk).
      const cell = p.verdict === 'no-address' ? st.dim(`no ${lacking} address`) : st.verdict(p.verdict);
      out.write(`${p.from.padEnd(w)}  ${p.to.padEnd(w)}  ${cell}${per}\n`);
    };
    try {
      const rows = pairRows(world, flow, visit, families);
      for (let r = rows.next(); !r.done; r = rows.next()) {
        out.flush();
        await drained();
      }
    } catch (error) {
      fail(error);
    }
  } else {
    // Rows of pairs, each written as it is made and let drain before the next is made. In JSON each pair comes
    // after a comma: the document's first is dropped.
    if (format === 'json') raw(matrixOpen(flow, missingParts(world)));
    let first = format === 'json';
    try {
      // Each row straight from its template, the two sides of the pair towards itself; then whether stdout still
      // holds them (a pipe that did not take them all), so the template is copied before it changes.
      const rows = rowViews(world, flow, format === 'json' ? 'json' : 'ndjson', counts, families);
      for (let r = rows.next(false); !r.done; ) {
        const { bytes: b, from, to, end } = r.value;
        // The document's first comma is the row's first byte, in whichever side comes first.
        const drop = first ? 1 : 0;
        const [a0, b0] = from > 0 ? [drop, to] : [0, to + drop];
        if (from > a0) bytes(b.subarray(a0, from));
        if (end > b0) bytes(b.subarray(b0, end));
        first = false;
        const held = io.stdoutBytes ? (io.stdoutHeld?.() ?? true) : false;
        await drained();
        r = rows.next(held);
      }
    } catch (error) {
      fail(error);
    }
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (format === 'json') {
    // Whatever happened, the document is whole: the pairs so far, and the error when there was one.
    raw(`${matrixClose(failure)}\n`);
  } else if (format === 'ndjson') {
    if (failure !== null) raw(`${JSON.stringify({ error: { message: failure } })}\n`);
  } else {
    const none = counts['no-address'] > 0 ? `, ${counts['no-address']} with no ${lacking} address` : '';
    out.write(`\n${total} pairs: ${counts.reachable} reachable, ${counts.blocked} blocked, ${counts.unknown} unknown${none}\n`);
    if (total === 0) out.write(world.hosts.some((h) => h.containers.length > 0) ? '' : 'no running containers are in view\n');
  }
  out.flush();
  if (failure !== null) {
    io.stderr(`netdiag: internal error: the matrix stopped after ${total} pairs: ${failure} (please report this bug)\n`);
    return EXIT.internal;
  }
  // Blocked pairs are answers, not failures: the matrix is a yes when every pair has one.
  return answerExit(counts.unknown > 0 ? EXIT.unknown : EXIT.ok, world.hosts.map((h) => h.snapshot));
}
