// Pure parsers for iproute2's JSON (`ip -j -d addr`, `ip -j route show table all`, `ip -j rule`), defaults filled in.
import { z } from 'zod';
import { plainIpLink } from './ip-link-plain.js';
import type { Address, Interface, LowerLink, Neighbour, PolicyRule, Route, VxlanInfo } from '../snapshot/host-snapshot.js';

export class ParseError extends Error {
  override name = 'ParseError';
}

function parseJsonArray(text: string, what: string): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // iproute2 leaves a lone "[" on stdout when it fails half-way; say so rather than "Unexpected end".
    throw new ParseError(`${what} printed output that is not JSON (${JSON.stringify(text.slice(0, 40))}…)`);
  }
  if (!Array.isArray(json)) throw new ParseError(`${what} printed JSON that is not a list`);
  return json;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new ParseError(`${what}: unexpected entry at ${i?.path.join('.') || '(top)'}: ${i?.message ?? 'invalid'}`);
}

const AddrInfo = z.looseObject({
  family: z.string(),
  local: z.string().optional(),
  prefixlen: z.number().int().optional(),
  scope: z.string().optional(),
});

export const IpLink = z.looseObject({
  ifindex: z.number().int(),
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  mtu: z.number().int().default(0),
  address: z.string().optional(),
  master: z.string().optional(),
  group: z.union([z.string(), z.number()]).optional(),
  link: z.string().nullish(),
  link_index: z.number().int().optional(),
  link_netnsid: z.number().int().optional(),
  linkinfo: z
    .looseObject({
      info_kind: z.string().optional(),
      info_slave_kind: z.string().optional(),
      info_slave_data: z.looseObject({ state: z.string().optional() }).optional(),
      // macvlan/ipvlan: mode, and ipvlan's flag as a boolean key (ipvlan_print_opt prints one of bridge/private/vepa).
      // vlan (802.1q): its `id` (ip/iplink_vlan.c vlan_print_opt).
      // vxlan (ip/iplink_vxlan.c vxlan_print_opt): `id` (the VNI), `port` (dstport), `local`, and flags as booleans.
      info_data: z
        .looseObject({
          mode: z.string().optional(),
          bridge: z.boolean().optional(),
          private: z.boolean().optional(),
          vepa: z.boolean().optional(),
          id: z.number().int().optional(),
          port: z.number().int().optional(),
          local: z.string().optional(),
          learning: z.boolean().optional(),
          proxy: z.boolean().optional(),
          l2miss: z.boolean().optional(),
          l3miss: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  addr_info: z.array(AddrInfo).default([]),
  // Printed with -d (iproute2 4.x on): the device's promiscuity count.
  promiscuity: z.number().int().nonnegative().optional(),
});

function addresses(info: z.infer<typeof AddrInfo>[]): Address[] {
  return info
    .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local !== undefined && a.prefixlen !== undefined)
    .map((a) => ({ family: a.family as Address['family'], local: a.local as string, prefixLen: a.prefixlen as number, scope: a.scope ?? 'global' }));
}

/** Kinds whose `link` is the parent device they are a child of, not a peer (the lower device of macvlan, ipvlan …). */
const CHILD_KINDS = new Set(['macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan']);
const IPVLAN_FLAGS = ['private', 'vepa', 'bridge'] as const;

/** A child's parent (`link` read as for a veth's peer) with the child's mode and, for ipvlan, its flag. */
function lowerLink(l: z.infer<typeof IpLink>, link: Interface['peer']): LowerLink | null {
  const kind = l.linkinfo?.info_kind;
  if (kind === undefined || !CHILD_KINDS.has(kind)) return null;
  const data = l.linkinfo?.info_data;
  const ipvlan = kind === 'ipvlan' || kind === 'ipvtap';
  return {
    ...(link ?? { ifindex: null, netnsId: null, name: null }),
    mode: kind === 'vlan' ? null : (data?.mode ?? null),
    flag: ipvlan ? (IPVLAN_FLAGS.find((f) => data?.[f] === true) ?? null) : null,
    vlanId: kind === 'vlan' ? (data?.id ?? null) : null,
  };
}

/**
 * A VXLAN device's info_data. iproute2 prints `learning` as a JSON boolean either way but `proxy`, `l2miss`, `l3miss`
 * only when set. The kernel always reports the port; were it missing, the kernel's own default is 8472 (iproute2 warns
 * that 4789, IANA's, must be asked for — Docker does).
 */
function vxlanInfo(l: z.infer<typeof IpLink>): VxlanInfo {
  const d = l.linkinfo?.info_data;
  return {
    id: d?.id ?? 0,
    dstport: d?.port ?? 8472,
    local: d?.local ?? null,
    learning: d?.learning ?? true,
    proxy: d?.proxy === true,
    l2miss: d?.l2miss === true,
    l3miss: d?.l3miss === true,
    linkNetnsId: l.link_netnsid ?? null,
  };
}

/** `ip -j -d addr show` (links with linkinfo, master and addresses in one call). */
export function parseIpAddr(text: string): Interface[] {
  return parseJsonArray(text, 'ip -j -d addr show').map((raw, i) => {
    const l = plainIpLink<z.infer<typeof IpLink>>(raw) ?? check(IpLink, raw, `ip -j -d addr show [${i}]`);
    // link_index is the other end's ifindex in its own namespace, printed only with link_netnsid; in the same
    // namespace it is printed by name in `link` instead (a veth's peer, a macvlan or ipvlan child's parent).
    const linked = l.link_index !== undefined || (l.link !== undefined && l.link !== null);
    const link = linked ? { ifindex: l.link_index ?? null, netnsId: l.link_netnsid ?? null, name: l.link_netnsid === undefined ? (l.link ?? null) : null } : null;
    return {
      ifindex: l.ifindex,
      name: l.ifname,
      kind: l.linkinfo?.info_kind ?? null,
      master: l.master ?? null,
      portState: l.linkinfo?.info_slave_kind === 'bridge' ? (l.linkinfo.info_slave_data?.state ?? null) : null,
      mtu: l.mtu,
      mac: l.address ?? null,
      up: l.flags.includes('UP'),
      lowerUp: l.flags.includes('LOWER_UP'),
      peer: link,
      addresses: addresses(l.addr_info),
      lower: lowerLink(l, link),
      group: l.group === undefined ? null : String(l.group),
      // Wireless is not in iproute2's output: the links collector reads it from /proc/net/wireless.
      ...(l.promiscuity !== undefined ? { promiscuity: l.promiscuity } : {}),
      ...(l.linkinfo?.info_kind === 'vxlan' ? { vxlan: vxlanInfo(l) } : {}),
    };
  });
}

const IpRoute = z.looseObject({
  type: z.string().optional(),
  dst: z.string(),
  table: z.string().optional(),
  dev: z.string().optional(),
  gateway: z.string().optional(),
  via: z.looseObject({ host: z.string().optional() }).optional(),
  prefsrc: z.string().optional(),
  protocol: z.string().optional(),
  scope: z.string().optional(),
  metric: z.number().int().optional(),
  flags: z.array(z.string()).default([]),
  nexthops: z
    .array(z.looseObject({ dev: z.string().optional(), gateway: z.string().optional(), weight: z.number().int().optional() }))
    .optional(),
});

function familyOf(dst: string): Route['family'] {
  return dst.includes(':') ? 'inet6' : 'inet';
}

/** iproute2 prints `default` for 0/0 and bare addresses for host routes; give every dst its CIDR form. */
function normaliseDst(dst: string, family: Route['family']): string {
  if (dst === 'default') return family === 'inet6' ? '::/0' : '0.0.0.0/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${family === 'inet6' ? 128 : 32}`;
}

/** `ip -j route show table all` for one family (-4 or -6): the family is not in the output, the caller knows it. */
export function parseIpRoutes(text: string, family: Route['family'] = 'inet'): Route[] {
  return parseJsonArray(text, 'ip -j route show table all').map((raw, i) => {
    const r = check(IpRoute, raw, `ip -j route show table all [${i}]`);
    const fam = r.dst === 'default' ? family : familyOf(r.dst);
    return {
      table: r.table ?? 'main',
      type: r.type ?? 'unicast',
      dst: normaliseDst(r.dst, fam),
      family: fam,
      dev: r.dev ?? null,
      gateway: r.gateway ?? r.via?.host ?? null,
      prefsrc: r.prefsrc ?? null,
      protocol: r.protocol ?? 'boot',
      scope: r.scope ?? 'global',
      metric: r.metric ?? 0,
      nexthops: (r.nexthops ?? []).map((n) => ({ dev: n.dev ?? null, gateway: n.gateway ?? null, weight: n.weight ?? 1 })),
      flags: r.flags,
    };
  });
}

const Port = z.number().int().optional();
const IpRule = z.looseObject({
  priority: z.number().int(),
  src: z.string().optional(),
  srclen: z.number().int().optional(),
  dst: z.string().optional(),
  dstlen: z.number().int().optional(),
  iif: z.string().optional(),
  oif: z.string().optional(),
  fwmark: z.string().optional(),
  fwmask: z.string().optional(),
  table: z.string().optional(),
  action: z.string().optional(),
  tos: z.union([z.string(), z.number()]).optional(),
  ipproto: z.union([z.string(), z.number()]).optional(),
  sport: Port,
  sport_start: Port,
  sport_end: Port,
  dport: Port,
  dport_start: Port,
  dport_end: Port,
  uid_start: Port,
  uid_end: Port,
  goto: z.union([z.number().int(), z.string()]).optional(),
  suppress_prefixlen: z.number().int().optional(),
  suppress_ifgroup: z.union([z.string(), z.number()]).optional(),
});

// What iproute2 6.1's iprule.c prints for a rule, and which of it is a selector netdiag evaluates. Keys it does not
// know (a newer iproute2's dscp, flowlabel …) may be selectors: those are kept as unevaluated, never dropped.
const READ_KEYS = new Set(['priority', 'src', 'srclen', 'dst', 'dstlen', 'iif', 'iif_detached', 'oif', 'oif_detached', 'fwmark', 'fwmask', 'table', 'action', 'tos', 'ipproto', 'sport', 'sport_start', 'sport_end', 'dport', 'dport_start', 'dport_end', 'uid_start', 'uid_end', 'goto', 'unresolved', 'nop', 'suppress_prefixlen', 'suppress_ifgroup', 'not']);
/** Printed, but not selectors: who made the rule, and the realms it tags routes with. */
const NOT_SELECTORS = new Set(['protocol', 'flow_from', 'flow_to']);

function portRange(one: number | undefined, start: number | undefined, end: number | undefined): { start: number; end: number } | null {
  if (one !== undefined) return { start: one, end: one };
  return start !== undefined && end !== undefined ? { start, end } : null;
}

function prefix(addr: string | undefined, len: number | undefined): string | null {
  if (addr === undefined || addr === 'all') return null;
  return len === undefined ? addr : `${addr}/${len}`;
}

const IpNeigh = z.looseObject({ dst: z.string(), dev: z.string().optional(), lladdr: z.string().optional(), state: z.array(z.string()).default([]) });

/** `ip -j neigh show` (either family: the address says which). */
export function parseIpNeighbours(text: string): Neighbour[] {
  return parseJsonArray(text, 'ip -j neigh show').flatMap((raw, i) => {
    const n = check(IpNeigh, raw, `ip -j neigh show [${i}]`);
    // Entries without a device are proxy or multicast bookkeeping, not neighbours on a link.
    return n.dev ? [{ family: n.dst.includes(':') ? ('inet6' as const) : ('inet' as const), dst: n.dst, dev: n.dev, lladdr: n.lladdr ?? null, state: n.state }] : [];
  });
}

/** `ip -j rule show`. Flags print as keys with a null value (`"not": null`, `"nop": null`), so their presence is what counts. */
export function parseIpRules(text: string, family: PolicyRule['family'] = 'inet'): PolicyRule[] {
  return parseJsonArray(text, 'ip -j rule show').map((raw, i) => {
    const r = check(IpRule, raw, `ip -j rule show [${i}]`);
    const has = (k: string) => typeof raw === 'object' && raw !== null && k in raw;
    const unevaluated: string[] = [];
    if (has('l3mdev')) unevaluated.push('l3mdev');
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (k === 'l3mdev' || READ_KEYS.has(k) || NOT_SELECTORS.has(k)) continue;
      unevaluated.push(v === null ? k : `${k} ${String(v)}`);
    }
    const action = has('goto') ? 'goto' : has('nop') ? 'nop' : (r.action ?? (r.table || has('l3mdev') ? 'lookup' : 'unknown'));
    return {
      family,
      priority: r.priority,
      not: has('not'),
      src: prefix(r.src, r.srclen),
      dst: prefix(r.dst, r.dstlen),
      iif: r.iif ?? null,
      oif: r.oif ?? null,
      fwmark: r.fwmark ? (r.fwmask ? `${r.fwmark}/${r.fwmask}` : r.fwmark) : null,
      table: r.table ?? null,
      action,
      iifDetached: has('iif_detached'),
      oifDetached: has('oif_detached'),
      tos: r.tos === undefined ? null : String(r.tos),
      ipproto: r.ipproto === undefined ? null : String(r.ipproto),
      sport: portRange(r.sport, r.sport_start, r.sport_end),
      dport: portRange(r.dport, r.dport_start, r.dport_end),
      uidrange: portRange(undefined, r.uid_start, r.uid_end),
      // `goto none` (no target attribute) is printed as a string: a goto that jumps nowhere.
      goto: typeof r.goto === 'number' ? r.goto : null,
      suppressPrefixlen: r.suppress_prefixlen ?? null,
      suppressIfgroup: r.suppress_ifgroup === undefined ? null : String(r.suppress_ifgroup),
      unevaluated,
    };
  });
}
