// A container namespace's own NAT on what arrives in it: moby's REDIRECT of an ingress-published port to the task's
// target port (libnetwork service_linux.go redirector: nat PREROUTING -d <ingress ip> --dport <published> -j REDIRECT),
// remembered by the namespace's conntrack so the reply leaves from the published port again.
import { ipText } from '../addr/addr.js';
import type { ContainerModel } from '../model/types.js';
import { walkHook } from '../netfilter/walk-chain.js';
import type { Decision } from '../../snapshot/contract.js';
import { addrPort } from './leg.js';
import type { Leg } from './leg.js';
import { containerMatch } from './sandbox-nat.js';

/**
 * nat PREROUTING of `c`'s namespace on a new connection arriving on `iface`: REDIRECT sends it to the incoming
 * interface's own address (nf_nat_redirect: its first address) at the rule's port; DNAT to its address. Null when
 * the packet goes on (changed or not); a decision when netdiag cannot evaluate the chain.
 */
export function sandboxArrival(w: Leg, c: ContainerModel, iface: string): Decision | null {
  const p = w.pkt;
  const rules = c.dns?.ruleset;
  if (w.direction !== 'request' || p.ctstate !== 'NEW' || !rules) return null;
  p.inIface = iface;
  p.outIface = null;
  const o = walkHook(rules.get('nat'), 'PREROUTING', p, containerMatch(c));
  if (o.path.length === 0 && o.verdict === 'ACCEPT') return null;
  w.note(() => ({ type: 'chain', table: 'nat', chain: 'PREROUTING', in: iface, out: null, verdict: o.verdict, decidedBy: o.decidedBy, policy: null, path: o.path }));
  const ref = o.decidedBy;
  if (o.verdict !== 'ACCEPT') return w.decision('unknown-rule', c.host.name, `netdiag cannot evaluate nat PREROUTING in ${c.name}'s namespace${ref ? `: ${ref.text}` : ''}`, ref ? { table: 'nat', chain: ref.chain, index: ref.index, text: ref.text } : { table: 'nat', chain: 'PREROUTING' });
  const n = o.nat;
  if (!n || (n.kind !== 'REDIRECT' && n.kind !== 'DNAT')) return null;
  const own = c.endpoints.find((e) => e.iface === iface && typeof e.ip === typeof p.dst);
  const toIp = n.kind === 'DNAT' ? (n.toIp ?? p.dst) : (own?.ip ?? p.dst);
  const from = { ip: p.dst, port: p.dport };
  p.dst = toIp;
  p.dport = n.toPort && p.dport !== null ? n.toPort[0] : p.dport;
  // Conntrack in this namespace: the reply leaving it is un-NATed there (sandbox-nat.ts undoes the namespace's DNATs).
  w.nat.push({ host: c.host, kind: 'dnat', netns: c.netnsOwnerId, from, to: { ip: p.dst, port: p.dport } });
  w.note(() => ({ type: 'nat', kind: n.kind === 'DNAT' ? 'DNAT' : 'REDIRECT', from: addrPort(from.ip, from.port), to: addrPort(p.dst, p.dport), address: ipText(p.dst), rule: ref }));
  return null;
}
