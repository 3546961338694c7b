// Candidate fixes for a blocked pair, each predicted by re-running the model on a patched copy of the snapshots.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { buildWorld } from '../model/build.js';
import type { ContainerModel, World } from '../model/types.js';
import { qualifiedName, resolveContainer } from '../resolve.js';
import type { AddressVerdict } from '../../snapshot/contract.js';
import type { Flow } from '../../snapshot/contract.js';
import { walkFlow } from '../walk/flow.js';
import { why } from '../why.js';
import type { WhyAnswer } from '../why.js';
import { applyPatch } from './predict.js';
import { shortHash } from '../hash.js';
import { verdictOfAddresses } from '../matrix.js';
import { stepCommand } from './command.js';
import type { PlanStep } from './command.js';
import { tokenize } from '../iptables/tokenize.js';
import type { Patch } from './predict.js';

export interface Fix {
  id: string;
  kind: 'network-connect' | 'docker-user' | 'ip-forward' | 'remove-rule' | 'edit-docker-chain';
  title: string;
  commands: string[];
  scope: string;
  /** Pairs this fix opens besides the one asked about, as the model predicts them. */
  alsoOpens: string[];
  predicted: { forward: AddressVerdict; reverse: AddressVerdict };
  note: string;
  discouraged: boolean;
  patch: Patch | null;
  /** What --apply executes, in order; empty for a fix netdiag only explains. */
  steps: PlanStep[];
}

const SIDE_EFFECT_LIMIT = 60;

/** A fix's ID: stable for the same change on the same host, so applying it twice is recognised. */
function fixId(parts: string[]): string {
  return `fx-${shortHash(parts.join('\u0000'))}`;
}

/** A verdict only (no trace): side effects are counted over many pairs. */
function verdictOf(world: World, a: ContainerModel, b: ContainerModel, flow: Flow): AddressVerdict {
  return verdictOfAddresses(b, b.endpoints.map((e) => walkFlow(world, { kind: 'container', container: a }, e.ip, flow, 0, false).outcome));
}

/** Pairs whose verdict becomes reachable under the patch, besides A→B itself. */
function opened(before: World, after: World, flow: Flow, a: string, b: string, onlyInvolving: string[] | null): string[] {
  const cs = before.hosts.flatMap((h) => h.containers);
  const csAfter = after.hosts.flatMap((h) => h.containers);
  const byKey = new Map(csAfter.map((c) => [`${c.host.name}/${c.docker.id}`, c]));
  const out: string[] = [];
  for (const x of cs) {
    for (const y of cs) {
      if (x === y) continue;
      const kx = `${x.host.name}/${x.docker.id}`;
      const ky = `${y.host.name}/${y.docker.id}`;
      if (kx === a && ky === b) continue;
      if (onlyInvolving && !onlyInvolving.includes(kx) && !onlyInvolving.includes(ky)) continue;
      const ax = byKey.get(kx);
      const ay = byKey.get(ky);
      if (!ax || !ay) continue;
      if (verdictOf(after, ax, ay, flow) === 'reachable' && verdictOf(before, x, y, flow) !== 'reachable') out.push(`${qualifiedName(x, before)} → ${qualifiedName(y, before)}`);
    }
  }
  return out;
}

export function fixesFor(world: World, answer: WhyAnswer, flow: Flow): Fix[] {
  const snapshots: HostSnapshot[] = world.hosts.map((h) => h.snapshot);
  const a = resolveContainer(world, answer.from.name);
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  const fixes: (Omit<Fix, 'id' | 'alsoOpens' | 'predicted' | 'commands'> & { id: string })[] = [];
  const portMatch = flow.proto === 'icmp' ? '-p icmp' : `-p ${flow.proto} --dport ${flow.port}`;
  const portReply = flow.proto === 'icmp' ? '-p icmp' : `-p ${flow.proto} --sport ${flow.port}`;

  if (b && a.host === b.host) {
    // Either container can join the other's network; each way opens something different (one direction only).
    for (const [joiner, other] of [[a, b], [b, a]] as const) {
      for (const ep of other.endpoints) {
        const n = ep.network;
        if (!n || joiner.endpoints.some((e) => e.network?.id === n.id)) continue;
        fixes.push({
          id: fixId(['connect', joiner.host.name, joiner.docker.id, n.id]),
          kind: 'network-connect',
          title: `connect ${joiner.name} to ${n.name}`,
          steps: [{ kind: 'docker-network-connect', host: joiner.host.name, network: n.name, networkId: n.id, container: joiner.docker.id, containerName: joiner.name }],
          scope:
            joiner === a
              ? `${a.name} joins ${n.name}: it can reach every container there, and they can reach it at its new address`
              : `${b.name} joins ${n.name}: every container there can reach it at its new address`,
          note:
            joiner === a
              ? `This lets ${a.name} reach ${b.name}. ${b.name} reaching ${a.name}'s original address still needs ${b.name} connected to ${a.name}'s network too (docker network connect fixes one direction only).`
              : `${a.name} then reaches ${b.name} at its new address on ${n.name}, not at its current ones.`,
          discouraged: false,
          patch: { kind: 'network-connect', host: joiner.host.name, container: joiner.docker.id, network: n.id },
        });
      }
    }
  }

  const blockedAddr = answer.addresses.find((x) => x.verdict === 'blocked');
  const srcIp = blockedAddr?.source ?? null;
  const dstHost = b?.host ?? a.host;
  if (blockedAddr && srcIp && dstHost.ruleset?.get('filter')?.has('DOCKER-USER')) {
    const id = fixId(['docker-user', dstHost.name, srcIp, blockedAddr.ip, flow.proto, String(flow.port)]);
    // The comment carries the fix's ID, so rollback deletes exactly these rules and nothing an administrator wrote.
    const tag = `netdiag:${id}`;
    const rules = [
      `-A DOCKER-USER -s ${srcIp}/32 -d ${blockedAddr.ip}/32 ${portMatch} -m comment --comment ${tag} -j ACCEPT`,
      `-A DOCKER-USER -s ${blockedAddr.ip}/32 -d ${srcIp}/32 ${portReply} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${tag} -j ACCEPT`,
    ];
    fixes.push({
      id,
      kind: 'docker-user',
      title: `accept ${a.name} → ${blockedAddr.ip} in DOCKER-USER`,
      // Inserted last-first with -I, so the request rule ends up on top.
      steps: [...rules].reverse().map((r) => ({ kind: 'iptables-insert' as const, host: dstHost.name, table: 'filter', chain: 'DOCKER-USER', rule: tokenize(r).slice(2) })),
      scope: `exactly ${srcIp} → ${blockedAddr.ip} (${flow.proto === 'icmp' ? 'ping' : `${flow.port}/${flow.proto}`}) and its replies; nothing else`,
      note: 'DOCKER-USER is the chain Docker leaves to administrators: it is consulted first in FORWARD and survives daemon restarts (not reboots). Inserted with -I, ahead of any leftover -j RETURN.',
      discouraged: false,
      patch: { kind: 'docker-user-insert', host: dstHost.name, rules },
    });
  }

  for (const host of world.hosts) {
    if (host.ipForward === false) {
      fixes.push({
        id: fixId(['ip-forward', host.name]),
        kind: 'ip-forward',
        title: `enable forwarding on ${host.name}`,
        steps: [{ kind: 'sysctl', host: host.name, key: 'net.ipv4.ip_forward', value: '1' }],
        scope: `${host.name} forwards packets between all its interfaces`,
        note: 'Docker normally enables this itself; make it persistent in /etc/sysctl.d/.',
        discouraged: false,
        patch: { kind: 'sysctl', host: host.name, key: 'net.ipv4.ip_forward', value: '1' },
      });
    }
  }

  const d = answer.addresses.find((x) => x.verdict === 'blocked')?.decidedBy;
  if (d && d.kind === 'rule' && d.text && d.chain) {
    const dockerOwned = d.chain.startsWith('DOCKER') && d.chain !== 'DOCKER-USER';
    const isAdmin = d.chain === 'DOCKER-USER' || (!dockerOwned && !/(docker0|br-[0-9a-f]{12})/.test(d.text));
    if (isAdmin) {
      fixes.push({
        id: fixId(['remove-rule', d.host, d.table ?? 'filter', d.text]),
        kind: 'remove-rule',
        title: `remove the administrator's rule that drops it (${d.table} ${d.chain} #${d.index})`,
        steps: [{ kind: 'iptables-delete', host: d.host, table: d.table ?? 'filter', chain: d.chain, rule: tokenize(d.text).slice(2), position: d.index ?? 1 }],
        scope: 'everything that rule was dropping',
        note: 'Someone added this rule on purpose: check why before removing it.',
        discouraged: false,
        patch: { kind: 'delete-rule', host: d.host, table: d.table ?? 'filter', chain: d.chain, text: d.text },
      });
    } else if (dockerOwned) {
      fixes.push({
        id: fixId(['edit-docker-chain', d.host, d.table ?? 'filter', d.text]),
        kind: 'edit-docker-chain',
        title: `delete Docker's own rule ${d.table} ${d.chain} #${d.index} (discouraged)`,
        // Shown, never applied: netdiag does not edit chains Docker owns.
        steps: [],
        scope: `everything that rule isolates, for every container on the networks it names`,
        note: `Docker owns ${d.chain} and rewrites it whenever the daemon restarts or a network changes, so this fix silently disappears; it also opens far more than this pair. Prefer the fixes above.`,
        discouraged: true,
        patch: { kind: 'delete-rule', host: d.host, table: d.table ?? 'filter', chain: d.chain, text: d.text },
      });
    }
  }

  const aKey = `${a.host.name}/${a.docker.id}`;
  const bKey = b ? `${b.host.name}/${b.docker.id}` : '';
  const small = world.hosts.reduce((n, h) => n + h.containers.length, 0) <= SIDE_EFFECT_LIMIT;
  const predicted: Fix[] = fixes.map((f) => {
    const after = f.patch ? buildWorld(applyPatch(snapshots, f.patch)) : world;
    const forward = why(after, answer.from.name, answer.to.name, flow).verdict;
    const reverse = b ? why(after, answer.to.name, answer.from.name, flow).verdict : 'unknown';
    const alsoOpens = b ? opened(world, after, flow, aKey, bKey, small ? null : [aKey, bKey]) : [];
    const commands = f.steps.length > 0 ? f.steps.map(stepCommand) : [`iptables -w -t ${d?.table} -D ${d?.text?.slice(3)}`];
    return { ...f, commands, predicted: { forward, reverse }, alsoOpens };
  });
  const rank = (f: Fix) => (f.predicted.forward === 'reachable' ? 0 : 100) + (f.discouraged ? 50 : 0) + Math.min(f.alsoOpens.length, 40);
  return predicted.sort((x, y) => rank(x) - rank(y));
}
