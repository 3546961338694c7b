// One direction of a connection being walked: the packet as it is now, the hops recorded so far, and how it ended.
import { familyOf, ipText, isLinkLocal6, isLoopback, isMulticast, parseIp, unspecified } from '../addr/addr.js';
import type { Family, Ip } from '../addr/addr.js';
import type { MatchHost, Packet } from '../iptables/packet.js';
import type { Endpoint, HostModel, RouteEntry, World } from '../model/types.js';
import type { Neighbour } from '../../snapshot/host-snapshot.js';
import type { Decision, DecisionKind, DecisionOf, Flow, Hop, Place, Step } from '../../snapshot/contract.js';
import { recorded } from './action.js';
import type { StepInput } from './action.js';
import { causeCode } from '../meaning/decision.js';

/** Where a packet ended up: a container's address, or a host's own stack (its address, maybe a proxy). */
export type Landing = { kind: 'container'; endpoint: Endpoint; /** The address it arrived at when not the endpoint's (Docker's resolver on loopback). */ address?: string } | { kind: 'host'; host: HostModel };

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
  /** Translated inside this container namespace (by its own NAT), not on the host: the namespace owner's ID. */
  netns?: string;
  from: { ip: Ip; port: number | null };
  to: { ip: Ip; port: number | null };
}

export const EPHEMERAL_PORT = 40000;

/** An address with a port, bracketed for IPv6 ([fd00:2::3]:80) as every tool prints it. */
export const addrPort = (ip: Ip, port: number | null) => (port === null ? ipText(ip) : typeof ip === 'bigint' ? `[${ipText(ip)}]:${port}` : `${ipText(ip)}:${port}`);

/** ICMP echo request and reply types: 8/0 in ICMP, 128/129 in ICMPv6. */
const ECHO = { 4: { request: 8, reply: 0 }, 6: { request: 128, reply: 129 } } as const;

/** A packet of `flow` to `dst`; `src` null leaves the source to the kernel's choice (the unspecified address of dst's family). */
export function newPacket(flow: Flow, dst: Ip, src: Ip | null, direction: 'request' | 'reply'): Packet {
  const icmp = flow.proto === 'icmp';
  const family = familyOf(dst);
  src ??= unspecified(family);
  return {
    family,
    src,
    dst,
    proto: flow.proto,
    sport: icmp ? null : direction === 'request' ? EPHEMERAL_PORT : flow.port,
    dport: icmp ? null : direction === 'request' ? flow.port : EPHEMERAL_PORT,
    icmpType: icmp ? ECHO[family][direction] : null,
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

/**
 * The address a host's own stack sends from on `dev` when the route names no preferred source: for IPv4 the
 * interface's primary address; for IPv6 a global one before a link-local one (RFC 6724's scope rule).
 */
export function hostSource(host: HostModel, dev: string | null, family: Family): Ip | null {
  let linkLocal: Ip | null = null;
  for (const [ip, i] of host.localAddrs) {
    if (i !== dev || familyOf(ip) !== family) continue;
    if (!isLinkLocal6(ip)) return ip;
    linkLocal ??= ip;
  }
  return linkLocal;
}

/** What `-m addrtype` asks of the host evaluating a packet. */
export function hostMatch(host: HostModel): MatchHost {
  return {
    addrType(ip, iface) {
      if (isLoopback(ip)) return 'LOCAL';
      const owner = host.localAddrs.get(ip);
      if (owner !== undefined && (iface === null || owner === iface)) return 'LOCAL';
      if (typeof ip === 'number' && (ip === 0xffffffff || host.broadcastAddrs.has(ip))) return 'BROADCAST';
      if (isMulticast(ip)) return 'MULTICAST';
      return 'UNICAST';
    },
  };
}

/** What a decision of one kind says besides what every decision says (kind, host, direction, reason, place). */
export type DecisionFields<K extends DecisionKind> = Omit<DecisionOf<K>, 'kind' | 'host' | 'direction' | 'reason' | 'at'>;
/** The fields argument: required when the kind has required fields (a rule decision cannot be built without its rule). */
type FieldsArg<K extends DecisionKind> = {} extends DecisionFields<K> ? [fields?: DecisionFields<K>] : [fields: DecisionFields<K>];

/** How a place reads for people: the trace's `node` (programs read `at`). */
function nodeText(kind: Place['kind'], host: string, name: string): string {
  switch (kind) {
    case 'container':
      return `container ${name} (${host})`;
    case 'bridge':
      return `host ${host} (bridge ${name})`;
    case 'host':
    case 'segment':
      return `host ${host}`;
    case 'lan':
      return `beyond ${host}'s ${name}`;
    case 'overlay':
      return `host ${host} (overlay ${name})`;
  }
}

export class Leg {
  hops: Hop[] = [];
  steps: Step[] = [];
  acceptedBy: Decision | null = null;
  /** Hosts entered from the LAN, per destination: a second visit means the path loops. */
  readonly visited = new Set<string>();
  /** Set when the leg left its host, or asked the hosts in view who holds a next hop (a LAN, a bridged segment). */
  beyond = false;
  /** How many places the leg has entered (counted even when no trace is recorded). */
  places = 0;
  /** A VXLAN packet's leg: the UDP port the receiving node's VXLAN socket takes it on (no listener in `ss`). */
  tunnelPort: number | null = null;
  /**
   * Where the routes alone take the packet (Batfish's ignoreFilters): a drop, forwarding switched off or no socket
   * does not stop it. What netdiag cannot evaluate still does. Set for the walk that finds a root cause before a drop.
   */
  ignoreDrops = false;
  /** The last route the packet took, and where it was looked up: the route that brings it to where it lands. */
  lastRoute: { at: Place | undefined; table: string | null; entry: RouteEntry } | null = null;
  // The place the packet is in, kept as parts: a verdict-only walk builds no object for it unless a decision cites it.
  private placeKind: Place['kind'] | null = null;
  private placeHost = '';
  private placeName = '';

  constructor(
    readonly world: World,
    readonly direction: 'request' | 'reply',
    readonly pkt: Packet,
    readonly nat: NatRecord[],
    /** false for verdict-only walks (matrix, plan predictions): no trace is built, which is most of a walk's cost. */
    readonly record = true,
  ) {}

  /** What finds a next hop's link-layer address: ARP for IPv4, neighbour discovery for IPv6. */
  get resolver(): string {
    return this.pkt.family === 4 ? 'ARP' : 'neighbour solicitation (NDP)';
  }

  /** br_netfilter hands bridged IPv4 to iptables and bridged IPv6 to ip6tables, each behind its own switch. */
  brNetfilter(host: HostModel): boolean | null {
    return this.pkt.family === 4 ? host.brNetfilter : host.brNetfilter6;
  }

  /**
   * What the sending namespace's neighbour table said of the next hop, when its last resolution failed: evidence only
   * (the kernel tries again on the next packet; who answers is decided by what is on the bridge).
   */
  neighbourNote(neighbours: Neighbour[], dev: string | null, hop: Ip): void {
    if (!this.record) return;
    const n = neighbours.find((x) => x.dev === dev && parseIp(x.dst) === hop);
    if (n && n.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE')) {
      this.note(() => ({ type: 'note', text: `its ${this.pkt.family === 4 ? 'ARP' : 'NDP'} entry for ${ipText(hop)} on ${dev} is ${n.state.join(',')}: the last time it asked, nothing answered` }));
    }
  }

  /** Record a step (only when the trace is recorded: `make` is not even called otherwise); its action is decided here. */
  note(make: () => StepInput): void {
    if (this.record) this.steps.push(recorded(make()));
  }

  /** The packet enters a place: a container's namespace, a host's stack, a host's netfilter on a bridge, a host across a segment. */
  enter(kind: Place['kind'], host: string, name: string): void {
    this.places++;
    this.placeKind = kind;
    this.placeHost = host;
    this.placeName = name;
    if (!this.record) return;
    this.steps = [];
    this.hops.push({ node: nodeText(kind, host, name), at: { kind, host, name }, steps: this.steps });
  }

  /** Where the packet is now, as the trace names it. */
  place(): Place | undefined {
    return this.placeKind === null ? undefined : { kind: this.placeKind, host: this.placeHost, name: this.placeName };
  }

  done(outcome: LegResult['outcome'], decidedBy: Decision | null, landing: Landing | null): LegResult {
    return { outcome, hops: this.hops, decidedBy, acceptedBy: this.acceptedBy, landing, packet: outcome === 'delivered' ? { ...this.pkt } : null };
  }

  /**
   * A decision of one kind, with the fields that kind always has, decided at the place the packet is in; its code
   * the walk's own cause by kind, unless the deciding rule's meaning says more (in `fields`).
   */
  decision<K extends DecisionKind>(kind: K, host: string, reason: string, ...fields: FieldsArg<K>): DecisionOf<K> {
    const code = causeCode(kind, fields[0]);
    const d = { kind, host, direction: this.direction, reason, ...(code ? { code } : {}), ...fields[0] } as DecisionOf<K>;
    // Where it was decided is for the trace: a verdict-only walk (matrix, predictions) makes no place.
    const at = this.record ? this.place() : undefined;
    if (at) d.at = at;
    return d;
  }

  /** The leg ends here: what netdiag cannot evaluate or did not collect is unknown, anything else dropped. */
  stopped(d: Decision): LegResult {
    // A frame that needs the switch to reflect it depends on what netdiag cannot see: unknown, naming the switch.
    const unseen = d.kind === 'unknown-rule' || d.kind === 'missing-data' || d.kind === 'exit' || (d.kind === 'lower' && d.cause === 'hairpin') || (d.kind === 'overlay' && (d.cause === 'encrypted' || d.cause === 'no-namespace'));
    return this.done(unseen ? 'unknown' : 'dropped', d, null);
  }
}
