// A container namespace's own NAT on what it sends: Docker's embedded DNS redirect (127.0.0.11:53 → the socket dockerd
// holds there, by iptables DOCKER_OUTPUT on 20.10–28 or Docker 29's `ip docker-dns`), and conntrack undoing it on the reply.
import { isLoopback, parseIp } from '../addr/addr.js';
import type { MatchHost } from '../iptables/packet.js';
import type { ContainerModel } from '../model/types.js';
import { walkHook } from '../netfilter/walk-chain.js';
import type { HookOutcome } from '../netfilter/walk-chain.js';
import { walkNftChain } from '../nftables/eval.js';
import { seesFamily, tableOf } from '../nftables/model.js';
import type { Decision, RuleRef } from '../../snapshot/contract.js';
import { DOCKER_DNS, isDockerDnsRule } from '../meaning/layouts.js';
import { addrPort } from './leg.js';
import type { Leg } from './leg.js';
import { applyNat, undoNat } from './nat.js';

export const RESOLVER_IP = parseIp(DOCKER_DNS.address) as number;

export interface SandboxNat {
  /** What stops the packet here: a rule netdiag cannot evaluate, or the namespace's NAT not collected for 127.0.0.11. */
  stop: Decision | null;
  /** Docker's resolver rule redirected it: the socket it lands on is dockerd's. */
  resolver: boolean;
}

/** `-m addrtype` inside a container: its loopback and its own addresses are local. */
export function containerMatch(c: ContainerModel): MatchHost {
  return { addrType: (ip) => (isLoopback(ip) || c.endpoints.some((e) => e.ip === ip) ? 'LOCAL' : 'UNICAST') };
}

/** Every nat base chain on the output hook of the namespace: iptables' nat OUTPUT, then native nat chains by priority. */
function outputNat(w: Leg, c: ContainerModel): { outcome: HookOutcome; table: string; chain: string } | null {
  const dns = c.dns!;
  const runs: { outcome: HookOutcome; table: string; chain: string }[] = [];
  if (dns.ruleset) runs.push({ outcome: walkHook(dns.ruleset.get('nat'), 'OUTPUT', w.pkt, containerMatch(c)), table: 'nat', chain: 'OUTPUT' });
  for (const ch of [...(dns.nft?.baseChains ?? [])].filter((x) => x.hook === 'output' && x.type === 'nat' && seesFamily(x.family, w.pkt.family)).sort((a, b) => (a.prio ?? 0) - (b.prio ?? 0))) {
    runs.push({ outcome: walkNftChain(tableOf(dns.nft!, ch), ch, w.pkt, containerMatch(c)), table: `${ch.family} ${ch.table}`, chain: ch.name });
  }
  for (const r of runs) {
    if (r.outcome.path.length > 0 || r.outcome.verdict !== 'ACCEPT') w.note(() => ({ type: 'chain', table: r.table, chain: r.chain, in: null, out: null, verdict: r.outcome.verdict, decidedBy: r.outcome.decidedBy, policy: null, path: r.outcome.path }));
    if (r.outcome.verdict !== 'ACCEPT' || r.outcome.nat) return r;
  }
  return null;
}

/** The rule that redirected the packet, as the decision that let it reach the resolver. */
function redirectedBy(w: Leg, c: ContainerModel, ref: RuleRef, dockers: boolean): Decision {
  const what = dockers ? `Docker's embedded DNS rule sends it to dockerd's resolver at ${addrPort(w.pkt.dst, w.pkt.dport)}` : `it is redirected to ${addrPort(w.pkt.dst, w.pkt.dport)}`;
  return w.decision('rule', c.host.name, `${ref.table} ${ref.chain} rule ${ref.index} in ${c.name}'s namespace: ${what}: ${ref.text}`, { ...ref, in: null, out: null, code: dockers ? 'dns' : 'dnat', owner: dockers ? 'docker' : 'admin' });
}

/** The namespace's NAT on a packet leaving it: DNAT on a request, conntrack's un-DNAT on a reply. */
export function sandboxNat(w: Leg, c: ContainerModel): SandboxNat {
  const p = w.pkt;
  if (w.direction === 'reply') {
    undoNat(w, c.host, 'dnat', c.netnsOwnerId);
    return { stop: null, resolver: false };
  }
  const dns = c.dns;
  if (!dns || (!dns.ruleset && !dns.nft)) {
    // Only the resolver's address depends on these rules: anything else a container sends is walked as before.
    if (p.dst !== RESOLVER_IP || p.proto === 'icmp') return { stop: null, resolver: false };
    const why = c.dns ? 'could not be read (see the snapshot\'s errors)' : 'were not collected';
    return { stop: w.decision('missing-data', c.host.name, `the container's DNS rules ${why}: netdiag cannot tell whether ${c.name}'s namespace sends ${DOCKER_DNS.address}:${DOCKER_DNS.port} to Docker's resolver; collect a new snapshot`, { missing: 'dns-rules' }), resolver: false };
  }
  if (p.ctstate !== 'NEW') return { stop: null, resolver: false };
  const r = outputNat(w, c);
  if (!r) return { stop: null, resolver: false };
  const ref = r.outcome.decidedBy;
  if (r.outcome.verdict === 'unknown') return { stop: w.decision('unknown-rule', c.host.name, `netdiag cannot evaluate ${r.table} ${r.chain} in ${c.name}'s namespace${ref ? `: ${ref.text}` : ''}`, ref ? { table: ref.table, chain: ref.chain, index: ref.index, text: ref.text } : { table: r.table, chain: r.chain }), resolver: false };
  if (r.outcome.verdict !== 'ACCEPT') {
    return { stop: w.decision('unknown-rule', c.host.name, `${r.table} ${r.chain} in ${c.name}'s namespace ${r.outcome.verdict === 'DROP' ? 'drops' : 'rejects'} it; netdiag models only NAT there${ref ? `: ${ref.text}` : ''}`, ref ? { table: ref.table, chain: ref.chain, index: ref.index, text: ref.text } : { table: r.table, chain: r.chain }), resolver: false };
  }
  const cannot = applyNat(w, c.host, r.outcome, null, null);
  if (cannot) return { stop: cannot, resolver: false };
  const last = w.nat[w.nat.length - 1];
  // Conntrack in this namespace, not the host's: only the reply leaving this namespace is un-NATed by it.
  if (last) last.netns = c.netnsOwnerId;
  const dockers = ref !== null && isDockerDnsRule(ref.table, ref.chain) && p.dst === RESOLVER_IP;
  if (ref) w.acceptedBy = redirectedBy(w, c, ref, dockers);
  return { stop: null, resolver: dockers };
}

/** Said when the resolver's socket took the query: whose it is, since the container's processes do not hold it. */
export function resolverSocketNote(w: Leg): void {
  w.note(() => ({ type: 'note', text: `${addrPort(w.pkt.dst, w.pkt.dport)} is dockerd's embedded DNS resolver: dockerd opens it inside this namespace from outside the container's processes, so no process of the container holds it` }));
}
