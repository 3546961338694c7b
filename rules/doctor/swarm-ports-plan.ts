// The steps that open a swarm port a node drops: an accept scoped to the peer's address and the port, at the top of
// the base chain of the table that drops it (an accept in another table does not undo a drop), tagged with the fix's
// ID so rollback removes exactly it. firewalld's own table is rewritten on every reload: its commands are said too.
import type { PlanStep } from '../../snapshot/contract.js';
import { ipText } from '../addr/addr.js';
import type { HostModel } from '../model/types.js';
import type { TableName } from '../netfilter/ruleset.js';
import { NETDIAG_COMMENT_PREFIX, tableManager } from '../meaning/layouts.js';
import type { SwarmPortDrop } from './swarm-ports.js';
import { shortHash } from '../steps/hash.js';
import { stepCommand } from '../steps/command.js';

/** iptables' base chain of a table on the hook the packet was dropped at. */
const IPTABLES_BASE = { prerouting: 'PREROUTING', input: 'INPUT' } as const;

export interface SwarmPortsPlan {
  steps: PlanStep[];
  /** Where the accept lands, per drop, for people. */
  where: string[];
  /** Drops whose chain no step can reach (a rule netdiag cannot evaluate, data not collected). */
  unplanned: SwarmPortDrop[];
  /** firewalld's way to keep it (its own table is rewritten on reload), as text: never applied. */
  firewalld: string[];
}

/** The base chain of the nftables table that decided, on the drop's hook. */
function nftBase(h: HostModel, family: string, table: string, hook: string): string | null {
  return h.nft?.baseChains.find((c) => c.family === family && `${c.family} ${c.table}` === table && c.hook === hook)?.name ?? null;
}

/** One drop's accept (null when its decider is no rule or policy netdiag can put an accept before). */
function accept(d: SwarmPortDrop, id: string): { step: PlanStep; where: string; firewalld: string | null } | null {
  const dec = d.decidedBy;
  if (dec.kind !== 'rule' && dec.kind !== 'policy') return null;
  const src = ipText(d.from);
  const comment = `${NETDIAG_COMMENT_PREFIX}${id}`;
  if (dec.family === undefined) {
    if (dec.ip6tables) return null;
    const chain = IPTABLES_BASE[d.hook];
    const rule = ['-s', `${src}/32`, '-d', `${ipText(d.to)}/32`, '-p', d.port.proto, '--dport', String(d.port.port), '-m', 'comment', '--comment', comment, '-j', 'ACCEPT'];
    // Below moby's drops of an encrypted overlay's cleartext VXLAN (it puts them first so no accept undoes them).
    const rules = d.host.ruleset?.get(dec.table as TableName)?.get(chain)?.rules ?? [];
    const below = rules.filter((r) => r.parsed.matches.some((m) => m.kind === 'u32') && !(dec.kind === 'rule' && dec.chain === chain && r.ref.index >= dec.index)).map((r) => r.ref.index);
    const position = below.length > 0 ? Math.max(...below) + 1 : undefined;
    return { step: { kind: 'iptables-insert', host: d.host.name, table: dec.table, chain, rule, ...(position ? { position } : {}) }, where: `iptables ${dec.table} ${chain}${position ? ` (at ${position}, below Docker's drops of encrypted overlays' cleartext VXLAN)` : ''}`, firewalld: null };
  }
  const chain = nftBase(d.host, dec.family, dec.table, d.hook);
  if (!chain) return null;
  const name = dec.table.slice(dec.family.length + 1);
  const step: PlanStep = {
    kind: 'nft-insert',
    host: d.host.name,
    family: dec.family,
    table: name,
    chain,
    index: 0,
    create: null,
    rule: {
      expr: [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: src } },
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: ipText(d.to) } },
        { match: { op: '==', left: { payload: { protocol: d.port.proto, field: 'dport' } }, right: d.port.port } },
        { accept: null },
      ],
      comment,
    },
  };
  const fw = tableManager(name) === 'firewalld' ? `firewall-cmd --permanent --add-rich-rule='rule family="ipv4" source address="${src}" port port="${d.port.port}" protocol="${d.port.proto}" accept'${d.iface ? ` (in the zone of ${d.iface})` : ''}` : null;
  return { step, where: `${dec.family} ${name} ${chain}`, firewalld: fw };
}

/** The accepts for a node's drops, one per drop, in the order they were found. */
export function swarmPortsPlan(drops: SwarmPortDrop[], id: string): SwarmPortsPlan {
  const plan: SwarmPortsPlan = { steps: [], where: [], unplanned: [], firewalld: [] };
  for (const d of drops) {
    const a = accept(d, id);
    if (!a) {
      plan.unplanned.push(d);
      continue;
    }
    plan.steps.push(a.step);
    plan.where.push(a.where);
    if (a.firewalld) plan.firewalld.push(a.firewalld);
  }
  if (plan.firewalld.length > 0) plan.firewalld.push('firewall-cmd --reload');
  return plan;
}

/** The fix's ID for one node's drops: the same in doctor's text and in `netdiag fix`, so the comment is the same. */
export function swarmPortsId(drops: SwarmPortDrop[]): string {
  return `fx-${shortHash(['swarm-ports', ...drops.map((d) => `${d.host.name} ${ipText(d.from)} ${ipText(d.to)} ${d.port.port}/${d.port.proto}`)].join('\u0000'))}`;
}

/** doctor's fix for one node's drops from one peer: the exact commands, and what keeps them. */
export function swarmPortsFixText(drops: SwarmPortDrop[]): string {
  const plan = swarmPortsPlan(drops, swarmPortsId(drops));
  if (plan.steps.length === 0) return `netdiag cannot place an accept before what decides here (${drops.map((d) => d.decidedBy.reason).join('; ')}): open ${drops.map((d) => `${d.port.port}/${d.port.proto}`).join(', ')} from ${ipText(drops[0]?.from ?? 0)} in the host's firewall by hand`;
  const keep = plan.firewalld.length > 0 ? `; firewalld rewrites its table on reload, so keep it with: ${plan.firewalld.join('; ')}` : '; lost at reboot unless saved (netfilter-persistent save, or your firewall\'s own configuration)';
  const left = plan.unplanned.length > 0 ? `; not placeable: ${plan.unplanned.map((d) => `${d.port.port}/${d.port.proto} (${d.decidedBy.reason})`).join(', ')}` : '';
  return `${plan.steps.map(stepCommand).join('; ')} (netdiag fix applies it, journaled and undone by netdiag rollback)${keep}${left}`;
}
