// A packet as netfilter sees it at one hook: its family, addresses, ports, interfaces, conntrack state, mark.
import type { Family, Ip } from '../addr/addr.js';

export interface Packet {
  /** IPv4 or IPv6: which rule set (iptables or ip6tables, ip or ip6 nft tables) sees it. */
  family: Family;
  src: Ip;
  dst: Ip;
  proto: 'icmp' | 'tcp' | 'udp';
  sport: number | null;
  dport: number | null;
  /** ICMP type and code (echo request 8/0, reply 0/0; ICMPv6 echo request 128/0, reply 129/0). */
  icmpType: number | null;
  icmpCode: number | null;
  inIface: string | null;
  outIface: string | null;
  /** Bridge ports, when br_netfilter hands a bridged frame to iptables. */
  physIn: string | null;
  physOut: string | null;
  bridged: boolean;
  ctstate: 'NEW' | 'ESTABLISHED' | 'RELATED';
  /** The connection's original direction destination, for --ctorigdst (conntrack remembers it through DNAT). */
  origDst: Ip;
  origDport: number | null;
  origSrc: Ip;
  mark: number;
  /**
   * The VNI in a VXLAN packet's header: set on the outer packet an overlay sends (moby's encrypted overlays match it
   * with u32); absent or null on every other packet, and then a rule matching it cannot be told.
   */
  vni?: number | null;
}

/** What matches need to know about the host evaluating the packet. */
export interface MatchHost {
  /** addrtype: the kernel's address type of an address (LOCAL, UNICAST, BROADCAST …), optionally limited to an interface. */
  addrType(ip: Ip, iface: string | null): string;
}
