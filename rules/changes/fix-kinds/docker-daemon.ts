// Fix: Docker 29's nftables drops opened the way Docker provides, its own configuration (a firewall mark it accepts,
// direct routing allowed): a daemon.json change netdiag predicts and shows, never applies.
import type { Flow, PlanStep, WhyAnswer } from '../../../snapshot/contract.js';
import { citedRule } from '../cited-rule.js';
import type { ContainerModel, World } from '../../model/types.js';
import { flowText } from '../../query/flow.js';
import { fixId } from './candidate.js';
import type { Candidate } from './candidate.js';

/** The deciding drop in the answer (first blocked address), if it is a rule. */
const decidingRule = (answer: WhyAnswer) => {
  const d = answer.addresses.find((x) => x.verdict === 'blocked')?.decidedBy;
  return d && d.kind === 'rule' ? d : null;
};

/**
 * Docker 29's nftables backend has no DOCKER-USER, and an accept in another table does not undo its drops. What
 * opens them is Docker's own configuration: a firewall mark it accepts (--bridge-accept-fwmark, set on the pair by a
 * rule in netdiag's table), and for the raw direct-access drop, allow-direct-routing. Both restart dockerd.
 */
export function dockerNftOpening(world: World, a: ContainerModel, answer: WhyAnswer, flow: Flow): Candidate | null {
  const d = decidingRule(answer);
  const blocked = answer.addresses.find((x) => x.verdict === 'blocked');
  const cited = citedRule(world, d);
  if (!d || cited?.kind !== 'nft' || cited.meaning?.owner !== 'docker' || !blocked?.source) return null;
  const code = d.code ?? '';
  if (code === 'internal') return null;
  const raw = cited.meaning.code === 'direct-access';
  const id = fixId(['docker-nft', d.host, blocked.source, blocked.ip, flow.proto, String(flow.port)]);
  const l4 = flow.proto === 'icmp' ? [] : [{ match: { op: '==', left: { payload: { protocol: flow.proto, field: 'dport' } }, right: flow.port } }];
  const mark: PlanStep = {
    kind: 'nft-insert',
    host: d.host,
    family: 'inet',
    table: 'netdiag',
    chain: 'mark-forward',
    index: null,
    create: { type: 'filter', hook: 'forward', prio: -1, policy: 'accept' },
    rule: { expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: blocked.source } }, { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: blocked.ip } }, ...l4, { mangle: { key: { meta: { key: 'mark' } }, value: 1 } }], comment: `netdiag:${id}` },
  };
  const steps: PlanStep[] = [
    ...(raw ? [{ kind: 'docker-daemon-config' as const, host: d.host, key: 'allow-direct-routing', value: true }] : []),
    { kind: 'docker-daemon-config', host: d.host, key: 'bridge-accept-fwmark', value: '0x1/0x1' },
    mark,
  ];
  return {
    id,
    kind: 'docker-daemon',
    title: `let Docker accept ${a.name} → ${blocked.ip} by a firewall mark${raw ? ', with direct routing allowed' : ''}`,
    steps,
    scope: `${blocked.source} → ${blocked.ip} (${flowText(flow)}) is marked in table inet netdiag; Docker accepts marked packets on every bridge${raw ? ', and stops dropping direct access to every container' : ''}`,
    note: `Docker 29's nftables rules have no DOCKER-USER, and an accept in another table does not undo their drop. The daemon.json change restarts dockerd (and its containers): netdiag shows it and predicts it, never applies it.`,
    discouraged: false,
    persistence: { daemonRestart: true, reboot: false, keep: 'daemon.json stays; the marking rule in table inet netdiag is lost at reboot: add it to /etc/nftables.conf (or a file it includes).' },
  };
}
