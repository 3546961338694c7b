// NAT as the walk applies it: DNAT/REDIRECT before routing, SNAT/MASQUERADE after, and conntrack undoing both on replies.
import { familyOf, ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel } from '../model/types.js';
import type { HookOutcome } from '../netfilter/walk-chain.js';
import type { Decision } from '../../snapshot/contract.js';
import { addrPort, hostSource } from './leg.js';
import type { Leg } from './leg.js';

/** Apply what a nat chain decided; a Decision when netdiag cannot tell the address it picks. */
export function applyNat(leg: Leg, host: HostModel, o: HookOutcome, outIface: string | null, prefsrc: Ip | null): Decision | null {
  const p = leg.pkt;
  const n = o.nat;
  if (!n) return null;
  const rule = o.decidedBy;
  if (n.kind === 'DNAT' || n.kind === 'REDIRECT') {
    const from = { ip: p.dst, port: p.dport };
    let toIp = p.dst;
    if (n.kind === 'DNAT' && n.toIp !== null) {
      // An ip6tables DNAT names an IPv6 address, an iptables one IPv4; an inet nft rule could name either, and NAT never crosses families.
      if (familyOf(n.toIp) !== p.family) return leg.decision('unknown-rule', host.name, `DNAT to an address of the other family (${n.kind})`, rule ? { table: 'nat', chain: rule.chain, index: rule.index, text: rule.text } : {});
      toIp = n.toIp;
    }
    if (n.kind === 'REDIRECT') {
      // REDIRECT sends to the primary address of the incoming interface (127.0.0.1 or ::1 for locally generated packets).
      const a = [...host.localAddrs.entries()].find(([ip, i]) => i === p.inIface && familyOf(ip) === p.family)?.[0];
      toIp = a ?? (p.family === 4 ? 0x7f000001 : 1n);
    }
    p.dst = toIp;
    p.dport = n.toPort && p.dport !== null ? n.toPort[0] : p.dport;
    leg.nat.push({ host, kind: 'dnat', from, to: { ip: p.dst, port: p.dport } });
    leg.note(() => ({ type: 'nat', kind: n.kind, from: addrPort(from.ip, from.port), to: addrPort(p.dst, p.dport), address: ipText(p.dst), rule }));
    return null;
  }
  const from = { ip: p.src, port: p.sport };
  let toIp: Ip | null;
  if (n.kind === 'SNAT') {
    toIp = n.toIp ?? p.src;
  } else {
    // MASQUERADE takes the address the route to the destination prefers on the outgoing interface, of the packet's family.
    toIp = prefsrc ?? hostSource(host, outIface, p.family);
  }
  if (toIp !== null && familyOf(toIp) !== p.family) toIp = null;
  if (toIp === null) {
    return leg.decision('unknown-rule', host.name, `cannot tell the address ${n.kind} picks on ${outIface}`, rule ? { table: 'nat', chain: rule.chain, index: rule.index, text: rule.text } : {});
  }
  p.src = toIp;
  leg.nat.push({ host, kind: 'snat', from, to: { ip: p.src, port: p.sport } });
  leg.note(() => ({ type: 'nat', kind: n.kind === 'SNAT' ? 'SNAT' : 'MASQUERADE', from: addrPort(from.ip, from.port), to: addrPort(p.src, p.sport), address: ipText(p.src), rule }));
  return null;
}

/** Conntrack undoes NAT on replies: the destination at PREROUTING (un-SNAT), the source at POSTROUTING (un-DNAT). */
export function undoNat(leg: Leg, host: HostModel, kind: 'snat' | 'dnat', netns: string | null = null): void {
  if (leg.direction !== 'reply') return;
  const p = leg.pkt;
  for (const r of leg.nat) {
    // A translation is undone where it was made: the host's stack, or one container namespace's own NAT (`netns`).
    if (r.host !== host || r.kind !== kind || (r.netns ?? null) !== netns) continue;
    if (kind === 'snat' && p.dst === r.to.ip && (r.to.port === null || p.dport === r.to.port)) {
      const before = addrPort(p.dst, p.dport);
      p.dst = r.from.ip;
      p.dport = r.from.port;
      leg.note(() => ({ type: 'nat', kind: 'un-SNAT', from: before, to: addrPort(p.dst, p.dport), address: ipText(p.dst), rule: null }));
    }
    if (kind === 'dnat' && p.src === r.to.ip && (r.to.port === null || p.sport === r.to.port)) {
      const before = addrPort(p.src, p.sport);
      p.src = r.from.ip;
      p.sport = r.from.port;
      leg.note(() => ({ type: 'nat', kind: 'un-DNAT', from: before, to: addrPort(p.src, p.sport), address: ipText(p.src), rule: null }));
    }
  }
}
