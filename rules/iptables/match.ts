// Evaluates one match against a packet: true, false, or unknown (a match netdiag does not model).
import { inCidr } from '../addr/addr.js';
import type { Match, PortRange } from './ast.js';
import type { MatchHost, Packet } from './packet.js';
import { matchU32 } from './u32.js';

export type Tri = boolean | 'unknown';

function ifaceMatches(pattern: string, name: string | null): boolean {
  if (name === null) return false;
  // iptables' `+` suffix is a prefix wildcard (br-+ matches every user-defined Docker bridge).
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

const inRanges = (p: number | null, ranges: PortRange[]) => p !== null && ranges.some(([lo, hi]) => p >= lo && p <= hi);

function evaluate(m: Match, p: Packet, host: MatchHost): Tri {
  switch (m.kind) {
    case 'src':
      return inCidr(p.src, m.cidr);
    case 'dst':
      return inCidr(p.dst, m.cidr);
    case 'in':
      return ifaceMatches(m.iface, p.inIface);
    case 'out':
      return ifaceMatches(m.iface, p.outIface);
    case 'proto':
      // ICMP over IPv6 is protocol 58 (ipv6-icmp): an ip6tables `-p icmp` (1) never matches a ping6.
      return m.proto === 'all' || m.proto === (p.proto === 'icmp' && p.family === 6 ? 'ipv6-icmp' : p.proto);
    case 'sport':
      return inRanges(p.sport, m.ranges);
    case 'dport':
      return inRanges(p.dport, m.ranges);
    case 'ports':
      return inRanges(p.sport, m.ranges) || inRanges(p.dport, m.ranges);
    case 'ctstate':
      // UNTRACKED/INVALID/SNAT/DNAT states are not states our packets are in.
      return m.states.includes(p.ctstate);
    case 'ctorigdst':
      return inCidr(p.origDst, m.cidr);
    case 'ctorigsrc':
      return inCidr(p.origSrc, m.cidr);
    case 'ctorigdstport':
      return inRanges(p.origDport, m.ranges);
    case 'addrtype': {
      const ip = m.side === 'src' ? p.src : p.dst;
      const iface = m.limitIface === 'in' ? p.inIface : m.limitIface === 'out' ? p.outIface : null;
      return m.types.includes(host.addrType(ip, iface));
    }
    case 'physdev':
      switch (m.option) {
        case 'in':
          return ifaceMatches(m.iface ?? '', p.physIn);
        case 'out':
          return ifaceMatches(m.iface ?? '', p.physOut);
        case 'is-bridged':
          return p.bridged;
        case 'is-in':
          return p.physIn !== null;
        case 'is-out':
          return p.physOut !== null;
      }
      return 'unknown';
    case 'icmp':
      if (p.proto !== 'icmp' || p.family !== m.family) return false;
      return (m.type === null || m.type === p.icmpType) && (m.code === null || m.code === p.icmpCode);
    case 'mark':
      return ((p.mark & m.mask) >>> 0) === ((m.value & m.mask) >>> 0);
    case 'iprange': {
      const ip = m.side === 'src' ? p.src : p.dst;
      return typeof ip === typeof m.from && ip >= m.from && ip <= m.to;
    }
    case 'comment':
      return true;
    case 'ipvs':
      return p.ipvs === true;
    case 'u32':
      return matchU32(m.tests, p);
    case 'policy':
      // netdiag walks no IPsec: an encrypted overlay's packets stop before encapsulation (an 'encrypted' decision).
      return m.pol === 'none';
    case 'unknown':
      return 'unknown';
  }
}

/** All matches of a rule (a conjunction): false wins over unknown, unknown over true. */
export function matchRule(matches: Match[], p: Packet, host: MatchHost): Tri {
  let result: Tri = true;
  for (const m of matches) {
    let r = evaluate(m, p, host);
    if (r !== 'unknown' && 'neg' in m && m.neg) r = !r;
    if (r === false) return false;
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}
