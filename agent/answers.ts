// The agent's walks as plain questions (why, fixes, matrix, grid, cell, map, reachability): a world and a question in,
// the text that goes out. The same function answers on the walker thread and, where no thread can run, in-thread.
import type { World } from '../rules/model/types.js';
import { MatrixPair } from '../snapshot/contract.js';
import { matrixClose, matrixOpen, noPairs, textRows } from '../present/matrix-text.js';
import { adviseFixes, fixesFor } from '../rules/changes/fixes.js';
import { parseFamilies, parseFlow } from '../rules/query/flow.js';
import { missingParts } from '../rules/query/missing.js';
import { why } from '../rules/why/why.js';
import { renderMap } from '../present/map/render.js';
import { reachabilitySteps } from '../rules/metrics/host-counts.js';
import type { Reach } from '../rules/metrics/host-counts.js';
import { gridCellSteps, gridSteps } from './grid.js';
import * as S from './schemas.js';
import { HostSnapshot } from '../snapshot/host-snapshot.js';
import { collecting, runSliced } from './sliced.js';
import type { Deadline } from './sliced.js';

type Family = 'ipv4' | 'ipv6' | undefined;

/** A question the agent walks the model for; plain data, so it crosses to a worker thread as it is. */
export type WalkQuestion =
  | { kind: 'why'; from: string; to: string; port?: string | undefined; family?: Family }
  | { kind: 'fixes'; from: string; to: string; port?: string | undefined; family?: Family }
  | { kind: 'matrix'; port?: string | undefined; family?: Family }
  | { kind: 'grid'; port?: string | undefined; family?: Family }
  | { kind: 'cell'; from: string; to: string; port?: string | undefined; family?: Family }
  | { kind: 'map'; port?: string | undefined; family?: Family; format: 'svg' | 'dot' | 'mermaid' | 'json' }
  /** Not a walk, but 1 MB of JSON at 500 containers: checked against its schema and written once per refresh, off the main thread. */
  | { kind: 'snapshot'; host: number };

/** The answer's UTF-8 bytes, checked against its contract once, as it is written. */
export async function answerBytes(w: World, q: WalkQuestion, deadline?: Deadline): Promise<Uint8Array> {
  const a = await answerText(w, q, deadline);
  return typeof a === 'string' ? Buffer.from(a) : a;
}

/** The answer as text, or as bytes where it is written as bytes (the matrix). */
async function answerText(w: World, q: WalkQuestion, deadline?: Deadline): Promise<string | Buffer> {
  if (q.kind === 'snapshot') {
    const h = w.hosts[q.host];
    if (!h) throw new Error(`no host ${q.host} in this world`);
    return JSON.stringify(HostSnapshot.parse(h.snapshot));
  }
  const flow = parseFlow(q.port);
  const families = parseFamilies({ family: q.family });
  switch (q.kind) {
    case 'why': {
      const answer = why(w, q.from, q.to, flow, families);
      return JSON.stringify(S.WhyResult.parse({ ...answer, fixes: fixesFor(w, answer, flow), missing: missingParts(w) }));
    }
    case 'fixes': {
      const answer = why(w, q.from, q.to, flow, families);
      return JSON.stringify(S.FixesResult.parse({ from: answer.from.name, to: answer.to.name, verdict: answer.verdict, ...adviseFixes(w, answer, flow) }));
    }
    case 'matrix': {
      // Walked and written in slices (the deadline is checked between them). Each pair is checked against the contract
      // as it is first written (an answer per destination once), not the whole document at the end.
      const counts = noPairs();
      const rows: Buffer[] = [];
      await runSliced(collecting(textRows(w, flow, 'json', counts, families, (p) => MatrixPair.parse(p)), rows), undefined, undefined, deadline);
      // Each pair comes after a comma; the first is dropped. Bytes as written: the text is tens of MB at 500 containers,
      // and a string of it would be encoded again on its way out.
      const all = Buffer.concat(rows);
      return Buffer.concat([Buffer.from(matrixOpen(flow, missingParts(w))), all.subarray(Math.min(1, all.length)), Buffer.from(matrixClose(null))]);
    }
    case 'grid':
      return JSON.stringify(S.GridResult.parse(await runSliced(gridSteps(w, flow, families), undefined, undefined, deadline)));
    case 'cell': {
      const pairs = await runSliced(gridCellSteps(w, flow, families, q.from, q.to), undefined, undefined, deadline);
      return JSON.stringify(S.GridCellResult.parse({ flow, from: q.from, to: q.to, pairs }));
    }
    case 'map':
      // Layout is Graphviz's work (synchronous WebAssembly: seconds at 500 containers).
      return (await renderMap(w, flow, q.format, {}, families)).text;
  }
}

/** Reachability between networks for /metrics: the whole matrix, counted per network pair. */
export function reachability(w: World): Promise<Reach> {
  return runSliced(reachabilitySteps(w));
}
