// A host's iptables tables ready to walk: each rule parsed once, with a reference back to what the snapshot holds.
import type { FirewallPart } from '../../snapshot/host-snapshot.js';
import { parseRule } from '../iptables/parse.js';
import type { Match, ParsedRule } from '../iptables/ast.js';

export interface RuleRef {
  host: string;
  table: string;
  chain: string;
  /** 1-based, as `iptables -L --line-numbers` counts. */
  index: number;
  text: string;
  packets: number;
  bytes: number;
  /** nftables rules: the family and the handle that name them (`inet filter forward handle 7`). */
  family?: string;
  handle?: number;
}

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
}

export type Table = Map<string, Chain>;
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';
export type Ruleset = Map<TableName, Table>;

export function buildRuleset(host: string, fw: FirewallPart): Ruleset {
  const out: Ruleset = new Map();
  for (const t of fw.tables) {
    const table: Table = new Map();
    for (const c of t.chains) {
      table.set(c.name, {
        name: c.name,
        policy: c.policy,
        rules: c.rules.map((r) => {
          const parsed = parseRule(r.text);
          return { ref: { host, table: t.name, chain: c.name, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes }, parsed, tests: testOrder(parsed.matches) };
        }),
      });
    }
    out.set(t.name as TableName, table);
  }
  return out;
}
