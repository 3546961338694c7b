// Every ordered pair of containers in view, each with a verdict per destination address. Containers that every rule
// and route treats alike share one walk per destination class, so a thousand containers do not cost a million walks.
import type { ContainerModel, World } from './model/types.js';
import { classKeys } from './classes.js';
import { qualifiedName } from './resolve.js';
import type { AddressVerdict, Flow, MatrixPair } from '../snapshot/contract.js';
import { addressVerdicts, BOTH, pairVerdict, targetsOf, verdictOfAddresses } from './verdict.js';
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

/** The containers in view, each one's class number, and the members of each class. */
function classify(world: World): { cs: ContainerModel[]; classOf: number[]; groups: ContainerModel[][] } {
  const cs = matrixContainers(world);
  const keys = classKeys(world, cs);
  const ids = new Map<string, number>();
  const groups: ContainerModel[][] = [];
  const classOf = cs.map((c) => {
    const k = keys.get(c) as string;
    let id = ids.get(k);
    if (id === undefined) {
      ids.set(k, (id = groups.length));
      groups.push([]);
    }
    (groups[id] as ContainerModel[]).push(c);
    return id;
  });
  return { cs, classOf, groups };
}

/**
 * Visit every ordered pair without keeping them: a thousand containers make a million pairs, and callers that print
 * them should not hold them all. The addresses array handed over is shared between pairs with the same answer.
 * A generator that yields after each source container's row, so a caller can let its output drain (or its event
 * loop breathe) between rows; it returns the stats. `shared` numbers the (destination, answer) the pair has: pairs
 * with the same number print the same after their "from".
 */
export function* pairRows(world: World, flow: Flow, visit: (pair: MatrixPair, shared: number) => void, families: readonly Family[] = BOTH): Generator<number, MatrixStats> {
  const { cs, classOf, groups } = classify(world);
  const n = groups.length;
  const names = cs.map((c) => qualifiedName(c, world));
  // One entry per (source class, destination class, same-class flag): the verdict for each destination address.
  const cache: (AddressVerdict[] | undefined)[] = new Array(n * n * 2);
  // Per destination, the addresses answer for each source class (shared by every pair with that answer).
  const shared: (MatrixPair['addresses'] | undefined)[][] = cs.map(() => new Array(n * 2));
  const combined: (AddressVerdict | undefined)[] = new Array(n * n * 2);
  let walks = 0;
  let count = 0;
  for (let i = 0; i < cs.length; i++) {
    const a = cs[i] as ContainerModel;
    const ca = classOf[i] as number;
    const from = names[i] as string;
    for (let j = 0; j < cs.length; j++) {
      if (i === j) continue;
      const b = cs[j] as ContainerModel;
      const cb = classOf[j] as number;
      // Two members of one class are still two different containers (a container never asks about itself).
      const key = (ca * n + cb) * 2 + (ca === cb ? 1 : 0);
      let verdicts = cache[key];
      if (!verdicts) {
        verdicts = addressVerdicts(world, a, b, flow, families);
        walks += verdicts.length;
        cache[key] = verdicts;
        combined[key] = verdictOfAddresses(b, verdicts);
      }
      const perB = shared[j] as (MatrixPair['addresses'] | undefined)[];
      const slot = ca * 2 + (ca === cb ? 1 : 0);
      let addresses = perB[slot];
      if (!addresses) {
        const vs = verdicts;
        const ips = targetsOf(b, families).map((e) => e.ipText);
        perB[slot] = addresses = ips.map((ip, k) => ({ ip, verdict: vs[k] as AddressVerdict }));
      }
      visit({ from, to: names[j] as string, verdict: combined[key] as AddressVerdict, addresses }, j * n * 2 + slot);
      count++;
    }
    yield i;
  }
  return { pairs: count, walks, classes: n };
}

/** Run a generator of steps (pairRows and walks built on it) to its end, at once: its return value. */
export function drain<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export function eachPair(world: World, flow: Flow, visit: (pair: MatrixPair, shared: number) => void, families: readonly Family[] = BOTH): MatrixStats {
  return drain(pairRows(world, flow, visit, families));
}

/**
 * Verdict counts over the pairs `include` selects, one walk per pair of classes, weighted by how many container pairs
 * each class pair stands for (what a plan's prediction needs, without visiting a quarter of a million pairs).
 */
export function countPairs(world: World, flow: Flow, include: (a: ContainerModel, b: ContainerModel) => boolean, families: readonly Family[] = BOTH): { pairs: number; counts: Record<AddressVerdict, number> } {
  const { groups } = classify(world);
  const counts = { reachable: 0, blocked: 0, unknown: 0 };
  let pairs = 0;
  for (const ga of groups) {
    for (const gb of groups) {
      const a = ga[0] as ContainerModel;
      const b = ga === gb ? ga[1] : gb[0];
      if (!b || !include(a, b)) continue;
      const n = ga === gb ? ga.length * (ga.length - 1) : ga.length * gb.length;
      const v = pairVerdict(world, a, b, flow, families);
      counts[v] += n;
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

/**
 * A matrix answer's JSON text, written a pair at a time (the same document as the contract's MatrixResult): a row's
 * "from" is encoded once, and each shared answer's tail once while it recurs. The cache is bounded: a fleet of
 * 5,000 containers has millions of distinct answers, each reused mostly within a row.
 */
export class MatrixText<T> {
  private tails = new Map<number, T>();
  private from: string | null = null;
  private headText: T | null = null;

  constructor(
    /** How the pieces are kept: as strings, or as bytes to copy. */
    private readonly encode: (text: string) => T,
    /** Called on each answer before its text is made (a check against the contract). */
    private readonly check: (p: MatrixPair) => void = () => undefined,
  ) {}

  static open(flow: Flow, missing: unknown): string {
    return `{"flow":${JSON.stringify(flow)},"missing":${JSON.stringify(missing)},"pairs":[`;
  }

  static close(error: string | null): string {
    return `]${error === null ? '' : `,"error":${JSON.stringify({ message: error })}`}}`;
  }

  head(p: MatrixPair): T {
    if (p.from !== this.from || this.headText === null) this.headText = this.encode(`{"from":${JSON.stringify((this.from = p.from))},`);
    return this.headText;
  }

  /** The rest of the pair's object; `end` follows it (a newline for ndjson). */
  tail(p: MatrixPair, shared: number, end = ''): T {
    let t = this.tails.get(shared);
    if (t === undefined) {
      this.check(p);
      if (this.tails.size >= 200_000) this.tails.clear();
      this.tails.set(shared, (t = this.encode(`"to":${JSON.stringify(p.to)},"verdict":"${p.verdict}","addresses":${JSON.stringify(p.addresses)}}${end}`)));
    }
    return t;
  }
}
