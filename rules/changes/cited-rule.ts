// The rule a decision cites, found again in the model by host, rule set, table, chain and position (or nft handle):
// its parsed form and meaning, for whoever acts on a decision (fixes, doctor) without re-reading its text.
import type { Decision } from '../../snapshot/contract.js';
import type { ParsedRule } from '../iptables/ast.js';
import type { HostModel, World } from '../model/types.js';
import type { TableName } from '../netfilter/ruleset.js';
import type { NftRuleModel } from '../nftables/model.js';
import type { RuleMeaning } from '../meaning/types.js';

export type CitedRule =
  | { kind: 'iptables'; host: HostModel; table: TableName; chain: string; parsed: ParsedRule; meaning: RuleMeaning | null; ip6tables: boolean }
  /** `index`: the rule's position in its chain (0-based), where rollback puts it back. */
  | { kind: 'nft'; host: HostModel; family: string; table: string; chain: string; rule: NftRuleModel; index: number; meaning: RuleMeaning | null };

export function citedRule(world: World, d: Decision | null | undefined): CitedRule | null {
  if (!d || d.kind !== 'rule') return null;
  const host = world.hosts.find((h) => h.name === d.host);
  if (!host) return null;
  if (d.family !== undefined) {
    // nft rules are cited as table "family name" and found by handle.
    const t = host.nft?.tables.find((x) => `${x.family} ${x.name}` === d.table);
    const rules = t?.chains.get(d.chain)?.rules ?? [];
    const index = rules.findIndex((r) => r.ref.handle === d.handle);
    const rule = rules[index];
    if (!t || !rule) return null;
    return { kind: 'nft', host, family: t.family, table: t.name, chain: d.chain, rule, index, meaning: host.meanings.byRule.get(rule.ref) ?? null };
  }
  const rs = d.ip6tables ? host.ruleset6 : host.ruleset;
  const table = d.table as TableName;
  const rule = rs?.get(table)?.get(d.chain)?.rules.find((r) => r.ref.index === d.index);
  if (!rule) return null;
  return { kind: 'iptables', host, table, chain: d.chain, parsed: rule.parsed, meaning: host.meanings.byRule.get(rule.ref) ?? null, ip6tables: d.ip6tables === true };
}
