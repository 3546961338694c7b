// Fix: an accept for exactly the pair in DOCKER-USER (ip6tables' own for IPv6), in one family or both.
import type { AddressAnswer, FixPersistence, Flow, PlanStep, WhyAnswer } from '../../../snapshot/contract.js';
import type { Family } from '../../addr/addr.js';
import type { ContainerModel } from '../../model/types.js';
import { flowText } from '../../query/flow.js';
import { fixId, leastLasting } from './candidate.js';
import type { Candidate } from './candidate.js';
import { ADMIN_CHAIN } from '../../meaning/layouts.js';

const familyOfAnswer = (x: AddressAnswer): Family => (x.family === 'ipv4' ? 4 : 6);

/** An accept for exactly the pair in one family's rule set, its rules made for whichever fix carries them. */
export interface Accept {
  /** The address it opens. */
  ip: string;
  /** The fix's ID when it is a fix of its own. */
  id: string;
  title: string;
  scope: string;
  note: string;
  persistence: FixPersistence;
  /** Its rules, tagged with the ID of the fix that carries them (rollback deletes exactly those). */
  steps(id: string): PlanStep[];
}

/**
 * The addresses the packet carries where it is dropped: a host on the way may have masqueraded the source (a peer
 * host's Docker NATs its containers out), or DNAT rewritten the destination (a published port). The accept must
 * name those, not the ones A sent.
 */
function asForwarded(x: AddressAnswer): { src: string | null; dst: string } {
  let src = x.source;
  let dst = x.ip;
  for (const hop of x.request) {
    for (const st of hop.steps) {
      if (st.type !== 'nat') continue;
      if (st.kind === 'SNAT' || st.kind === 'MASQUERADE') src = st.address;
      if (st.kind === 'DNAT') dst = st.address;
    }
  }
  return { src, dst };
}

/**
 * An accept for exactly the pair, in the family's own rule set: iptables' DOCKER-USER for IPv4, ip6tables' for IPv6.
 * Docker before 27 makes no IPv6 DOCKER-USER; then the accept goes on top of ip6tables FORWARD, which a daemon restart
 * puts its own jumps above (said in the note).
 */
export function dockerUserAccept(a: ContainerModel, b: ContainerModel | null, answer: WhyAnswer, flow: Flow, family: Family): Accept | null {
  const blocked = answer.addresses.find((x) => x.verdict === 'blocked' && familyOfAnswer(x) === family);
  const at = blocked ? asForwarded(blocked) : null;
  const src = at?.src ?? null;
  const dst = at?.dst ?? '';
  // On the host that drops it (a peer's FORWARD, for a request that crossed hosts), else B's.
  const host = [b?.host, a.host].find((h) => h && h.name === blocked?.decidedBy?.host) ?? b?.host ?? a.host;
  const filter = (family === 4 ? host.ruleset : host.ruleset6)?.get('filter');
  if (!blocked || !src || !filter?.has('FORWARD')) return null;
  const chain = filter.has(ADMIN_CHAIN) ? ADMIN_CHAIN : family === 6 ? 'FORWARD' : null;
  if (!chain) return null;
  const six = family === 6;
  const proto = ['-p', flow.proto === 'icmp' && six ? 'ipv6-icmp' : flow.proto];
  const bits = six ? '/128' : '/32';
  return {
    ip: blocked.ip,
    id: fixId(['docker-user', host.name, src, dst, flow.proto, String(flow.port)]),
    title: `accept ${a.name} → ${blocked.ip} in ${six ? `ip6tables ${chain}` : chain}`,
    scope: src !== blocked.source ? `${src} → ${dst} (${flowText(flow)}) and its replies: ${src} is ${a.name}'s ${blocked.source} as NAT leaves it on the way, so this lets through everything that NAT sends as ${src} too` : `exactly ${src} → ${dst} (${flowText(flow)}) and its replies; nothing else`,
    note:
      chain === ADMIN_CHAIN
        ? `DOCKER-USER is the chain Docker leaves to administrators: it is consulted first in FORWARD. Inserted with ${six ? 'ip6tables ' : ''}-I, ahead of any leftover -j RETURN.`
        : 'This Docker makes no DOCKER-USER chain in ip6tables (it does since 27.0): the accept goes on top of ip6tables FORWARD, and a daemon restart puts Docker\'s own jumps above it again.',
    // Docker creates DOCKER-USER but never flushes it; nothing reloads it at boot unless the administrator saves it.
    persistence: {
      daemonRestart: chain === ADMIN_CHAIN,
      reboot: false,
      keep:
        chain === ADMIN_CHAIN
          ? `To keep it across reboots: save it (Debian: apt install iptables-persistent; netfilter-persistent save writes /etc/iptables/rules.v${six ? 6 : 4}), or add the same ${six ? 'ip6tables' : 'iptables'} -I DOCKER-USER lines to a unit that runs after docker.service.`
          : 'To keep it: add it to a unit that runs after docker.service (after every daemon restart), or to your firewall tooling.',
    },
    steps(id) {
      // The comment carries the fix's ID, so rollback deletes exactly these rules and nothing an administrator wrote.
      const tag = ['-m', 'comment', '--comment', `netdiag:${id}`];
      const request = ['-s', `${src}${bits}`, '-d', `${dst}${bits}`, ...proto, ...(flow.port ? ['--dport', String(flow.port)] : []), ...tag, '-j', 'ACCEPT'];
      const reply = ['-s', `${dst}${bits}`, '-d', `${src}${bits}`, ...proto, ...(flow.port ? ['--sport', String(flow.port)] : []), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'];
      // Each -I lands on top: the reply rule first, so the request rule ends up above it.
      return [reply, request].map((rule) => ({ kind: 'iptables-insert' as const, host: host.name, table: 'filter', chain, rule, ...(six ? { ip6tables: true } : {}) }));
    },
  };
}

export const alone = (x: Accept): Candidate => ({ id: x.id, kind: 'docker-user', title: x.title, steps: x.steps(x.id), scope: x.scope, note: x.note, discouraged: false, persistence: x.persistence });

/** One candidate doing several: the same accept in each family's rule set, so neither is left blocked. */
export function together(parts: Accept[], a: ContainerModel): Candidate | null {
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
    persistence: leastLasting(parts.map((p) => p.persistence), parts.map((p) => `${p.ip.includes(':') ? 'IPv6' : 'IPv4'}: ${p.persistence.keep}`).join(' ')),
  };
}
