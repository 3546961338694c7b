// One direction of a connection being walked: the packet as it is now, the hops recorded so far, and how it ended.
import { numberToIp } from '../iptables/addr.js';
import type { MatchHost, Packet } from '../iptables/packet.js';
import type { Endpoint, HostModel, World } from '../model/types.js';
import type { Decision, Flow, Hop, Step } from '../../snapshot/contract.js';

/** Where a packet ended up: a container's address, or a host's own stack (its address, maybe a proxy). */
export type Landing = { kind: 'container'; endpoint: Endpoint } | { kind: 'host'; host: HostModel };

export interface LegResult {
  outcome: 'delivered' | 'dropped' | 'unknown';
  hops: Hop[];
  decidedBy: Decision | null;
  /** The rule that let the packet through the last filter hook it crossed (for reachable explanations). */
  acceptedBy: Decision | null;
  landing: Landing | null;
  /** The packet as delivered (addresses after NAT), for the reply. */
  packet: Packet | null;
}

/** A translation conntrack remembers, so the reply can be un-NATed on the same host. */
export interface NatRecord {
  host: HostModel;
  kind: 'snat' | 'dnat';
  from: { ip: number; port: number | null };
  to: { ip: number; port: number | null };
}

export const EPHEMERAL_PORT = 40000;

export const addrPort = (ip: number, port: number | null) => (port === null ? numberToIp(ip) : `${numberToIp(ip)}:${port}`);

export function newPacket(flow: Flow, dst: number, src: number, direction: 'request' | 'reply'): Packet {
  const icmp = flow.proto === 'icmp';
  return {
    src,
    dst,
    proto: flow.proto,
    sport: icmp ? null : direction === 'request' ? EPHEMERAL_PORT : flow.port,
    dport: icmp ? null : direction === 'request' ? flow.port : EPHEMERAL_PORT,
    icmpType: icmp ? (direction === 'request' ? 8 : 0) : null,
    icmpCode: icmp ? 0 : null,
    inIface: null,
    outIface: null,
    physIn: null,
    physOut: null,
    bridged: false,
    ctstate: direction === 'request' ? 'NEW' : 'ESTABLISHED',
    origDst: dst,
    origDport: icmp ? null : flow.port,
    origSrc: src,
    mark: 0,
  };
}

/** What `-m addrtype` asks of the host evaluating a packet. */
export function hostMatch(host: HostModel): MatchHost {
  return {
    addrType(ip, iface) {
      if (ip >>> 24 === 127) return 'LOCAL';
      const owner = host.localAddrs.get(ip);
      if (owner !== undefined && (iface === null || owner === iface)) return 'LOCAL';
      if (ip === 0xffffffff || host.broadcastAddrs.has(ip)) return 'BROADCAST';
      if (ip >>> 28 === 0xe) return 'MULTICAST';
      return 'UNICAST';
    },
  };
}

export class Leg {
  hops: Hop[] = [];
  steps: Step[] = [];
  acceptedBy: Decision | null = null;
  /** Hosts entered from the LAN, per destination: a second visit means the path loops. */
  readonly visited = new Set<string>();

  constructor(
    readonly world: World,
    readonly direction: 'request' | 'reply',
    readonly pkt: Packet,
    readonly nat: NatRecord[],
    /** false for verdict-only walks (matrix, plan predictions): no trace is built, which is most of a walk's cost. */
    readonly record = true,
  ) {}

  note(make: () => Step): void {
    if (this.record) this.steps.push(make());
  }

  enter(node: string): void {
    this.steps = [];
    this.hops.push({ node, steps: this.steps });
  }

  done(outcome: LegResult['outcome'], decidedBy: Decision | null, landing: Landing | null): LegResult {
    return { outcome, hops: this.hops, decidedBy, acceptedBy: this.acceptedBy, landing, packet: outcome === 'delivered' ? { ...this.pkt } : null };
  }

  decision(kind: Decision['kind'], host: string, reason: string, extra: Partial<Decision> = {}): Decision {
    return { kind, host, direction: this.direction, reason, ...extra };
  }

  /** The leg ends here: what netdiag cannot evaluate or did not collect is unknown, anything else dropped. */
  stopped(d: Decision): LegResult {
    return this.done(d.kind === 'unknown-rule' || d.kind === 'missing-data' || d.kind === 'exit' ? 'unknown' : 'dropped', d, null);
  }
}
