// The meaning of one native nftables rule, from its table, chain, statements and comment: Docker 29's tables say
// what each rule is for in the comment Docker writes; other tables belong to a manager or an administrator.
import { cidrText, isHostPrefix, parseCidr, parseIp } from '../addr/addr.js';
import type { MeaningContext } from './context.js';
import { networkOfSubnet } from './context.js';
import { DOCKER_NFT_COMMENTS, DOCKER_NFT_TABLES, dockerNftBridgeChain, ISOLATING_CODES, netdiagIdOf, tableManager } from './layouts.js';
import type { Owner, RuleCode, RuleMeaning } from './types.js';

type Expr = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The terminal verdict of a rule's statements: what a rule that matches does. */
function verdictOf(expr: Expr[]): 'accept' | 'drop' | 'other' {
  for (const e of expr) {
    if ('drop' in e || 'reject' in e) return 'drop';
    if ('accept' in e) return 'accept';
  }
  return 'other';
}

/** The values a match compares a key with: one value, or each of an anonymous set's. */
function values(right: unknown): unknown[] {
  if (Array.isArray(right)) return right;
  if (isObject(right) && Array.isArray(right.set)) return right.set;
  return [right];
}

export function nftMeaning(table: string, chain: string, expr: Expr[], comment: string | null, ctx: MeaningContext): RuleMeaning {
  const bridges = new Set<string>();
  const networks = new Set<string>();
  const containers = new Set<string>();
  const addresses = new Set<string>();
  const ports = new Set<number>();
  const addBridge = (name: string) => {
    if (!ctx.bridges.has(name)) return;
    bridges.add(name);
    const n = ctx.bridges.get(name);
    if (n) networks.add(n.id);
  };
  const docker = DOCKER_NFT_TABLES.has(table);
  // Docker 29 names its per-bridge chains after the bridge: filter-forward-in__docker0.
  const perBridge = docker ? dockerNftBridgeChain(chain) : null;
  if (perBridge) addBridge(perBridge.bridge);
  for (const e of expr) {
    const m = isObject(e.match) ? e.match : null;
    if (!m) continue;
    const left = isObject(m.left) ? m.left : {};
    const meta = isObject(left.meta) ? left.meta.key : null;
    const payload = isObject(left.payload) ? left.payload : null;
    for (const v of values(m.right)) {
      if ((meta === 'iifname' || meta === 'oifname') && typeof v === 'string') addBridge(v);
      if (payload && (payload.field === 'saddr' || payload.field === 'daddr')) {
        const c = typeof v === 'string' ? parseCidr(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`) : isObject(v) && isObject(v.prefix) ? parseCidr(`${String(v.prefix.addr)}/${String(v.prefix.len)}`) : null;
        if (!c) continue;
        addresses.add(cidrText(c));
        const owner = ctx.containerByIp.get(c.addr);
        if (owner && isHostPrefix(c)) containers.add(owner.id);
        const n = networkOfSubnet(ctx, c);
        if (n) networks.add(n.id);
      }
      if (payload && payload.field === 'dport' && typeof v === 'number') ports.add(v);
    }
  }
  for (const e of expr) {
    const dnat = isObject(e.dnat) ? e.dnat : null;
    const ip = dnat && typeof dnat.addr === 'string' ? parseIp(dnat.addr) : null;
    const c = ip === null ? undefined : ctx.containerByIp.get(ip);
    if (c) containers.add(c.id);
  }
  const verdict = verdictOf(expr);
  const netdiagId = netdiagIdOf(comment);
  let owner: Owner = 'admin';
  let manager: string | null = null;
  let code: RuleCode = 'rule';
  if (netdiagId !== null) owner = 'netdiag';
  else if (docker) {
    owner = 'docker';
    const said = comment ? DOCKER_NFT_COMMENTS[comment] : undefined;
    // The ICC rule accepts a network's own traffic when icc is on, and drops it only when icc is off.
    code = said === undefined || (said === 'icc-off' && verdict !== 'drop') ? 'rule' : said;
  } else if ((manager = tableManager(table))) owner = 'manager';
  return { code, owner, manager, isolatesOtherBridges: owner === 'docker' && ISOLATING_CODES.has(code), bridges: [...bridges], networks: [...networks], containers: [...containers], addresses: [...addresses], ports: [...ports], netdiagId };
}
