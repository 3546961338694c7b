// Every ordered pair of containers in view, each with a verdict per destination address. Containers that every rule
// and route treats alike share one walk per destination class, so a thousand containers do not cost a million walks.
import type { ContainerModel, World } from './model/types.js';
import { classKeys, HostSignatures } from './classes.js';
import { partition } from './partition.js';
import { qualifiedName } from './resolve.js';
import type { AddressVerdict, Flow, MatrixPair } from '../snapshot/contract.js';
import { addressWalks, BOTH, targetsOf, verdictOfAddresses } from './verdict.js';
import type { Family } from './iptables/addr.js';

export type { MatrixPair };

export interface MatrixStats {
  pairs: number;
  walks: number;
  classes: number;
}

/** Every running container in view; those whose namespace was not read are in too, their pairs unknown and said why. */
export function matrixContainers(world: World): ContainerModel[] {
  return world.hosts.flatMap((h) => h.containers);
}

/** The containers in view, each one's class number, and each class's members (positions in the list). */
function classify(world: World): { cs: ContainerModel[]; classOf: number[]; members: number[][] } {
  const cs = matrixContainers(world);
  const keys = classKeys(world, cs);
  const { partOf: classOf, members } = partition(cs, (c) => keys.get(c) as string);
  return { cs, classOf, members };
}

/** The walks of a matrix, one per (source class, destination class, same-class flag), made when first asked. */
class ClassPairs {
  readonly cs: ContainerModel[];
  readonly classOf: number[];
  /** Each class's members, as positions in `cs`. */
  readonly members: number[][];
  readonly n: number;
  /** Per class pair: the verdict for each of the destination's addresses, and their combination. */
  readonly verdicts: (AddressVerdict[] | undefined)[];
  readonly combined: (AddressVerdict | undefined)[];
  walks = 0;
  private readonly signatures = new HostSignatures();
  /** Verdicts of walks that stayed on the source's host, by source class and the destination's signature there. */
  private readonly local = new Map<string, AddressVerdict[]>();

  constructor(
    readonly world: World,
    readonly flow: Flow,
    readonly families: readonly Family[],
  ) {
    const { cs, classOf, members } = classify(world);
    this.cs = cs;
    this.classOf = classOf;
    this.members = members;
    this.n = members.length;
    this.verdicts = new Array(this.n * this.n * 2);
    this.combined = new Array(this.n * this.n * 2);
  }

  /** The key of the class pair of containers i and j (two members of one class are still two containers). */
  key(i: number, j: number): number {
    const ca = this.classOf[i] as number;
    const cb = this.classOf[j] as number;
    const key = (ca * this.n + cb) * 2 + (ca === cb ? 1 : 0);
    if (!this.verdicts[key]) {
      const a = this.cs[i] as ContainerModel;
      const b = this.cs[j] as ContainerModel;
      // Towards another host's container, a walk that never looked past A's host answers for every destination
      // that host sees alike (see HostSignatures).
      const local = a.host !== b.host ? `${ca}#${this.signatures.of(a.host, targetsOf(b, this.families).map((e) => e.ip))}` : null;
      let vs = local === null ? undefined : this.local.get(local);
      if (!vs) {
        const walked = addressWalks(this.world, a, b, this.flow, this.families);
        vs = walked.map((w) => w.outcome);
        this.walks += vs.length;
        if (local !== null && !walked.some((w) => w.beyond)) this.local.set(local, vs);
      }
      this.verdicts[key] = vs;
      this.combined[key] = verdictOfAddresses(b, vs);
    }
    return key;
  }

  /** The pair's per-address answer, as the contract has it: B's addresses with the class pair's verdicts. */
  addresses(key: number, j: number): MatrixPair['addresses'] {
    const vs = this.verdicts[key] as AddressVerdict[];
    return targetsOf(this.cs[j] as ContainerModel, this.families).map((e, k) => ({ ip: e.ipText, verdict: vs[k] as AddressVerdict }));
  }
}

/**
 * Visit every ordered pair without keeping them: a thousand containers make a million pairs, and callers that print
 * them should not hold them all. The addresses array handed over is shared between pairs with the same answer.
 * A generator that yields after each source container's row, so a caller can let its output drain (or its event
 * loop breathe) between rows; it returns the stats.
 */
export function* pairRows(world: World, flow: Flow, visit: (pair: MatrixPair) => void, families: readonly Family[] = BOTH): Generator<number, MatrixStats> {
  const m = new ClassPairs(world, flow, families);
  const { cs, n } = m;
  const names = cs.map((c) => qualifiedName(c, world));
  // Per destination, the addresses answer for each source class (shared by every pair with that answer).
  const shared: (MatrixPair['addresses'] | undefined)[][] = cs.map(() => new Array(n * 2));
  let count = 0;
  for (let i = 0; i < cs.length; i++) {
    const from = names[i] as string;
    const ca = m.classOf[i] as number;
    for (let j = 0; j < cs.length; j++) {
      if (i === j) continue;
      const key = m.key(i, j);
      const perB = shared[j] as (MatrixPair['addresses'] | undefined)[];
      const slot = ca * 2 + (key & 1);
      const addresses = (perB[slot] ??= m.addresses(key, j));
      visit({ from, to: names[j] as string, verdict: m.combined[key] as AddressVerdict, addresses });
      count++;
    }
    yield i;
  }
  return { pairs: count, walks: m.walks, classes: n };
}

/** A source class's row: every destination's pair, each behind a gap that holds the current row's head. */
interface RowTemplate {
  cls: number;
  /** The pairs' bytes: entry j (the pair towards destination j) is bytes at[j] to at[j + 1], its gap first. */
  bytes: Buffer;
  at: Int32Array;
  /** Where each gap starts (entries that are not empty). */
  gaps: Int32Array;
  /** What the gaps hold now: ("," and) a row's head. */
  gap: Buffer;
  /** Each entry's answer (-1: no entry), to tell which entries the next class's template can copy as they are. */
  ids: Int32Array;
  /** Each entry's class pair (its verdict is the matrix's). */
  keys: Int32Array;
  counts: Record<AddressVerdict, number>;
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
export function* textRows(world: World, flow: Flow, format: 'json' | 'ndjson', counts: Record<AddressVerdict, number>, families: readonly Family[] = BOTH, check: (p: MatrixPair) => void = () => undefined): Generator<Buffer, MatrixStats> {
  const m = new ClassPairs(world, flow, families);
  const { cs, n } = m;
  const names = cs.map((c) => qualifiedName(c, world));
  const quoted = names.map((x) => JSON.stringify(x));
  // Answers with the same verdicts are one answer: its number, per class pair.
  const answerIds = new Map<string, number>();
  const answerOf: (number | undefined)[] = new Array(n * n * 2);
  const tails: Map<number, Buffer>[] = cs.map(() => new Map());
  const end = format === 'ndjson' ? '\n' : '';
  const answerOfKey = (key: number): number => {
    let id = answerOf[key];
    if (id === undefined) {
      const text = `${m.combined[key]}|${(m.verdicts[key] as AddressVerdict[]).join(',')}`;
      id = answerIds.get(text);
      if (id === undefined) answerIds.set(text, (id = answerIds.size));
      answerOf[key] = id;
    }
    return id;
  };
  const tailOf = (i: number, j: number, key: number, id: number): Buffer => {
    const perB = tails[j] as Map<number, Buffer>;
    let t = perB.get(id);
    if (t === undefined) {
      const pair: MatrixPair = { from: names[i] as string, to: names[j] as string, verdict: m.combined[key] as AddressVerdict, addresses: m.addresses(key, j) };
      check(pair);
      perB.set(id, (t = Buffer.from(`"to":${quoted[j]},"verdict":"${pair.verdict}","addresses":${JSON.stringify(pair.addresses)}}${end}`, 'utf8')));
    }
    return t;
  };
  /**
   * The template for i's class. From the last class's template (`prev`, whose gaps hold `gap`), entries whose answer
   * is the same are copied in runs: a fleet's next class differs only towards its own host's containers.
   */
  const build = (i: number, gap: Buffer, prev: RowTemplate | null): RowTemplate => {
    const ca = m.classOf[i] as number;
    const ids = new Int32Array(cs.length);
    const keys = new Int32Array(cs.length);
    const sources = new Int32Array(cs.length);
    const rowCounts = { reachable: 0, blocked: 0, unknown: 0 };
    let size = 0;
    let entries = 0;
    for (let j = 0; j < cs.length; j++) {
      // The entry for i itself serves the class's other members: what another member gets towards i.
      const a = j === i ? m.members[ca]?.find((k) => k !== i) : i;
      if (a === undefined) {
        ids[j] = -1;
        continue;
      }
      const key = m.key(a, j);
      const id = answerOfKey(key);
      ids[j] = id;
      keys[j] = key;
      sources[j] = a;
      size += gap.length + tailOf(a, j, key, id).length;
      entries++;
      rowCounts[m.combined[key] as AddressVerdict]++;
    }
    const bytes = Buffer.allocUnsafe(size);
    const at = new Int32Array(cs.length + 1);
    const gaps = new Int32Array(entries);
    let pos = 0;
    let g = 0;
    for (let j = 0; j < cs.length; ) {
      if (prev && prev.ids[j] === ids[j]) {
        // A run of entries as they were: one copy, then their positions shifted.
        let k = j;
        while (k < cs.length && prev.ids[k] === ids[k]) k++;
        const shift = pos - (prev.at[j] as number);
        prev.bytes.copy(bytes, pos, prev.at[j] as number, prev.at[k] as number);
        for (let e = j; e < k; e++) {
          at[e] = (prev.at[e] as number) + shift;
          if ((ids[e] as number) >= 0) gaps[g++] = at[e] as number;
        }
        pos = (prev.at[k] as number) + shift;
        j = k;
        continue;
      }
      at[j] = pos;
      if ((ids[j] as number) >= 0) {
        gaps[g++] = pos;
        pos += gap.copy(bytes, pos);
        pos += tailOf(sources[j] as number, j, keys[j] as number, ids[j] as number).copy(bytes, pos);
      }
      j++;
    }
    at[cs.length] = pos;
    return { cls: ca, bytes, at, gaps, gap, ids, keys, counts: rowCounts };
  };
  // Kept for the class and head length the rows are at (a host's containers come together, and so mostly do a
  // class's members).
  let t: RowTemplate | null = null;
  let pairs = 0;
  for (let i = 0; i < cs.length && cs.length > 1; i++) {
    const gap = Buffer.from(`${format === 'json' ? ',' : ''}{"from":${quoted[i]},`, 'utf8');
    if (t === null || t.gap.length !== gap.length) t = build(i, gap, null);
    else if (t.cls !== m.classOf[i]) t = build(i, t.gap, t);
    if (t.gap !== gap) {
      const { bytes, gaps } = t;
      for (let k = 0; k < gap.length; k++) {
        const b = gap[k] as number;
        if (b === t.gap[k]) continue;
        for (let e = 0; e < gaps.length; e++) bytes[(gaps[e] as number) + k] = b;
      }
      t.gap = gap;
    }
    const from = t.at[i] as number;
    const to = t.at[i + 1] as number;
    const row = Buffer.allocUnsafe(t.bytes.length - (to - from));
    t.bytes.copy(row, 0, 0, from);
    t.bytes.copy(row, from, to);
    for (const k of ['reachable', 'blocked', 'unknown'] as const) counts[k] += t.counts[k];
    if ((t.ids[i] as number) >= 0) counts[m.combined[t.keys[i] as number] as AddressVerdict]--;
    pairs += cs.length - 1;
    yield row;
  }
  return { pairs, walks: m.walks, classes: n };
}

/** Run a generator of steps (pairRows and walks built on it) to its end, at once: its return value. */
export function drain<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export function eachPair(world: World, flow: Flow, visit: (pair: MatrixPair) => void, families: readonly Family[] = BOTH): MatrixStats {
  return drain(pairRows(world, flow, visit, families));
}

/** How many pairs, and how many of them got each verdict. */
export interface PairCounts {
  pairs: number;
  counts: Record<AddressVerdict, number>;
}

/**
 * Verdict counts over the pairs `include` selects, one walk per pair of classes, weighted by how many container pairs
 * each class pair stands for (what a plan's prediction needs, without visiting a quarter of a million pairs).
 */
export function countPairs(world: World, flow: Flow, include: (a: ContainerModel, b: ContainerModel) => boolean, families: readonly Family[] = BOTH): PairCounts {
  const m = new ClassPairs(world, flow, families);
  const counts = { reachable: 0, blocked: 0, unknown: 0 };
  let pairs = 0;
  for (const ga of m.members) {
    for (const gb of m.members) {
      const i = ga[0] as number;
      const j = ga === gb ? ga[1] : gb[0];
      if (j === undefined || !include(m.cs[i] as ContainerModel, m.cs[j] as ContainerModel)) continue;
      const n = ga === gb ? ga.length * (ga.length - 1) : ga.length * gb.length;
      counts[m.combined[m.key(i, j)] as AddressVerdict] += n;
      pairs += n;
    }
  }
  return { pairs, counts };
}

export function matrix(world: World, flow: Flow, stats?: MatrixStats, families: readonly Family[] = BOTH): MatrixPair[] {
  const pairs: MatrixPair[] = [];
  const s = eachPair(world, flow, (p) => pairs.push(p), families);
  if (stats) Object.assign(stats, s);
  return pairs;
}

/** The JSON document's text before its pairs (the contract's MatrixResult). */
export function matrixOpen(flow: Flow, missing: unknown): string {
  return `{"flow":${JSON.stringify(flow)},"missing":${JSON.stringify(missing)},"pairs":[`;
}

/** The JSON document's text after its pairs, with the error that cut it short, if one did. */
export function matrixClose(error: string | null): string {
  return `]${error === null ? '' : `,"error":${JSON.stringify({ message: error })}`}}`;
}
