// A host's iptables tables ready to walk: each rule parsed once, with a reference back to what the snapshot holds.
import type { RuleRef } from '../../snapshot/contract.js';
import type { FirewallPart } from '../../snapshot/host-snapshot.js';
import { parseRule } from '../iptables/parse.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { Match, ParsedRule } from '../iptables/ast.js';
import { PrefixMap } from '../addr/prefix-map.js';

export interface Rule {
  ref: RuleRef;
  parsed: ParsedRule;
  /** The matches in the order the walk tests them: addresses first (they rule most rules out), comments last. */
  tests: Match[];
}

// A rule's matches are a conjunction where false wins over unknown, so testing them in another order gives the
// same answer: the order only decides how soon a rule that does not apply is left (most, in a chain of pinholes).
const COST: Partial<Record<Match['kind'], number>> = { src: 0, dst: 0, proto: 1, dport: 2, sport: 2, in: 3, out: 3, ctstate: 4, comment: 9, unknown: 8 };
const testOrder = (ms: Match[]) => [...ms].sort((a, b) => (COST[a.kind] ?? 5) - (COST[b.kind] ?? 5));

export interface Chain {
  name: string;
  policy: 'ACCEPT' | 'DROP' | null;
  rules: Rule[];
  /** A long chain's rules by the address they require (see `candidates`); null for a chain short enough to scan. */
  index: ChainIndex | null;
}

interface ChainIndex {
  /** Rules every packet must be tested against: no plain -s or -d, or a rule the walk cannot read. */
  always: number[];
  /** Rule positions, in order, by the network a plain -s (or, without one, -d) requires. */
  src: PrefixMap<number[]>;
  dst: PrefixMap<number[]>;
}

/** Below this many rules a chain is scanned: the index costs more than it saves. */
const INDEX_FROM = 12;

function buildIndex(rules: Rule[]): ChainIndex | null {
  if (rules.length < INDEX_FROM) return null;
  const ix: ChainIndex = { always: [], src: new PrefixMap(), dst: new PrefixMap() };
  const add = (map: PrefixMap<number[]>, c: Cidr, pos: number) => {
    const list = map.get(c);
    if (list) list.push(pos);
    else map.set(c, [pos]);
  };
  rules.forEach((r, pos) => {
    // A rule with a plain (not negated) -s or -d matches no packet outside that network, whatever else it says:
    // false wins over unknown in a conjunction. Rules the walk cannot read stay in every walk, to be reported.
    const src = r.parsed.problems.length === 0 ? r.parsed.matches.find((m) => m.kind === 'src' && !m.neg) : undefined;
    const dst = r.parsed.problems.length === 0 && !src ? r.parsed.matches.find((m) => m.kind === 'dst' && !m.neg) : undefined;
    if (src?.kind === 'src') add(ix.src, src.cidr, pos);
    else if (dst?.kind === 'dst') add(ix.dst, dst.cidr, pos);
    else ix.always.push(pos);
  });
  return ix;
}

/**
 * The rules of `chain` a packet from `src` to `dst` can match, in the chain's order. A chain of pinholes (a
 * DOCKER-USER accept per peer host, per pair of addresses) is otherwise scanned rule by rule on every packet, and
 * the cost of a matrix or a plan's prediction grows with pairs × rules.
 */
export function candidates(chain: Chain, src: Ip, dst: Ip): Rule[] {
  const ix = chain.index;
  if (!ix) return chain.rules;
  const lists: number[][] = ix.always.length > 0 ? [ix.always] : [];
  ix.src.holding(src, lists);
  ix.dst.holding(dst, lists);
  if (lists.length === 0) return [];
  const positions = lists.length === 1 ? (lists[0] as number[]) : lists.flat().sort((a, b) => a - b);
  return positions.map((i) => chain.rules[i] as Rule);
}

export type Table = Map<string, Chain>;
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';
export type Ruleset = Map<TableName, Table>;

export function buildRuleset(host: string, fw: Pick<FirewallPart, 'tables'>): Ruleset {
  const out: Ruleset = new Map();
  for (const t of fw.tables) {
    const table: Table = new Map();
    for (const c of t.chains) {
      const rules = c.rules.map((r) => {
        const parsed = parseRule(r.text);
        return { ref: { host, table: t.name, chain: c.name, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes }, parsed, tests: testOrder(parsed.matches) };
      });
      table.set(c.name, { name: c.name, policy: c.policy, rules, index: buildIndex(rules) });
    }
    out.set(t.name as TableName, table);
  }
  return out;
}
