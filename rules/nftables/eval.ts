// Walks a packet through one nftables base chain: matches on meta, payload, ct and fib, anonymous and named sets,
// verdict maps, jump/goto/return, accept/drop/reject, NAT and marks. Whatever else a decisive rule holds makes the
// outcome unknown, naming the rule — never "no match".
import { inCidr, parseCidr, parseIp } from '../addr/addr.js';
import type { MatchHost, Packet } from '../iptables/packet.js';
import type { RuleRef } from '../../snapshot/contract.js';
import type { HookOutcome, NatAction } from '../netfilter/walk-chain.js';
import { jumpLimit } from '../netfilter/walk-chain.js';
import type { NftChainModel, NftTableModel } from './model.js';

type Tri = boolean | 'unknown';
class Unknown extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

const CT: Record<Packet['ctstate'], string> = { NEW: 'new', ESTABLISHED: 'established', RELATED: 'related' };
const PROTO_NUM: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58 };

/** The packet's layer-4 protocol as nft names it: ICMP over IPv6 is ipv6-icmp (58), which `icmp` (1) never matches. */
const l4 = (p: Packet) => (p.proto === 'icmp' && p.family === 6 ? 'ipv6-icmp' : p.proto);

/** A left-hand value of the packet, as nft compares it; undefined when the packet has no such field (no match). */
function leftValue(e: Record<string, unknown>, p: Packet, host: MatchHost): unknown {
  if ('meta' in e) {
    const key = (e.meta as { key: string }).key;
    switch (key) {
      case 'iifname':
      case 'iif':
        return p.inIface ?? '';
      case 'oifname':
      case 'oif':
        return p.outIface ?? '';
      case 'mark':
        return p.mark;
      case 'l4proto':
      case 'protocol':
        return key === 'protocol' ? (p.family === 4 ? 'ip' : 'ip6') : l4(p);
      case 'nfproto':
        return p.family === 4 ? 'ipv4' : 'ipv6';
      default:
        throw new Unknown(`meta ${key}`);
    }
  }
  if ('payload' in e) {
    const { protocol, field } = e.payload as { protocol?: string; field?: string };
    // In an inet table `ip saddr` carries an implicit `meta nfproto ipv4`: it never matches the other family.
    if (protocol === 'ip' || protocol === 'ip6') {
      if ((protocol === 'ip') !== (p.family === 4)) return undefined;
      if (field === 'saddr') return p.src;
      if (field === 'daddr') return p.dst;
      if (field === 'protocol' || field === 'nexthdr') return l4(p);
    }
    if (protocol === 'tcp' || protocol === 'udp' || protocol === 'th') {
      // nft adds the protocol dependency itself: tcp dport never matches a UDP packet.
      if (protocol !== 'th' && p.proto !== protocol) return undefined;
      if (p.proto === 'icmp') return undefined;
      if (field === 'dport') return p.dport;
      if (field === 'sport') return p.sport;
    }
    if (protocol === 'icmp' || protocol === 'icmpv6') {
      if (p.proto !== 'icmp' || (protocol === 'icmp') !== (p.family === 4)) return undefined;
      if (field === 'type') return p.icmpType;
      if (field === 'code') return p.icmpCode;
    }
    throw new Unknown(`payload ${protocol ?? '?'} ${field ?? '?'}`);
  }
  if ('ct' in e) {
    const { key, dir } = e.ct as { key: string; dir?: string };
    if (key === 'state' && !dir) return [CT[p.ctstate]];
    if (key === 'status' && !dir) return p.dst !== p.origDst ? ['dnat'] : [];
    throw new Unknown(`ct ${dir ? `${dir} ` : ''}${key}`);
  }
  if ('fib' in e) {
    const { result, flags } = e.fib as { result: string; flags: string[] };
    if (result !== 'type') throw new Unknown(`fib ${flags.join(' . ')} ${result}`);
    const ip = flags.includes('saddr') ? p.src : p.dst;
    const iface = flags.includes('iif') ? p.inIface : flags.includes('oif') ? p.outIface : null;
    return host.addrType(ip, iface).toLowerCase();
  }
  if ('&' in e) {
    const [a, mask] = e['&'] as [Record<string, unknown>, unknown];
    const v = leftValue(a, p, host);
    if (typeof v !== 'number' || typeof mask !== 'number') throw new Unknown('a bitwise & netdiag cannot evaluate');
    return (v & mask) >>> 0;
  }
  throw new Unknown(JSON.stringify(e).slice(0, 80));
}

const ICMP_NAMES: Record<string, number> = { 'echo-reply': 0, 'destination-unreachable': 3, 'echo-request': 8, 'time-exceeded': 11 };
/** ICMPv6 type names nft prints (`icmpv6 type { echo-request, nd-neighbor-solicit }`). */
const ICMPV6_NAMES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
};

/** Does `v` (the packet's) equal or fall in `right` (a value, prefix, range, set or named set)? */
function contains(v: unknown, right: unknown, table: NftTableModel, names: Record<string, number> = ICMP_NAMES): boolean {
  if (typeof right === 'string' && right.startsWith('@')) {
    const set = table.sets.get(right.slice(1));
    if (!set) throw new Unknown(`no set ${right}`);
    if (set.kind !== 'set') throw new Unknown(`${right} is a map`);
    return set.elem.some((e) => contains(v, e && typeof e === 'object' && 'elem' in (e as object) ? (e as { elem: { val: unknown } }).elem.val : e, table, names));
  }
  if (Array.isArray(right)) return right.some((r) => contains(v, r, table, names));
  if (right && typeof right === 'object') {
    const o = right as Record<string, unknown>;
    if ('set' in o) return (o.set as unknown[]).some((r) => contains(v, r, table, names));
    if ('prefix' in o) {
      const { addr, len } = o.prefix as { addr: string; len: number };
      const c = parseCidr(`${addr}/${len}`);
      if (!c || (typeof v !== 'number' && typeof v !== 'bigint')) throw new Unknown(`prefix ${addr}/${len}`);
      return inCidr(v, c);
    }
    if ('range' in o) {
      const [a, b] = (o.range as unknown[]).map((x) => scalar(x, v, names));
      const num = (x: unknown): x is number | bigint => typeof x === typeof v && (typeof x === 'number' || typeof x === 'bigint');
      return num(v) && num(a) && num(b) && v >= a && v <= b;
    }
    throw new Unknown(`a value netdiag cannot compare: ${JSON.stringify(o).slice(0, 60)}`);
  }
  if (Array.isArray(v)) return v.includes(right);
  if (typeof v === 'string' && typeof right === 'string') {
    // Interface names: a trailing * is a wildcard, \* a literal star.
    if (right.endsWith('*') && !right.endsWith('\\*')) return v.startsWith(right.slice(0, -1));
    return v === (right === 'icmpv6' ? 'ipv6-icmp' : right.replace(/\\\*/g, '*'));
  }
  return v === scalar(right, v, names);
}

/** A right-hand scalar in the packet value's terms: addresses and protocol or ICMP names become numbers. */
function scalar(r: unknown, like: unknown, names: Record<string, number> = ICMP_NAMES): unknown {
  if (typeof r === 'string') {
    if (typeof like === 'bigint') return parseIp(r) ?? r;
    if (typeof like === 'number') return parseIp(r) ?? PROTO_NUM[r] ?? names[r] ?? (Number.isFinite(Number(r)) ? Number(r) : r);
    return r;
  }
  return r;
}

function match(m: { op: string; left: Record<string, unknown>; right: unknown }, p: Packet, host: MatchHost, table: NftTableModel): boolean {
  const v = leftValue(m.left, p, host);
  if (v === undefined || v === null) return m.op === '!=' ? true : false;
  // ICMP type names mean other numbers in ICMPv6 (echo-request is 8 in one, 128 in the other).
  const names = (m.left as { payload?: { protocol?: string } }).payload?.protocol === 'icmpv6' ? ICMPV6_NAMES : ICMP_NAMES;
  // ct state and status are flags: `in` and `==` ask whether any listed flag is set.
  const right = m.right;
  switch (m.op) {
    case '==':
    case 'in':
      return contains(v, right, table, names);
    case '!=':
      return !contains(v, right, table, names);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      const r = scalar(right, v, names);
      if (typeof v !== 'number' || typeof r !== 'number') throw new Unknown(`${m.op} on a non-number`);
      return m.op === '<' ? v < r : m.op === '>' ? v > r : m.op === '<=' ? v <= r : v >= r;
    }
    default:
      throw new Unknown(`the operator ${m.op}`);
  }
}

/** Statements that let the packet go on: counting, logging, rate limits (one probe packet stays within any). */
const NON_TERMINAL = new Set(['counter', 'log', 'limit', 'notrack', 'comment']);

type ChainResult = { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT'; ref: RuleRef; nat: NatAction | null } | { kind: 'return' };

function natOf(kind: string, v: unknown): NatAction {
  const n = (v ?? {}) as { addr?: unknown; port?: unknown };
  const port = typeof n.port === 'number' ? ([n.port, n.port] as [number, number]) : null;
  switch (kind) {
    case 'dnat':
      if (n.addr !== undefined && (typeof n.addr !== 'string' || parseIp(n.addr) === null)) throw new Unknown(`dnat to ${JSON.stringify(n.addr)}`);
      return { kind: 'DNAT', toIp: typeof n.addr === 'string' ? parseIp(n.addr) : null, toPort: port };
    case 'snat':
      if (typeof n.addr !== 'string' || parseIp(n.addr) === null) throw new Unknown(`snat to ${JSON.stringify(n.addr)}`);
      return { kind: 'SNAT', toSource: n.addr, toIp: parseIp(n.addr) };
    case 'redirect':
      return { kind: 'REDIRECT', toPort: port };
    default:
      return { kind: 'MASQUERADE' };
  }
}

/** Walk base chain `start` of `table`: its verdict, the rule that gave it (null for the policy), NAT and marks. */
export function walkNftChain(table: NftTableModel, start: NftChainModel, p: Packet, host: MatchHost): HookOutcome {
  const path: RuleRef[] = [];
  const onPath = new Set<string>([start.name]);
  const maxDepth = jumpLimit('nf_tables');
  let unmodelled: { ref: RuleRef; why: string } | null = null;

  const walk = (c: NftChainModel, depth: number): ChainResult => {
    for (const rule of c.rules) {
      const ref = rule.ref;
      const verdictOf = (k: string, v: unknown): ChainResult | 'continue' | 'next-rule' => {
        switch (k) {
          case 'accept':
            return { kind: 'verdict', verdict: 'ACCEPT', ref, nat: null };
          case 'drop':
            return { kind: 'verdict', verdict: 'DROP', ref, nat: null };
          case 'reject':
            return { kind: 'verdict', verdict: 'REJECT', ref, nat: null };
          case 'return':
            return { kind: 'return' };
          case 'jump':
          case 'goto': {
            const target = (v as { target: string }).target;
            const next = table.chains.get(target);
            if (!next) throw new Unknown(`there is no chain ${target} in this table`);
            if (onPath.has(target)) throw new Unknown(`it jumps back to ${target}, closing a loop the kernel would refuse to load`);
            if (depth + 1 > maxDepth) throw new Unknown(`it nests jumps ${depth + 1} deep, past what nf_tables loads (${maxDepth})`);
            path.push(ref);
            onPath.add(target);
            const r = walk(next, depth + 1);
            onPath.delete(target);
            if (r.kind === 'verdict') return r;
            return k === 'goto' ? { kind: 'return' } : 'next-rule';
          }
          default:
            throw new Unknown(`the statement ${k}`);
        }
      };
      let outcome: ChainResult | 'next-rule' | null = null;
      // The matches first: one that fails settles it; one netdiag cannot evaluate matters only if the rest match.
      let cannot: string | null = null;
      let applies = true;
      for (const stmt of rule.expr) {
        if (!('match' in stmt)) continue;
        try {
          if (!match(stmt.match as { op: string; left: Record<string, unknown>; right: unknown }, p, host, table)) {
            applies = false;
            break;
          }
        } catch (error) {
          if (!(error instanceof Unknown)) throw error;
          cannot ??= error.why;
        }
      }
      if (!applies) continue;
      const acts = rule.expr.filter((stmt) => !('match' in stmt) && !NON_TERMINAL.has(Object.keys(stmt)[0] ?? ''));
      if (acts.length === 0) continue;
      try {
        if (cannot !== null) throw new Unknown(cannot);
        for (const stmt of acts) {
          const [k, v] = Object.entries(stmt)[0] ?? ['', null];
          if (k === 'mangle') {
            const m = v as { key: Record<string, unknown>; value: unknown };
            if ('meta' in m.key && (m.key.meta as { key: string }).key === 'mark' && typeof m.value === 'number') {
              p.mark = m.value >>> 0;
              path.push(ref);
              continue;
            }
            if ('ct' in m.key) continue;
            throw new Unknown(`setting ${JSON.stringify(m.key)}`);
          }
          if (k === 'dnat' || k === 'snat' || k === 'masquerade' || k === 'redirect') {
            outcome = { kind: 'verdict', verdict: 'ACCEPT', ref, nat: natOf(k, v) };
            break;
          }
          if (k === 'vmap') {
            const m = v as { key: Record<string, unknown>; data: unknown };
            const key = leftValue(m.key, p, host);
            const entries = typeof m.data === 'string' && m.data.startsWith('@') ? (table.sets.get(m.data.slice(1))?.elem as unknown[] | undefined) : ((m.data as { set?: unknown[] })?.set ?? undefined);
            if (!entries) throw new Unknown(`the verdict map ${JSON.stringify(m.data)}`);
            const hit = key === undefined ? undefined : (entries.find((e) => Array.isArray(e) && contains(key, e[0], table)) as [unknown, Record<string, unknown>] | undefined);
            if (!hit) {
              outcome = 'next-rule';
              break;
            }
            const [vk, vv] = Object.entries(hit[1])[0] ?? ['', null];
            const r = verdictOf(vk, vv);
            if (r !== 'continue') {
              outcome = r;
              break;
            }
            continue;
          }
          const r = verdictOf(k, v);
          if (r !== 'continue') {
            outcome = r;
            break;
          }
        }
      } catch (error) {
        if (!(error instanceof Unknown)) throw error;
        unmodelled ??= { ref, why: error.why };
        throw error;
      }
      if (outcome === null || outcome === 'next-rule') continue;
      if (outcome.kind === 'verdict') path.push(outcome.ref);
      return outcome;
    }
    return { kind: 'return' };
  };

  try {
    const r = walk(start, 0);
    if (r.kind === 'verdict') return { verdict: r.verdict, decidedBy: r.ref, policyOf: null, path, nat: r.nat, mark: p.mark, unknownWhy: null };
    return { verdict: start.policy === 'drop' ? 'DROP' : 'ACCEPT', decidedBy: null, policyOf: start.name, path, nat: null, mark: p.mark, unknownWhy: null };
  } catch (error) {
    if (!(error instanceof Unknown) || !unmodelled) throw error;
    const first = unmodelled as { ref: RuleRef; why: string };
    path.push(first.ref);
    return { verdict: 'unknown', decidedBy: first.ref, policyOf: null, path, nat: null, mark: p.mark, unknownWhy: `netdiag does not model ${first.why}` };
  }
}

export type { Tri };
