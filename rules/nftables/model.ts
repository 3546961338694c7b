// A host's native nftables tables ready to walk: base chains by hook and priority, chains, named sets and maps. The
// tables iptables-nft manages are left to the iptables model, which reads them whole from iptables-save.
import type { NftablesPart, NftChain, NftSet } from '../../snapshot/host-snapshot.js';
import type { RuleRef } from '../../snapshot/contract.js';
import { nftRuleText } from './text.js';

export interface NftRuleModel {
  ref: RuleRef;
  expr: Record<string, unknown>[];
  comment: string | null;
}

export interface NftChainModel {
  family: string;
  table: string;
  name: string;
  /** Base chains: the hook, type (filter, nat, route) and numeric priority they run at. */
  hook: string | null;
  type: string | null;
  prio: number | null;
  policy: 'accept' | 'drop' | null;
  rules: NftRuleModel[];
}

export interface NftTableModel {
  family: string;
  name: string;
  chains: Map<string, NftChainModel>;
  sets: Map<string, NftSet>;
}

export interface NftRuleset {
  tables: NftTableModel[];
  /** Base chains of the ip, ip6 and inet families, in no particular order (see `seesFamily`). */
  baseChains: NftChainModel[];
  /** Base chains with rules in families the walk does not evaluate: bridge (bridged frames), netdev (ingress). */
  unmodelled: NftChainModel[];
}

const L3_FAMILIES = new Set(['ip', 'ip6', 'inet']);

/** Whether a chain of nft family `family` sees packets of IP version `v`: ip sees IPv4, ip6 IPv6, inet both. */
export function seesFamily(family: string, v: 4 | 6): boolean {
  return family === 'inet' || family === (v === 4 ? 'ip' : 'ip6');
}

export function buildNftRuleset(host: string, part: NftablesPart): NftRuleset {
  const tables: NftTableModel[] = [];
  const native = part.tables.filter((t) => t.source === 'nft');
  for (const t of native) {
    const chains = new Map<string, NftChainModel>();
    for (const c of part.chains.filter((x: NftChain) => x.family === t.family && x.table === t.name)) {
      chains.set(c.name, { family: c.family, table: c.table, name: c.name, hook: c.hook, type: c.type, prio: c.prio, policy: c.policy, rules: [] });
    }
    for (const r of part.rules.filter((x) => x.family === t.family && x.table === t.name)) {
      const c = chains.get(r.chain);
      if (!c) continue;
      const counter = r.expr.find((e) => 'counter' in e)?.counter as { packets?: number; bytes?: number } | undefined;
      c.rules.push({ ref: { host, table: t.name, chain: r.chain, index: c.rules.length + 1, text: nftRuleText(r.expr, r.comment), packets: counter?.packets ?? 0, bytes: counter?.bytes ?? 0, family: t.family, handle: r.handle }, expr: r.expr, comment: r.comment });
    }
    tables.push({ family: t.family, name: t.name, chains, sets: new Map(part.sets.filter((s) => s.family === t.family && s.table === t.name).map((s) => [s.name, s])) });
  }
  const baseChains = tables.filter((t) => L3_FAMILIES.has(t.family)).flatMap((t) => [...t.chains.values()].filter((c) => c.hook !== null && c.prio !== null));
  const unmodelled = tables.filter((t) => t.family === 'bridge' || t.family === 'netdev').flatMap((t) => [...t.chains.values()].filter((c) => c.hook !== null && c.rules.length > 0));
  return { tables, baseChains, unmodelled };
}

export function tableOf(rs: NftRuleset, chain: NftChainModel): NftTableModel {
  return rs.tables.find((t) => t.family === chain.family && t.name === chain.table) as NftTableModel;
}
