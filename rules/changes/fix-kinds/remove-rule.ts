// Fix: the deciding drop removed, by who wrote it: an administrator's rule (iptables or nft) removable and restorable,
// Docker's own only shown as a discouraged alternative, another manager's left to that manager.
import type { DecisionOf, PlanStep, WhyAnswer } from '../../../snapshot/contract.js';
import { citedRule } from '../cited-rule.js';
import type { CitedRule } from '../cited-rule.js';
import { DOCKER_CHAINS } from '../../meaning/layouts.js';
import type { World } from '../../model/types.js';
import { fixId } from './candidate.js';
import type { Candidate } from './candidate.js';

/** The deciding DROPs, one per rule (IPv4 and IPv6 are often dropped by two rules of the same name). */
export function removeRules(world: World, answer: WhyAnswer): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const x of answer.addresses) {
    // Only a rule can be removed (removeRule and removeNftRule say whose).
    const d = x.verdict === 'blocked' && x.decidedBy?.kind === 'rule' ? x.decidedBy : null;
    const key = d ? `${d.ip6tables ? 6 : 4} ${d.host} ${d.table} ${d.chain} ${d.index} ${d.handle}` : '';
    if (!d || seen.has(key)) continue;
    seen.add(key);
    const cited = citedRule(world, d);
    const c = cited?.kind === 'iptables' ? removeRule(d, cited) : cited?.kind === 'nft' ? removeNftRule(d, cited) : null;
    if (c) out.push(c);
  }
  return out;
}

/**
 * The deciding DROP, by who wrote it: an administrator's rule can be removed; one of Docker's own is only shown,
 * never applied; another manager's (ufw, firewalld) is that manager's to change.
 */
function removeRule(d: DecisionOf<'rule'>, cited: Extract<CitedRule, { kind: 'iptables' }>): Candidate | null {
  const rule = cited.parsed.args;
  if (rule.length === 0 || cited.parsed.problems.length > 0) return null;
  const v6 = cited.ip6tables ? ['ip6tables'] : [];
  const step: PlanStep = { kind: 'iptables-delete', host: d.host, table: cited.table, chain: cited.chain, rule, position: d.index, ...(cited.ip6tables ? { ip6tables: true } : {}) };
  const where = `${cited.ip6tables ? 'ip6tables ' : ''}${cited.table} ${cited.chain} #${d.index}`;
  const owner = cited.meaning?.owner ?? 'admin';
  if (owner === 'admin' || owner === 'netdiag') {
    // netdiag's own rule belongs to the fix or plan that wrote it: rolling that back removes all of its rules together.
    const ours = cited.meaning?.netdiagId ?? null;
    const note = ours ? `netdiag wrote this rule for ${ours}: netdiag rollback ${ours} removes it with the rest of that change.` : 'Someone added this rule on purpose: check why before removing it.';
    // Whatever loaded the rule (a saved rule file, a script at boot) loads it again: only the live copy goes.
    const persistence = ours
      ? { daemonRestart: true, reboot: true, keep: `Removing it is lasting only if ${ours} is not re-applied.` }
      : { daemonRestart: true, reboot: false, keep: `Whatever added it at boot adds it again: remove it there too (/etc/iptables/rules.v${cited.ip6tables ? 6 : 4}, a unit or script), then save the live rules.` };
    return { id: fixId(['remove-rule', d.host, step.table, ...v6, d.text]), kind: 'remove-rule', title: `remove ${ours ? `netdiag's rule (${ours})` : "the administrator's rule"} that drops it (${where})`, steps: [step], scope: 'everything that rule was dropping', note, discouraged: false, persistence };
  }
  if (owner !== 'docker') return null;
  return {
    id: fixId(['edit-docker-chain', d.host, step.table, ...v6, d.text]),
    kind: 'edit-docker-chain',
    title: `delete Docker's own rule ${where} (discouraged)`,
    steps: [step],
    scope: 'everything that rule isolates, for every container on the networks it names',
    note: `${DOCKER_CHAINS.has(cited.chain) ? `Docker owns ${cited.chain} and rewrites it` : 'Docker wrote this rule and rewrites it'} whenever the daemon restarts or a network changes, so this fix silently disappears; it also opens far more than this pair.`,
    discouraged: true,
    persistence: { daemonRestart: false, reboot: false, keep: 'It cannot be made to stay: Docker puts the rule back. Change what Docker is told instead (the networks, or DOCKER-USER).' },
  };
}

/** An operator's own nftables rule that drops it (not Docker's, not a manager's): removing it, restorable where it was. */
function removeNftRule(d: DecisionOf<'rule'>, cited: Extract<CitedRule, { kind: 'nft' }>): Candidate | null {
  const owner = cited.meaning?.owner ?? 'admin';
  if ((owner !== 'admin' && owner !== 'netdiag') || cited.rule.ref.handle === undefined) return null;
  const { index } = cited;
  return {
    id: fixId(['nft-remove-rule', d.host, d.table, cited.chain, String(cited.rule.ref.handle), d.text]),
    kind: 'remove-rule',
    title: `remove the rule that drops it (${d.table} ${cited.chain} handle ${cited.rule.ref.handle})`,
    steps: [{ kind: 'nft-delete', host: d.host, family: cited.family, table: cited.table, chain: cited.chain, handle: cited.rule.ref.handle, index, rule: { expr: cited.rule.expr, comment: cited.rule.comment } }],
    scope: 'everything that rule was dropping',
    note: `Someone put this rule in ${d.table} on purpose: check why before removing it. Rollback puts it back at the same place.`,
    discouraged: false,
    persistence: { daemonRestart: true, reboot: false, keep: 'Whatever loaded it at boot loads it again: remove it from that file too (/etc/nftables.conf or what it includes).' },
  };
}
