// Pure parser for `nft -j list ruleset` (libnftables-json, schema version 1): tables, chains, rules, sets and maps,
// each table marked as iptables-nft's or native.
import { z } from 'zod';
import type { NftablesPart } from '../snapshot/host-snapshot.js';
import { NftFamily } from '../snapshot/host-snapshot.js';
import { ParseError } from './iproute-json.js';

const Table = z.looseObject({ family: NftFamily, name: z.string(), handle: z.number().int() });
const Chain = z.looseObject({ family: NftFamily, table: z.string(), name: z.string(), handle: z.number().int(), type: z.string().optional(), hook: z.string().optional(), prio: z.number().int().optional(), policy: z.enum(['accept', 'drop']).optional() });
const Rule = z.looseObject({ family: NftFamily, table: z.string(), chain: z.string(), handle: z.number().int(), comment: z.string().optional(), expr: z.array(z.record(z.string(), z.unknown())).default([]) });
const SetLike = z.looseObject({ family: NftFamily, table: z.string(), name: z.string(), type: z.union([z.string(), z.array(z.string())]), map: z.string().optional(), flags: z.array(z.string()).default([]), elem: z.array(z.unknown()).default([]) });
const Ruleset = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

/** The tables iptables-nft creates, each with chains named as iptables' built-in ones (upper case). */
const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const BUILTINS = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);

export function parseNftJson(text: string): NftablesPart {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ParseError(`nft -j list ruleset printed output that is not JSON (${JSON.stringify(text.slice(0, 40))}…)`);
  }
  const r = Ruleset.safeParse(json);
  if (!r.success) throw new ParseError('nft -j list ruleset printed JSON without an "nftables" list');
  const out: NftablesPart = { version: null, tables: [], chains: [], rules: [], sets: [] };
  const check = <T>(schema: z.ZodType<T>, v: unknown, what: string): T => {
    const x = schema.safeParse(v);
    if (!x.success) throw new ParseError(`nft -j: unexpected ${what}: ${x.error.issues[0]?.path.join('.')}: ${x.error.issues[0]?.message}`);
    return x.data;
  };
  for (const item of r.data.nftables) {
    if ('metainfo' in item) out.version = String((item.metainfo as { version?: unknown })?.version ?? '') || null;
    else if ('table' in item) {
      const t = check(Table, item.table, 'table');
      out.tables.push({ family: t.family, name: t.name, handle: t.handle, source: 'nft' });
    } else if ('chain' in item) {
      const c = check(Chain, item.chain, 'chain');
      out.chains.push({ family: c.family, table: c.table, name: c.name, handle: c.handle, type: c.type ?? null, hook: c.hook ?? null, prio: c.prio ?? null, policy: c.policy ?? null });
    } else if ('rule' in item) {
      const x = check(Rule, item.rule, 'rule');
      out.rules.push({ family: x.family, table: x.table, chain: x.chain, handle: x.handle, comment: x.comment ?? null, expr: x.expr });
    } else if ('set' in item || 'map' in item) {
      const kind = 'set' in item ? 'set' : 'map';
      const s = check(SetLike, item[kind], kind);
      out.sets.push({ family: s.family, table: s.table, name: s.name, kind, type: s.type, map: s.map ?? null, flags: s.flags, elem: s.elem });
    }
  }
  // iptables-nft's tables: its names in ip/ip6, holding its upper-case built-in chains (native tables name theirs freely).
  for (const t of out.tables) {
    if ((t.family === 'ip' || t.family === 'ip6') && IPTABLES_TABLES.has(t.name) && out.chains.some((c) => c.family === t.family && c.table === t.name && c.hook && BUILTINS.has(c.name))) t.source = 'iptables';
  }
  return out;
}
