// A namespace's `ip rule` list compiled once, at model build: addresses, marks, ports and goto targets resolved, so a
// route lookup on the walk's hot path compares numbers, and each rule's text ready for the trace.
import { parseCidr } from '../addr/addr.js';
import type { Cidr } from '../addr/addr.js';
import type { PolicyRule } from '../../snapshot/host-snapshot.js';

export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface CompiledRule {
  rule: PolicyRule;
  priority: number;
  /** The rule as `ip rule show` prints it, after its priority: `from 172.18.0.0/16 lookup 100`. */
  text: string;
  not: boolean;
  src: Cidr | null;
  dst: Cidr | null;
  /** iif/oif: the device named (a detached one matches nothing, as its ifindex -1 matches no packet). */
  iif: string | null;
  iifDetached: boolean;
  oif: string | null;
  /** fwmark/mask as the kernel compares them: a mark without a mask compares all 32 bits; mask 0: no mark selector. */
  mark: number;
  markMask: number;
  /** A tos/dsfield selector (iproute2 prints only non-zero ones). */
  tos: boolean;
  proto: number | null;
  sport: { start: number; end: number } | null;
  dport: { start: number; end: number } | null;
  uid: { start: number; end: number } | null;
  /** The first selector the walk cannot evaluate, as `ip rule` names it. */
  unevaluated: string | null;
  /** What a matching rule does; null: an action netdiag does not know (the rule's `action` says which). */
  action: RuleAction | null;
  table: string;
  /** goto: the index of the first rule with the target priority (null: unresolved, the kernel goes on past it). */
  target: number | null;
  /** -1: none (the kernel's default). */
  suppressPrefixlen: number;
  suppressIfgroup: string | null;
}

export interface PolicyRules {
  list: CompiledRule[];
  /** Only the kernel's own rules (local, main, default, nothing selected): a lookup needs no rule evaluated. */
  plain: boolean;
}

// IP protocol numbers of the names iproute2 prints for `ipproto` (getprotobynumber's names).
const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, sctp: 132, udplite: 136 };

function protoNumber(p: string): number | null {
  const n = Number(p);
  if (p !== '' && Number.isInteger(n) && n >= 0 && n <= 255) return n;
  return PROTOCOLS[p] ?? null;
}

const ACTIONS = new Set<string>(['lookup', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit']);

function ports(p: { start: number; end: number }): string {
  return p.start === p.end ? String(p.start) : `${p.start}-${p.end}`;
}

/** A rule as `ip rule show` prints it (iproute2 6.1's order), without its priority. */
export function ruleText(r: PolicyRule): string {
  const w: string[] = [];
  const l3mdev = r.unevaluated.some((u) => u === 'l3mdev');
  if (r.not) w.push('not');
  w.push('from', r.src ?? 'all');
  if (r.dst) w.push('to', r.dst);
  if (r.tos) w.push('tos', r.tos);
  if (r.fwmark) w.push('fwmark', r.fwmark);
  if (r.iif) w.push('iif', r.iif, ...(r.iifDetached ? ['[detached]'] : []));
  if (r.oif) w.push('oif', r.oif, ...(r.oifDetached ? ['[detached]'] : []));
  if (r.uidrange) w.push('uidrange', `${r.uidrange.start}-${r.uidrange.end}`);
  if (r.ipproto) w.push('ipproto', r.ipproto);
  if (r.sport) w.push('sport', ports(r.sport));
  if (r.dport) w.push('dport', ports(r.dport));
  for (const u of r.unevaluated) if (u !== 'l3mdev') w.push(u);
  if (r.action === 'lookup') {
    w.push('lookup', l3mdev ? '[l3mdev-table]' : (r.table ?? 'main'));
    if (r.suppressPrefixlen !== null) w.push('suppress_prefixlength', String(r.suppressPrefixlen));
    if (r.suppressIfgroup !== null) w.push('suppress_ifgroup', r.suppressIfgroup);
  } else if (r.action === 'goto') {
    w.push('goto', r.goto === null ? 'none' : String(r.goto));
  } else {
    w.push(r.action);
  }
  return w.join(' ');
}

function markOf(fwmark: string | null): { mark: number; markMask: number } {
  if (!fwmark) return { mark: 0, markMask: 0 };
  const [v, m] = fwmark.split('/');
  const mark = Number(v) >>> 0;
  // fib_nl_newrule: a non-zero mark without a mask compares every bit.
  return { mark, markMask: m === undefined ? (mark ? 0xffffffff : 0) : Number(m) >>> 0 };
}

function compile(r: PolicyRule): CompiledRule {
  const src = r.src ? parseCidr(r.src) : null;
  const dst = r.dst ? parseCidr(r.dst) : null;
  const proto = r.ipproto === null ? null : protoNumber(r.ipproto);
  const unevaluated =
    r.unevaluated[0] ??
    (r.src && !src ? `from ${r.src}` : null) ??
    (r.dst && !dst ? `to ${r.dst}` : null) ??
    (r.ipproto !== null && proto === null ? `ipproto ${r.ipproto}` : null);
  return {
    rule: r,
    priority: r.priority,
    text: ruleText(r),
    not: r.not,
    src,
    dst,
    iif: r.iif,
    iifDetached: r.iifDetached,
    oif: r.oif,
    ...markOf(r.fwmark),
    tos: r.tos !== null && Number(r.tos) !== 0,
    proto,
    sport: r.sport,
    dport: r.dport,
    uid: r.uidrange,
    unevaluated,
    action: ACTIONS.has(r.action) ? (r.action as RuleAction) : null,
    table: r.table ?? 'main',
    target: null,
    suppressPrefixlen: r.suppressPrefixlen ?? -1,
    suppressIfgroup: r.suppressIfgroup,
  };
}

/** Whether a rule selects every packet and only looks a table up: the shape of the kernel's own three. */
function selectsAll(c: CompiledRule): boolean {
  return !c.not && !c.src && !c.dst && !c.iif && !c.oif && c.markMask === 0 && !c.tos && c.proto === null && !c.sport && !c.dport && !c.uid && c.unevaluated === null && c.action === 'lookup' && c.suppressPrefixlen < 0 && c.suppressIfgroup === null;
}

const KERNEL_DEFAULTS = { 4: ['0 local', '32766 main', '32767 default'], 6: ['0 local', '32766 main'] } as const;

/** Whether `rules` are exactly the kernel's own (a fresh namespace's: almost every container's), read as given. */
function kernelDefaults(rules: PolicyRule[], family: 4 | 6): boolean {
  const d = KERNEL_DEFAULTS[family];
  if (rules.length !== d.length) return false;
  return rules.every(
    (r, i) =>
      `${r.priority} ${r.table}` === d[i] && r.action === 'lookup' && !r.not && r.src === null && r.dst === null && r.iif === null && r.oif === null && r.fwmark === null && (r.tos === null || Number(r.tos) === 0) &&
      r.ipproto === null && r.sport === null && r.dport === null && r.uidrange === null && r.goto === null && r.suppressPrefixlen === null && r.suppressIfgroup === null && r.unevaluated.length === 0,
  );
}

// The kernel's defaults compiled once per family and shared: a model of 1,000 containers compiled them 2,000 times.
const shared: Partial<Record<4 | 6, PolicyRules>> = {};

/** One family's rules, by priority (equal priorities in the order `ip rule` listed them, the kernel's order). */
export function compileRules(rules: PolicyRule[], family: 4 | 6): PolicyRules {
  // No rules read for a family (a kernel's `ip -6 rule` failed, or an old snapshot): the kernel's defaults.
  if (rules.length === 0 || kernelDefaults(rules, family)) return (shared[family] ??= compileGiven(kernelRules(family), family));
  return compileGiven(rules, family);
}

function compileGiven(given: PolicyRule[], family: 4 | 6): PolicyRules {
  const list = given.map(compile);
  list.forEach((c, i) => {
    if (c.action !== 'goto' || c.rule.goto === null) return;
    const t = list.findIndex((x) => x.priority === c.rule.goto);
    // The kernel refuses backward jumps when the rule is added; a target before the rule would never be one.
    c.target = t > i ? t : null;
  });
  const shape = list.map((c) => `${c.priority} ${c.table}`);
  const plain = list.every(selectsAll) && shape.length === KERNEL_DEFAULTS[family].length && shape.every((s, i) => s === KERNEL_DEFAULTS[family][i]);
  return { list, plain };
}

/** The rules the kernel gives a new namespace, as `ip rule` lists them (what a namespace not read is taken to hold). */
export const kernelRules = (family: 4 | 6): PolicyRule[] => KERNEL_DEFAULTS[family].map((d) => defaultRule(d, family));

function defaultRule(d: string, family: 4 | 6): PolicyRule {
  const [priority, table] = d.split(' ') as [string, string];
  return {
    family: family === 4 ? 'inet' : 'inet6',
    priority: Number(priority),
    not: false,
    src: null,
    dst: null,
    iif: null,
    oif: null,
    fwmark: null,
    table,
    action: 'lookup',
    iifDetached: false,
    oifDetached: false,
    tos: null,
    ipproto: null,
    sport: null,
    dport: null,
    uidrange: null,
    goto: null,
    suppressPrefixlen: null,
    suppressIfgroup: null,
    unevaluated: [],
  };
}
