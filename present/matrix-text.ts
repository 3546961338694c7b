// The matrix as JSON text for programs (matrix --json/--ndjson, GET /v1/matrix): rows of bytes made from per-class templates.
import { PairVerdict } from '../snapshot/contract.js';
import type { AddressVerdict, Flow, MatrixPair } from '../snapshot/contract.js';
import type { Family } from '../rules/addr/addr.js';
import type { World } from '../rules/model/types.js';
import { ClassPairs } from '../rules/matrix/matrix.js';
import type { MatrixStats } from '../rules/matrix/matrix.js';
import { qualifiedName } from '../rules/query/resolve.js';
import { BOTH } from '../rules/why/verdict.js';

/** A count per pair verdict, all zero: made from the contract's list, so a new verdict is counted everywhere at once. */
export function noPairs(): Record<PairVerdict, number> {
  return Object.fromEntries(PairVerdict.options.map((v) => [v, 0])) as Record<PairVerdict, number>;
}

/** A source class's row: every destination's pair, each behind a gap that holds the current row's head. */
interface RowTemplate {
  cls: number;
  /** The pairs' bytes: entry j (the pair towards destination j) is bytes at[j] to at[j + 1], its gap first. */
  bytes: Buffer;
  /** The allocation `bytes` begins, to be built in again once no row is held in it. */
  whole: Buffer;
  at: Int32Array;
  /** Where each gap starts (entries that are not empty). */
  gaps: Int32Array;
  /** What the gaps hold now: ("," and) a row's head. */
  gap: Buffer;
  /** Each entry's answer (-1: no entry), to tell which entries the next class's template can copy as they are. */
  ids: Int32Array;
  /** Each entry's class pair (its verdict is the matrix's). */
  keys: Int32Array;
  counts: Record<PairVerdict, number>;
}

/**
 * The matrix as JSON text, a source container's row at a time, as bytes: the pairs of the contract's MatrixResult,
 * one per line (ndjson) or each after a comma (json: the document's first comma is the caller's to drop).
 *
 * A fleet of 5,000 containers has 25 million pairs, and making and encoding each was most of its time. A pair is a
 * head (its row's "from") and a tail (the rest), and a tail depends only on the destination and its answer. So each
 * source class has one row template of tails with a gap before each, and a row is the template with its head in the
 * gaps — only the bytes where this head differs from the last row's are written (c0-1 → c0-2: one per pair) — then
 * copied out whole, without the pair towards itself.
 */
export function* textRows(world: World, flow: Flow, format: 'json' | 'ndjson', counts: Record<PairVerdict, number>, families: readonly Family[] = BOTH, check: (p: MatrixPair) => void = () => undefined): Generator<Buffer, MatrixStats> {
  const views = rowViews(world, flow, format, counts, families, check);
  for (let r = views.next(false); ; r = views.next(false)) {
    if (r.done) return r.value;
    const { bytes, from, to, end } = r.value;
    const row = Buffer.allocUnsafe(end - (to - from));
    bytes.copy(row, 0, 0, from);
    bytes.copy(row, from, to, end);
    yield row;
  }
}

/**
 * Entries j to k of the last template (positions `from`) moved by `shift` into `at`, and the gaps of those that are
 * entries written from `g` on: the next gap's index. A plain function, so that it is optimised as one.
 */
function shifted(from: Int32Array, at: Int32Array, ids: Int32Array, gaps: Int32Array, j: number, k: number, shift: number, g: number): number {
  for (let e = j; e < k; e++) {
    const p = (from[e] as number) + shift;
    at[e] = p;
    if ((ids[e] as number) >= 0) gaps[g++] = p;
  }
  return g;
}

/** Byte `b` written at offset k of every gap: a row's head where it differs from the last row's. */
function patch(bytes: Buffer, gaps: Int32Array, k: number, b: number): void {
  for (let e = 0; e < gaps.length; e++) bytes[(gaps[e] as number) + k] = b;
}

/** A row as it lies in its template: bytes [0, from) and [to, end), without the pair towards itself in between. */
export interface RowView {
  bytes: Buffer;
  from: number;
  to: number;
  end: number;
}

/**
 * The rows of textRows without copying them out: each view is good until the next is asked for, and the caller
 * says with next(held) whether it still holds the last one's bytes (a write not yet handed to the OS), so that the
 * template is copied before it changes. Written straight from the template, a 25-million-pair fleet's 2.9 GB are
 * never copied in process, nor left behind a row at a time for the collector.
 */
export function* rowViews(world: World, flow: Flow, format: 'json' | 'ndjson', counts: Record<PairVerdict, number>, families: readonly Family[] = BOTH, check: (p: MatrixPair) => void = () => undefined): Generator<RowView, MatrixStats, boolean> {
  const m = new ClassPairs(world, flow, families);
  const { cs, n } = m;
  const names = cs.map((c) => qualifiedName(c, world));
  const quoted = names.map((x) => JSON.stringify(x));
  // Answers with the same verdicts are one answer: its number, per class pair.
  const answerIds = new Map<string, number>();
  const answerOf: (number | undefined)[] = new Array(n * n * 2);
  /** Per destination, its pair's tail per answer (answers are numbered from 0, and few). */
  const tails: (Buffer | undefined)[][] = cs.map(() => []);
  const end = format === 'ndjson' ? '\n' : '';
  // Class pairs answered by one walk share its verdicts array: its answer is found by the array first (a fleet has
  // a quarter of a million class pairs and a few thousand walks), by the text only for a new array.
  const answerOfVerdicts = new Map<AddressVerdict[], Map<PairVerdict | undefined, number>>();
  const answerOfKey = (key: number): number => {
    let id = answerOf[key];
    if (id === undefined) {
      const vs = m.verdicts[key] as AddressVerdict[];
      let byCombined = answerOfVerdicts.get(vs);
      if (!byCombined) answerOfVerdicts.set(vs, (byCombined = new Map()));
      id = byCombined.get(m.combined[key]);
      if (id === undefined) {
        const text = `${m.combined[key]}|${vs.join(',')}`;
        id = answerIds.get(text);
        if (id === undefined) answerIds.set(text, (id = answerIds.size));
        byCombined.set(m.combined[key], id);
      }
      answerOf[key] = id;
    }
    return id;
  };
  const tailOf = (i: number, j: number, key: number, id: number): Buffer => {
    const perB = tails[j] as (Buffer | undefined)[];
    let t = perB[id];
    if (t === undefined) {
      const pair: MatrixPair = { from: names[i] as string, to: names[j] as string, verdict: m.combined[key] as PairVerdict, addresses: m.addresses(key, j) };
      check(pair);
      perB[id] = t = Buffer.from(`"to":${quoted[j]},"verdict":"${pair.verdict}","addresses":${JSON.stringify(pair.addresses)}}${end}`, 'utf8');
    }
    return t;
  };
  /** A template's allocation that no row is held in any more. */
  let spare: Buffer | null = null;
  /** The arrays of the last template given up, for the next one. */
  let pool: { ids: Int32Array; keys: Int32Array; at: Int32Array; gaps: Int32Array } | null = null;
  /** Each container's class, as a typed array: read 25 million times in a fleet's rows. */
  const classOf = Int32Array.from(m.classOf);
  const classKey = new Int32Array(n);
  const classAnswer = new Int32Array(n);
  /**
   * The template for i's class. From the last class's template (`prev`, whose gaps hold `gap`), entries whose answer
   * is the same are copied in runs: a fleet's next class differs only towards its own host's containers.
   *
   * Answers are worked out per destination class (towards another class every member answers as the first), then
   * spread over the members with typed arrays only: a fleet's 500 templates of 5,000 entries each ask for 250,000
   * class pairs, not 2.5 million entries' worth of lookups.
   */
  const build = (i: number, gap: Buffer, prev: RowTemplate | null): RowTemplate => {
    const ca = classOf[i] as number;
    // The arrays of a template that is gone (the previous one's are read below), else new ones.
    const ids = pool?.ids ?? new Int32Array(cs.length);
    const keys = pool?.keys ?? new Int32Array(cs.length);
    const at = pool?.at ?? new Int32Array(cs.length + 1);
    const gaps = pool?.gaps ?? new Int32Array(cs.length);
    pool = null;
    /** Entries per answer, then per verdict (an answer has one). */
    const perAnswer: number[] = [];
    const verdictOf: PairVerdict[] = [];
    const mine = m.members[ca] as number[];
    // Towards the class's own members: one class pair (two members of one class), asked in the order the entries
    // come, as the entries did: the first member's entry is what another member gets towards it.
    let ownKey = -1;
    let ownId = -1;
    if (mine.length > 1) {
      const first = mine[0] as number;
      ownKey = first === i ? m.key(mine[1] as number, i) : m.key(i, first);
      ownId = answerOfKey(ownKey);
      verdictOf[ownId] = m.combined[ownKey] as PairVerdict;
      perAnswer[ownId] = mine.length;
    }
    for (let cb = 0; cb < n; cb++) {
      if (cb === ca) continue;
      // Classes are numbered in order of their first member, so this asks class pairs in the order entries come.
      const group = m.members[cb] as number[];
      const key = m.key(i, group[0] as number);
      const id = answerOfKey(key);
      classKey[cb] = key;
      classAnswer[cb] = id;
      verdictOf[id] = m.combined[key] as PairVerdict;
      perAnswer[id] = (perAnswer[id] ?? 0) + group.length;
    }
    if (mine.length > 1) {
      classKey[ca] = ownKey;
      classAnswer[ca] = ownId;
    } else {
      classKey[ca] = -1;
      classAnswer[ca] = -1;
    }
    // An entry's tail, made the first time: its pair as from i (from the class's other member towards i itself).
    const other = mine.length > 1 ? (mine[0] === i ? (mine[1] as number) : (mine[0] as number)) : i;
    const tailAt = (j: number, id: number): Buffer => (tails[j] as (Buffer | undefined)[])[id] ?? tailOf(j === i ? other : i, j, keys[j] as number, id);
    const gapLength = gap.length;
    let size = 0;
    let entries = 0;
    for (let j = 0; j < cs.length; j++) {
      const cb = classOf[j] as number;
      const id = classAnswer[cb] as number;
      ids[j] = id;
      keys[j] = classKey[cb] as number;
      if (id < 0) continue;
      entries++;
      // An entry as it was in the last template is as long as it was there (the same gap, the same tail).
      size += prev !== null && prev.ids[j] === id ? (prev.at[j + 1] as number) - (prev.at[j] as number) : gapLength + tailAt(j, id).length;
    }
    const rowCounts = noPairs();
    perAnswer.forEach((k, id) => (rowCounts[verdictOf[id] as PairVerdict] += k));
    // In the buffer of a template no row is held in any more, when it is large enough: a fleet changes class 500 times.
    const whole = spare !== null && spare.length >= size ? spare : Buffer.allocUnsafe(size);
    spare = null;
    const bytes = whole.subarray(0, size);
    let pos = 0;
    let g = 0;
    for (let j = 0; j < cs.length; ) {
      if (prev && prev.ids[j] === ids[j]) {
        // A run of entries as they were: one copy, then their positions shifted.
        let k = j;
        while (k < cs.length && prev.ids[k] === ids[k]) k++;
        const shift = pos - (prev.at[j] as number);
        prev.bytes.copy(bytes, pos, prev.at[j] as number, prev.at[k] as number);
        g = shifted(prev.at, at, ids, gaps, j, k, shift, g);
        pos = (prev.at[k] as number) + shift;
        j = k;
        continue;
      }
      at[j] = pos;
      const id = ids[j] as number;
      if (id >= 0) {
        gaps[g++] = pos;
        pos += gap.copy(bytes, pos);
        pos += tailAt(j, id).copy(bytes, pos);
      }
      j++;
    }
    at[cs.length] = pos;
    return { cls: ca, whole, bytes, at, gaps: gaps.subarray(0, entries), gap, ids, keys, counts: rowCounts };
  };
  // Kept for the class and head length the rows are at (a host's containers come together, and so mostly do a
  // class's members).
  let t: RowTemplate | null = null;
  /** Whether the caller still holds the last row's bytes: then its template is not changed in place nor built in. */
  let held = false;
  const retire = (old: RowTemplate | null) => {
    if (old === null) return;
    if (!held) spare = old.whole;
    pool = { ids: old.ids, keys: old.keys, at: old.at, gaps: new Int32Array(old.gaps.buffer, old.gaps.byteOffset, cs.length) };
  };
  let pairs = 0;
  for (let i = 0; i < cs.length && cs.length > 1; i++) {
    const gap = Buffer.from(`${format === 'json' ? ',' : ''}{"from":${quoted[i]},`, 'utf8');
    if (t === null || t.gap.length !== gap.length) {
      retire(t);
      t = build(i, gap, null);
    } else if (t.cls !== classOf[i]) {
      const prev: RowTemplate = t;
      t = build(i, t.gap, prev);
      retire(prev);
    } else if (held && !t.gap.equals(gap)) {
      // The last row is still on its way out of this template: the next one is written in a copy.
      t.whole = t.bytes = Buffer.from(t.bytes);
    }
    if (!t.gap.equals(gap)) {
      const { bytes, gaps } = t;
      for (let k = 0; k < gap.length; k++) {
        const b = gap[k] as number;
        if (b === t.gap[k]) continue;
        patch(bytes, gaps, k, b);
      }
    }
    t.gap = gap;
    for (const k of PairVerdict.options) counts[k] += t.counts[k];
    if ((t.ids[i] as number) >= 0) counts[m.combined[t.keys[i] as number] as PairVerdict]--;
    pairs += cs.length - 1;
    held = yield { bytes: t.bytes, from: t.at[i] as number, to: t.at[i + 1] as number, end: t.bytes.length };
  }
  return { pairs, walks: m.walks, classes: n };
}

/** The JSON document's text before its pairs (the contract's MatrixResult). */
export function matrixOpen(flow: Flow, missing: unknown): string {
  return `{"flow":${JSON.stringify(flow)},"missing":${JSON.stringify(missing)},"pairs":[`;
}

/** The JSON document's text after its pairs, with the error that cut it short, if one did. */
export function matrixClose(error: string | null): string {
  return `]${error === null ? '' : `,"error":${JSON.stringify({ message: error })}`}}`;
}
