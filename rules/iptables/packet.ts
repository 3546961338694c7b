// A packet as netfilter sees it at one hook: addresses, ports, interfaces, conntrack state, mark.
export interface Packet {
  src: number;
  dst: number;
  proto: 'icmp' | 'tcp' | 'udp';
  sport: number | null;
  dport: number | null;
  /** ICMP type and code (echo request 8/0, echo reply 0/0). */
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
  origDst: number;
  origDport: number | null;
  origSrc: number;
  mark: number;
}

/** What matches need to know about the host evaluating the packet. */
export interface MatchHost {
  /** addrtype: the kernel's address type of an address (LOCAL, UNICAST, BROADCAST …), optionally limited to an interface. */
  addrType(ip: number, iface: string | null): string;
}
