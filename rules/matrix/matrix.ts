// Every ordered pair of containers in view, each with a verdict per destination address. Containers that every rule
// and route treats alike share one walk per destination class, so a thousand containers do not cost a million walks.
import type { ContainerModel, World } from '../model/types.js';
import { classKeys, HostSignatures } from './classes.js';
import { partition } from './partition.js';
import { qualifiedName } from '../query/resolve.js';
import type { AddressVerdict, Flow, MatrixPair, PairVerdict } from '../../snapshot/contract.js';
import { addressWalks, BOTH, lacksFamily, sendable, targetsOf, verdictOfAddresses } from '../why/verdict.js';
import type { Family, Ip } from '../addr/addr.js';

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

/** A list of families as a number below 4, to keep answers by. */
const familiesCode = (fams: readonly Family[]): number => (fams.includes(4) ? 1 : 0) + (fams.includes(6) ? 2 : 0);

/** The walks of a matrix, one per (source class, destination class, same-class flag), made when first asked. */
export class ClassPairs {
  readonly cs: ContainerModel[];
  readonly classOf: number[];
  /** Each class's members, as positions in `cs`. */
  readonly members: number[][];
  readonly n: number;
  /** Per class pair: the verdict for each of the destination's addresses, and their combination. */
  readonly verdicts: (AddressVerdict[] | undefined)[];
  readonly combined: (PairVerdict | undefined)[];
  /** Per class pair: the families walked (those asked that the source can send in). */
  private readonly walked: (readonly Family[] | undefined)[];
  walks = 0;
  private readonly signatures = new HostSignatures();
  /** Signatures as numbers, by their text: what the local answers below are kept by. */
  private readonly signatureIds = new Map<string, number>();
  /**
   * A destination class's signature on a host, per families walked (by host, then class and families): a class
   * pair's walk is computed with the class's first member, so one signature per host serves every class there.
   */
  private readonly signatureOf = new Map<ContainerModel['host'], Int32Array>();
  /**
   * Per families and container: the addresses a signature is of (every host asks them of each class's first member:
   * a fleet's 100 hosts × 500 classes would list them 50,000 times).
   */
  private readonly ipsOf: Map<ContainerModel, Ip[]>[] = [];
  /** Verdicts of walks that stayed on the source's host, by source class and the destination's signature there. */
  private readonly local: Map<number, AddressVerdict[]>[] = [];
  /** Per class: the families it can send in (a class's members hold addresses of the same families, in order). */
  private readonly sendableOf: Family[][] = [];
  /** Per class and families: whether it has no address of them. */
  private readonly lacking: boolean[] = [];

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
    this.walked = new Array(this.n * this.n * 2);
  }

  /** The key of the class pair of containers i and j (two members of one class are still two containers). */
  key(i: number, j: number): number {
    const ca = this.classOf[i] as number;
    const cb = this.classOf[j] as number;
    const key = (ca * this.n + cb) * 2 + (ca === cb ? 1 : 0);
    if (!this.verdicts[key]) {
      const a = this.cs[i] as ContainerModel;
      const b = this.cs[j] as ContainerModel;
      // A's class decides which families it can send in.
      const fams = (this.sendableOf[ca] ??= sendable(a, this.families));
      // A pair with no family in common has nothing to walk: its own answer, neither blocked nor unknown (as
      // noCommonFamily says, asked once per class).
      if (this.lacks(cb, b, this.families) || fams.length === 0 || this.lacks(cb, b, fams)) {
        this.verdicts[key] = [];
        this.walked[key] = [];
        this.combined[key] = 'no-address';
        return key;
      }
      this.walked[key] = fams;
      // Towards another host's container, a walk that never looked past A's host answers for every destination
      // that host sees alike (see HostSignatures).
      const local = a.host !== b.host ? (this.local[ca] ??= new Map()) : null;
      const signature = local === null ? -1 : this.signatureAt(a.host, cb, b, fams);
      let vs = local?.get(signature);
      if (!vs) {
        const walked = addressWalks(this.world, a, b, this.flow, fams);
        vs = walked.map((w) => w.outcome);
        this.walks += vs.length;
        if (local !== null && !walked.some((w) => w.beyond)) local.set(signature, vs);
      }
      this.verdicts[key] = vs;
      this.combined[key] = verdictOfAddresses(b, vs);
    }
    return key;
  }

  /** Whether class `cb` (of which b is a member) has no address of the families. */
  private lacks(cb: number, b: ContainerModel, fams: readonly Family[]): boolean {
    const at = cb * 4 + familiesCode(fams);
    return (this.lacking[at] ??= lacksFamily(b, fams));
  }

  /** The number of class `cb`'s signature on host h (b its first member), for the families walked. */
  private signatureAt(h: ContainerModel['host'], cb: number, b: ContainerModel, fams: readonly Family[]): number {
    let perClass = this.signatureOf.get(h);
    // A typed array per host (-1: not asked yet): a fleet asks 100 hosts about 500 classes each.
    if (!perClass) this.signatureOf.set(h, (perClass = new Int32Array(this.n * 4).fill(-1)));
    const at = cb * 4 + familiesCode(fams);
    let id = perClass[at] as number;
    if (id < 0) {
      const code = familiesCode(fams);
      const ipsOf = (this.ipsOf[code] ??= new Map());
      let ips = ipsOf.get(b);
      if (!ips) ipsOf.set(b, (ips = targetsOf(b, fams).map((e) => e.ip)));
      const text = this.signatures.of(h, ips);
      let known = this.signatureIds.get(text);
      if (known === undefined) this.signatureIds.set(text, (known = this.signatureIds.size));
      perClass[at] = id = known;
    }
    return id;
  }

  /** The pair's per-address answer, as the contract has it: B's addresses with the class pair's verdicts. */
  addresses(key: number, j: number): MatrixPair['addresses'] {
    const vs = this.verdicts[key] as AddressVerdict[];
    return targetsOf(this.cs[j] as ContainerModel, this.walked[key] as readonly Family[]).map((e, k) => ({ ip: e.ipText, verdict: vs[k] as AddressVerdict }));
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
      visit({ from, to: names[j] as string, verdict: m.combined[key] as PairVerdict, addresses });
      count++;
    }
    yield i;
  }
  return { pairs: count, walks: m.walks, classes: n };
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
      const v = m.combined[m.key(i, j)] as PairVerdict;
      // A pair with no address of the family asked has no packet: it is counted as none of them.
      if (v === 'no-address') continue;
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
