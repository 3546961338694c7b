// Candidate fixes for a blocked pair: each is a list of typed steps, predicted by applying those steps to copies of the
// snapshots and asking the model again, ranked by whether it works, whether it is advisable, and how much more it opens.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { AddressAnswer, AddressVerdict, DecisionOf, Fix, Flow, PlanStep, WhyAnswer } from '../../snapshot/contract.js';
import type { Family } from '../addr/addr.js';
import { shortHash } from './hash.js';
import { flowText } from '../query/flow.js';
import { citedRule } from '../meaning/cited.js';
import { DOCKER_CHAINS } from '../meaning/layouts.js';
import type { CitedRule } from '../meaning/cited.js';
import { buildWorld } from '../model/build.js';
import type { ContainerModel, World } from '../model/types.js';
import { qualifiedName, resolveContainer } from '../query/resolve.js';
import { familyWord, pairVerdict } from '../why/verdict.js';
import { why } from '../why/why.js';
import { stepCommand } from './command.js';
import { applySteps } from './predict.js';

export type { Fix };

/** Beyond this many containers, "also opens" is counted only over pairs involving A or B. */
const SIDE_EFFECT_LIMIT = 60;

type Candidate = Omit<Fix, 'alsoOpens' | 'predicted' | 'commands'>;

/** A fix's ID: stable for the same change on the same host, so applying it twice is recognised. */
const fixId = (parts: string[]) => `fx-${shortHash(parts.join('\u0000'))}`;

const keyOf = (c: ContainerModel) => `${c.host.name}/${c.docker.id}`;

function networkConnects(a: ContainerModel, b: ContainerModel): Candidate[] {
  const out: Candidate[] = [];
  // Either container can join the other's network; each way opens something different (one direction only).
  for (const [joiner, other] of [[a, b], [b, a]] as const) {
    const seen = new Set<string>();
    for (const ep of other.endpoints) {
      const n = ep.network;
      // A dual-stack network is one network with two addresses: one candidate.
      if (!n || seen.has(n.id) || joiner.endpoints.some((e) => e.network?.id === n.id)) continue;
      seen.add(n.id);
      out.push({
        id: fixId(['connect', joiner.host.name, joiner.docker.id, n.id]),
        kind: 'network-connect',
        title: `connect ${joiner.name} to ${n.name}`,
        steps: [{ kind: 'docker-network-connect', host: joiner.host.name, network: n.name, networkId: n.id, container: joiner.docker.id, containerName: joiner.name }],
        scope: joiner === a ? `${a.name} joins ${n.name}: it can reach every container there, and they can reach it at its new address` : `${b.name} joins ${n.name}: every container there can reach it at its new address`,
        note:
          joiner === a
            ? `This lets ${a.name} reach ${b.name}. ${b.name} reaching ${a.name}'s original address still needs ${b.name} connected to ${a.name}'s network too (docker network connect fixes one direction only).`
            : `${a.name} then reaches ${b.name} at its new address on ${n.name}, not at its current ones.`,
        discouraged: false,
      });
    }
  }
  return out;
}

const familyOfAnswer = (x: AddressAnswer): Family => (x.family === 'ipv4' ? 4 : 6);

/** An accept for exactly the pair in one family's rule set, its rules made for whichever fix carries them. */
interface Accept {
  /** The address it opens. */
  ip: string;
  /** The fix's ID when it is a fix of its own. */
  id: string;
  title: string;
  scope: string;
  note: string;
  /** Its rules, tagged with the ID of the fix that carries them (rollback deletes exactly those). */
  steps(id: string): PlanStep[];
}

/**
 * An accept for exactly the pair, in the family's own rule set: iptables' DOCKER-USER for IPv4, ip6tables' for IPv6.
 * Docker before 27 makes no IPv6 DOCKER-USER; then the accept goes on top of ip6tables FORWARD, which a daemon restart
 * puts its own jumps above (said in the note).
 */
function dockerUserAccept(a: ContainerModel, b: ContainerModel | null, answer: WhyAnswer, flow: Flow, family: Family): Accept | null {
  const blocked = answer.addresses.find((x) => x.verdict === 'blocked' && familyOfAnswer(x) === family);
  const src = blocked?.source ?? null;
  const host = b?.host ?? a.host;
  const filter = (family === 4 ? host.ruleset : host.ruleset6)?.get('filter');
  if (!blocked || !src || !filter?.has('FORWARD')) return null;
  const chain = filter.has('DOCKER-USER') ? 'DOCKER-USER' : family === 6 ? 'FORWARD' : null;
  if (!chain) return null;
  const six = family === 6;
  const proto = ['-p', flow.proto === 'icmp' && six ? 'ipv6-icmp' : flow.proto];
  const bits = six ? '/128' : '/32';
  return {
    ip: blocked.ip,
    id: fixId(['docker-user', host.name, src, blocked.ip, flow.proto, String(flow.port)]),
    title: `accept ${a.name} → ${blocked.ip} in ${six ? `ip6tables ${chain}` : chain}`,
    scope: `exactly ${src} → ${blocked.ip} (${flowText(flow)}) and its replies; nothing else`,
    note:
      chain === 'DOCKER-USER'
        ? `DOCKER-USER is the chain Docker leaves to administrators: it is consulted first in FORWARD and survives daemon restarts (not reboots). Inserted with ${six ? 'ip6tables ' : ''}-I, ahead of any leftover -j RETURN.`
        : 'This Docker makes no DOCKER-USER chain in ip6tables (it does since 27.0): the accept goes on top of ip6tables FORWARD, and a daemon restart puts Docker\'s own jumps above it again. Persist it with your firewall tooling.',
    steps(id) {
      // The comment carries the fix's ID, so rollback deletes exactly these rules and nothing an administrator wrote.
      const tag = ['-m', 'comment', '--comment', `netdiag:${id}`];
      const request = ['-s', `${src}${bits}`, '-d', `${blocked.ip}${bits}`, ...proto, ...(flow.port ? ['--dport', String(flow.port)] : []), ...tag, '-j', 'ACCEPT'];
      const reply = ['-s', `${blocked.ip}${bits}`, '-d', `${src}${bits}`, ...proto, ...(flow.port ? ['--sport', String(flow.port)] : []), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'];
      // Each -I lands on top: the reply rule first, so the request rule ends up above it.
      return [reply, request].map((rule) => ({ kind: 'iptables-insert' as const, host: host.name, table: 'filter', chain, rule, ...(six ? { ip6tables: true } : {}) }));
    },
  };
}

const alone = (x: Accept): Candidate => ({ id: x.id, kind: 'docker-user', title: x.title, steps: x.steps(x.id), scope: x.scope, note: x.note, discouraged: false });

/** One candidate doing several: the same accept in each family's rule set, so neither is left blocked. */
function together(parts: Accept[], a: ContainerModel): Candidate | null {
  if (parts.length < 2) return null;
  const id = fixId(['both', ...parts.map((p) => p.id)]);
  return {
    id,
    kind: 'docker-user',
    title: `accept ${a.name} → ${parts.map((p) => p.ip).join(' and ')} (IPv4 and IPv6)`,
    steps: parts.flatMap((p) => p.steps(id)),
    scope: parts.map((p) => p.scope).join('; '),
    note: [...new Set(parts.map((p) => p.note))].join(' '),
    discouraged: false,
  };
}

function ipForward(world: World, answer: WhyAnswer): Candidate[] {
  const v4 = world.hosts
    .filter((h) => h.ipForward === false)
    .map((h) => ({
      id: fixId(['ip-forward', h.name]),
      kind: 'ip-forward' as const,
      title: `enable forwarding on ${h.name}`,
      steps: [{ kind: 'sysctl' as const, host: h.name, key: 'net.ipv4.ip_forward', value: '1' }],
      scope: `${h.name} forwards packets between all its interfaces`,
      note: 'Docker normally enables this itself; make it persistent in /etc/sysctl.d/.',
      discouraged: false,
    }));
  // IPv6 forwarding is its own switch, and turning it on stops the kernel accepting router advertisements (accept_ra < 2).
  const v6Hosts = new Set(answer.addresses.filter((x) => x.verdict === 'blocked' && x.decidedBy?.kind === 'sysctl' && x.family === 'ipv6').map((x) => x.decidedBy?.host));
  const v6 = world.hosts
    .filter((h) => h.ipForward6 === false && v6Hosts.has(h.name))
    .map((h) => ({
      id: fixId(['ip6-forward', h.name]),
      kind: 'ip-forward' as const,
      title: `enable IPv6 forwarding on ${h.name}`,
      steps: [{ kind: 'sysctl' as const, host: h.name, key: 'net.ipv6.conf.all.forwarding', value: '1' }],
      scope: `${h.name} forwards IPv6 between all its interfaces`,
      note: 'With forwarding on, the kernel ignores router advertisements on interfaces whose accept_ra is below 2: set accept_ra=2 on the uplink first if its IPv6 default route comes from RA (netdiag doctor checks it). Persist both in /etc/sysctl.d/.',
      discouraged: false,
    }));
  return [...v4, ...v6];
}

/** The deciding DROPs, one per rule (IPv4 and IPv6 are often dropped by two rules of the same name). */
function removeRules(world: World, answer: WhyAnswer): Candidate[] {
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
  const step: PlanStep = { kind: 'iptables-delete', host: d.host, table: cited.table, chain: cited.chain, rule, position: d.index ?? 1, ...(cited.ip6tables ? { ip6tables: true } : {}) };
  const where = `${cited.ip6tables ? 'ip6tables ' : ''}${cited.table} ${cited.chain} #${d.index}`;
  const owner = cited.meaning?.owner ?? 'admin';
  if (owner === 'admin' || owner === 'netdiag') {
    return { id: fixId(['remove-rule', d.host, step.table, ...v6, d.text ?? '']), kind: 'remove-rule', title: `remove the administrator's rule that drops it (${where})`, steps: [step], scope: 'everything that rule was dropping', note: 'Someone added this rule on purpose: check why before removing it.', discouraged: false };
  }
  if (owner !== 'docker') return null;
  return {
    id: fixId(['edit-docker-chain', d.host, step.table, ...v6, d.text ?? '']),
    kind: 'edit-docker-chain',
    title: `delete Docker's own rule ${where} (discouraged)`,
    steps: [step],
    scope: 'everything that rule isolates, for every container on the networks it names',
    note: `${DOCKER_CHAINS.has(cited.chain) ? `Docker owns ${cited.chain} and rewrites it` : 'Docker wrote this rule and rewrites it'} whenever the daemon restarts or a network changes, so this fix silently disappears; it also opens far more than this pair. Prefer the fixes above.`,
    discouraged: true,
  };
}

/** The deciding drop in the answer (first blocked address), if it is a rule. */
const decidingRule = (answer: WhyAnswer) => {
  const d = answer.addresses.find((x) => x.verdict === 'blocked')?.decidedBy;
  return d && d.kind === 'rule' ? d : null;
};

/** An operator's own nftables rule that drops it (not Docker's, not a manager's): removing it, restorable where it was. */
function removeNftRule(d: DecisionOf<'rule'>, cited: Extract<CitedRule, { kind: 'nft' }>): Candidate | null {
  const owner = cited.meaning?.owner ?? 'admin';
  if ((owner !== 'admin' && owner !== 'netdiag') || cited.rule.ref.handle === undefined) return null;
  const chain = cited.host.nft?.tables.find((t) => t.family === cited.family && t.name === cited.table)?.chains.get(cited.chain);
  const index = chain?.rules.indexOf(cited.rule) ?? -1;
  if (index < 0) return null;
  return {
    id: fixId(['nft-remove-rule', d.host, d.table ?? '', cited.chain, String(cited.rule.ref.handle), d.text ?? '']),
    kind: 'remove-rule',
    title: `remove the rule that drops it (${d.table} ${cited.chain} handle ${cited.rule.ref.handle})`,
    steps: [{ kind: 'nft-delete', host: d.host, family: cited.family, table: cited.table, chain: cited.chain, handle: cited.rule.ref.handle, index, rule: { expr: cited.rule.expr, comment: cited.rule.comment } }],
    scope: 'everything that rule was dropping',
    note: `Someone put this rule in ${d.table} on purpose: check why before removing it. Rollback puts it back at the same place.`,
    discouraged: false,
  };
}

/**
 * Docker 29's nftables backend has no DOCKER-USER, and an accept in another table does not undo its drops. What
 * opens them is Docker's own configuration: a firewall mark it accepts (--bridge-accept-fwmark, set on the pair by a
 * rule in netdiag's table), and for the raw direct-access drop, allow-direct-routing. Both restart dockerd.
 */
function dockerNftOpening(world: World, a: ContainerModel, answer: WhyAnswer, flow: Flow): Candidate | null {
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
  };
}

/** Pairs that become reachable after the change, besides A → B itself (only pairs involving A or B on large hosts). */
function opened(before: World, after: World, flow: Flow, a: ContainerModel, b: ContainerModel, beforeCache: Map<string, AddressVerdict>): string[] {
  const cs = before.hosts.flatMap((h) => h.containers);
  const involved = cs.length <= SIDE_EFFECT_LIMIT ? null : new Set([keyOf(a), keyOf(b)]);
  const afterByKey = new Map(after.hosts.flatMap((h) => h.containers.map((c) => [keyOf(c), c])));
  const out: string[] = [];
  for (const x of cs) {
    for (const y of cs) {
      if (x === y || (x === a && y === b)) continue;
      if (involved && !involved.has(keyOf(x)) && !involved.has(keyOf(y))) continue;
      const ax = afterByKey.get(keyOf(x));
      const ay = afterByKey.get(keyOf(y));
      if (!ax || !ay || pairVerdict(after, ax, ay, flow) !== 'reachable') continue;
      const k = `${keyOf(x)}\u0000${keyOf(y)}`;
      let was = beforeCache.get(k);
      if (was === undefined) beforeCache.set(k, (was = pairVerdict(before, x, y, flow)));
      if (was !== 'reachable') out.push(`${qualifiedName(x, before)} → ${qualifiedName(y, before)}`);
    }
  }
  return out;
}

/** Ranked fixes for `answer` (a blocked pair), each predicted by the model on the changed snapshots. */
export function fixesFor(world: World, answer: WhyAnswer, flow: Flow): Fix[] {
  // The network delivers it and nothing listens: no firewall or network change makes a service appear.
  if (answer.addresses.every((x) => x.verdict !== 'blocked' || x.decidedBy?.kind === 'socket')) return [];
  // From the host itself, what blocks is the host's own OUTPUT or a peer's rules: no container-scoped fix applies.
  if (answer.from.kind !== 'container') return [];
  const snapshots: HostSnapshot[] = world.hosts.map((h) => h.snapshot);
  const a = resolveContainer(world, answer.from.name);
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  const accepts = ([4, 6] as const).map((f) => dockerUserAccept(a, b, answer, flow, f)).filter((c): c is Accept => c !== null);
  const candidates: Candidate[] = [
    ...(b && a.host === b.host ? networkConnects(a, b) : []),
    ...[together(accepts, a)].filter((c): c is Candidate => c !== null),
    ...accepts.map(alone),
    ...ipForward(world, answer),
    ...removeRules(world, answer),
    ...[dockerNftOpening(world, a, answer, flow)].filter((c): c is Candidate => c !== null),
  ];
  // The families the question covered: a fix is judged on each of them (one that opens IPv4 only says so).
  const families: Family[] = [...(answer.families.ipv4 !== null ? [4 as const] : []), ...(answer.families.ipv6 !== null ? [6 as const] : [])];
  const asked = families.length > 0 ? families : ([4, 6] as Family[]);
  const beforeCache = new Map<string, AddressVerdict>();
  // The name shown for a host or an address ("host h1 (172.17.0.1)") is not one resolve() reads back: ask by address.
  const toQuery = answer.to.kind === 'container' ? answer.to.name : (answer.addresses[0]?.ip ?? answer.to.name);
  const predicted: Fix[] = candidates.map((f) => {
    const after = buildWorld(applySteps(snapshots, f.steps));
    const fw = why(after, answer.from.name, toQuery, flow, asked);
    const reverse = b ? why(after, answer.to.name, answer.from.name, flow, asked).verdict : 'unknown';
    const alsoOpens = b ? opened(world, after, flow, a, b, beforeCache) : [];
    const left = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] !== null && fw.families[k] !== 'reachable');
    const open = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] === 'reachable');
    const partial = fw.verdict === 'reachable' && left.length > 0 ? ` It opens ${open.map(familyWord).join(' and ')} only: over ${left.map(familyWord).join(' and ')} ${answer.to.name} stays ${left.map((k) => fw.families[k]).join('/')}.` : '';
    return { ...f, note: f.note + partial, commands: f.steps.map(stepCommand), alsoOpens, predicted: { forward: fw.verdict, reverse, families: fw.families } };
  });
  // An accept that does not make it reachable is no fix (one in DOCKER-USER cannot undo another table's drop).
  const useful = predicted.filter((f) => f.kind !== 'docker-user' || f.predicted.forward === 'reachable');
  // A fix that leaves one family blocked ranks below one that opens every family asked about.
  const halfway = (f: Fix) => (['ipv4', 'ipv6'] as const).filter((k) => f.predicted.families[k] !== null && f.predicted.families[k] !== 'reachable').length;
  const rank = (f: Fix) => (f.predicted.forward === 'reachable' ? 0 : 100) + (f.discouraged ? 50 : 0) + halfway(f) * 45 + Math.min(f.alsoOpens.length, 40);
  return useful.sort((x, y) => rank(x) - rank(y));
}
