// The parsed form of an iptables rule: matches and a target, each kept with the words it came from.
import type { Cidr, Ip } from '../addr/addr.js';
import type { U32Test } from './u32.js';
export type PortRange = [number, number];

export type Match =
  | { kind: 'src' | 'dst'; cidr: Cidr; neg: boolean }
  | { kind: 'in' | 'out'; iface: string; neg: boolean }
  | { kind: 'proto'; proto: string; neg: boolean }
  | { kind: 'sport' | 'dport'; ranges: PortRange[]; neg: boolean }
  | { kind: 'ports'; ranges: PortRange[]; neg: boolean } // multiport --ports: either side
  | { kind: 'ctstate'; states: string[]; neg: boolean }
  | { kind: 'ctorigdst' | 'ctorigsrc'; cidr: Cidr; neg: boolean }
  | { kind: 'ctorigdstport'; ranges: PortRange[]; neg: boolean }
  | { kind: 'addrtype'; side: 'src' | 'dst'; types: string[]; neg: boolean; limitIface: 'in' | 'out' | null }
  | { kind: 'physdev'; option: 'in' | 'out' | 'is-bridged' | 'is-in' | 'is-out'; iface: string | null; neg: boolean }
  /** -m icmp --icmp-type (family 4) or -m icmp6 --icmpv6-type (family 6): each matches only its own protocol. */
  | { kind: 'icmp'; family: 4 | 6; type: number | null; code: number | null; neg: boolean }
  | { kind: 'mark'; value: number; mask: number; neg: boolean }
  | { kind: 'iprange'; side: 'src' | 'dst'; from: Ip; to: Ip; neg: boolean }
  | { kind: 'comment'; text: string }
  /** -m u32 --u32 EXPR: tests on the packet's bytes (swarm picks one overlay's VXLAN packets by VNI). */
  | { kind: 'u32'; tests: U32Test[]; text: string; neg: boolean }
  /** -m ipvs --ipvs: the packet belongs to an IPVS connection (xt_ipvs.c: skb->ipvs_property). */
  | { kind: 'ipvs'; neg: boolean }
  /** -m policy --dir in|out --pol none|ipsec: whether IPsec carried the packet (moby's encrypted overlays). */
  | { kind: 'policy'; dir: 'in' | 'out'; pol: 'none' | 'ipsec'; neg: boolean }
  /** A match netdiag does not model: a walk that reaches a decisive rule holding one cannot say what happens. */
  | { kind: 'unknown'; text: string };

export type Target =
  | { kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { kind: 'REJECT'; with: string | null }
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'LOG' | 'CHECKSUM' | 'none' }
  | { kind: 'MARK'; value: number; mask: number; op: 'set' | 'xset' | 'and' | 'or' | 'xor' }
  | { kind: 'MASQUERADE'; toPorts: PortRange | null }
  /** toIp null: `--to-source :PORT`, the address stays. */
  | { kind: 'SNAT'; toSource: string; toIp: Ip | null }
  | { kind: 'DNAT'; toIp: Ip | null; toPort: PortRange | null }
  | { kind: 'REDIRECT'; toPort: PortRange | null }
  | { kind: 'unknown'; name: string; text: string };

export interface ParsedRule {
  chain: string;
  /** The rule's words after `-A CHAIN`, as iptables takes them back (`iptables -D CHAIN …args`). */
  args: string[];
  matches: Match[];
  target: Target;
  /**
   * ipset matches (`-m set [!] --match-set NAME src|dst,…`): the walk cannot evaluate them (the sets' members are not
   * collected, so each is also an unknown match), but their names say who wrote the rule (Docker 28.0's
   * docker-ext-bridges-v4, an operator's blocklist …).
   */
  ipsets: { name: string; flags: string[]; neg: boolean }[];
  /** Options this parser could not read at all (an unknown module's own options are part of its unknown match). */
  problems: string[];
}

/** Targets that let the packet go on to the next rule. */
export function isNonTerminating(t: Target): boolean {
  return t.kind === 'LOG' || t.kind === 'CHECKSUM' || t.kind === 'none';
}
