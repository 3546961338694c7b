// A walked packet as typed data (Batfish's Trace/Hop/Step, our names): the places it passed, what happened at each, and what decided.
import { z } from 'zod';

/** A rule netdiag cites: where it sits in its table, its text, and its counters. The one rule reference of the project. */
export const RuleRef = z.object({
  host: z.string(),
  table: z.string(),
  chain: z.string(),
  /** 1-based, as `iptables -L --line-numbers` counts (a native nftables rule: its position in its chain). */
  index: z.number().int(),
  text: z.string(),
  packets: z.number().int(),
  bytes: z.number().int(),
  /** A native nftables rule: its family and handle (iptables rules are named by table, chain and position). */
  family: z.string().optional(),
  handle: z.number().int().optional(),
  /** An ip6tables rule (IPv6's own rule set); absent for iptables' IPv4 rules. */
  ip6tables: z.boolean().optional(),
});
export type RuleRef = z.infer<typeof RuleRef>;

/**
 * A place a packet can be, by typed reference: a container's network namespace (`name` the container), a host's own
 * stack (`name` the host), a host's netfilter seeing a frame bridged on `name` (br_netfilter), a host reached
 * across a bridged segment, arriving on its bridge `name`, (lan) the link beyond a host's interface `name` (a LAN,
 * a tunnel), outside the hosts in view, (overlay) a swarm overlay network's own namespace on a host, `name` the
 * network (its bridge br0 and VXLAN device), or (balancer) a swarm load-balancing namespace where IPVS balances a
 * service's VIP or published port over its tasks: `lb_<network id prefix>` or `ingress_sbox`, `name` the namespace.
 */
export const Place = z.object({ kind: z.enum(['container', 'host', 'bridge', 'segment', 'lan', 'overlay', 'balancer']), host: z.string(), name: z.string() });
export type Place = z.infer<typeof Place>;

/**
 * What a step did to the packet, the same word whatever kind of step it is (Batfish's StepAction):
 * - forwarded: it moves on towards a next hop (a route out of an interface, a frame bridged to a port or to the
 *   host, docker-proxy relaying the connection);
 * - received: a route says this namespace owns the destination: up to its own stack;
 * - accepted: a chain let it through, or a socket takes it;
 * - dropped: discarded silently (a DROP rule or policy, forwarding off, a blackhole route, no neighbour answering;
 *   a broadcast route too: the walk follows unicast only);
 * - rejected: discarded and the sender told (a REJECT rule; no route, an unreachable or prohibit route: ICMP, or an
 *   error to a sender on the same host);
 * - refused: it reached the namespace but no socket takes it (TCP reset, ICMP port unreachable);
 * - delivered: it arrived at its destination's stack;
 * - transformed: its addresses or ports were rewritten (NAT, or conntrack undoing NAT on a reply);
 * - exited: it leaves the host on an interface;
 * - noted: nothing happened to it: evidence for the reader;
 * - unknown: netdiag cannot tell (a rule it cannot evaluate, sockets not collected).
 */
export const StepAction = z.enum(['forwarded', 'received', 'accepted', 'dropped', 'rejected', 'refused', 'delivered', 'transformed', 'exited', 'noted', 'unknown']);
export type StepAction = z.infer<typeof StepAction>;

const Verdict = z.enum(['ACCEPT', 'DROP', 'REJECT', 'unknown']);

export const Step = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('route'),
    action: StepAction,
    /** The table and route the kernel picked, or what it found instead. */
    table: z.string().nullable(),
    route: z.string().nullable(),
    dst: z.string(),
    result: z.enum(['forward', 'local', 'none', 'blackhole', 'unreachable', 'prohibit', 'broadcast']),
    outIface: z.string().nullable(),
    via: z.string().nullable(),
    /**
     * The policy rule (`ip rule`) whose lookup or action decided, as `ip rule show` prints it after its priority;
     * absent when the namespace has only the kernel's own rules (local, main, default).
     */
    rule: z.object({ priority: z.number().int(), text: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('bridge'),
    action: StepAction,
    bridge: z.string(),
    /** The port the frame came in by ('host' from the host's own stack), and, for people, where it goes. */
    from: z.string(),
    to: z.string(),
    result: z.enum(['bridged', 'to-host', 'no-neighbour']),
    brNetfilter: z.boolean().nullable(),
    /** The address the bridge was asked to find (the next hop). */
    nextHop: z.string(),
    /** The port the frame leaves by: a container's veth, or a port off the host; null to the host's own stack or when nothing answers. */
    toPort: z.string().nullable(),
    /** Where the frame lands: a container, the host's stack, or another host across the segment; null when nothing answers. */
    reaches: Place.nullable(),
  }),
  z.object({
    type: z.literal('chain'),
    action: StepAction,
    table: z.string(),
    chain: z.string(),
    in: z.string().nullable(),
    out: z.string().nullable(),
    verdict: Verdict,
    decidedBy: RuleRef.nullable(),
    policy: z.string().nullable(),
    path: z.array(RuleRef),
  }),
  z.object({
    type: z.literal('nat'),
    action: StepAction,
    /** IPVS: the kernel's virtual server rewrote the destination to the real server it picked (Masq), not a nat rule. */
    kind: z.enum(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'un-SNAT', 'un-DNAT', 'IPVS']),
    /** `from` and `to` for people (address:port); `address` for programs: the address the step rewrote, as it now is. */
    from: z.string(),
    to: z.string(),
    address: z.string(),
    rule: RuleRef.nullable(),
  }),
  z.object({ type: z.literal('sysctl'), action: StepAction, key: z.string(), value: z.string().nullable(), result: z.literal('dropped') }),
  /** `to` for people; `into` the namespace it was delivered to. */
  z.object({ type: z.literal('deliver'), action: StepAction, to: z.string(), address: z.string(), into: Place }),
  /** The last hop of a TCP or UDP question: the socket that takes it, or why none does. */
  z.object({
    type: z.literal('socket'),
    action: StepAction,
    proto: z.enum(['tcp', 'udp']),
    port: z.number().int(),
    result: z.enum(['listening', 'refused', 'not-collected']),
    /** The socket that takes it (address:port), when one does. */
    socket: z.string().nullable(),
    process: z.string().nullable(),
    /** What the namespace does listen on, when nothing takes this port. */
    listening: z.array(z.string()),
  }),
  /** docker-proxy on a published port: `to` for people; `into` the container it dials, at `address` (address:port). */
  z.object({ type: z.literal('proxy'), action: StepAction, listen: z.string(), to: z.string(), into: Place, address: z.string() }),
  /** `iface` as people read it (a bridge's ports off the host, joined); `toHost` the host in view that takes it, null when none does. */
  z.object({ type: z.literal('leave'), action: StepAction, iface: z.string(), nextHop: z.string(), toHost: z.string().nullable() }),
  z.object({ type: z.literal('note'), action: StepAction, text: z.string() }),
  /**
   * A frame of an overlay network wrapped in (encapsulate) or taken out of (decapsulate) a VXLAN packet: the inner
   * flow goes on inside the outer one, UDP from `outer.src` to `outer.dst`:`outer.port` (the peer host's data-path
   * address), which walks both hosts' own routes and rules; `vni` the network's VXLAN identifier.
   */
  z.object({
    type: z.literal('vxlan'),
    action: StepAction,
    op: z.enum(['encapsulate', 'decapsulate']),
    network: z.string(),
    vni: z.number().int().nullable(),
    /** The inner frame's destination address (the container's, on the overlay). */
    inner: z.string(),
    outer: z.object({ src: z.string().nullable(), dst: z.string(), port: z.number().int() }),
  }),
]);
export type Step = z.infer<typeof Step>;

/** One place of the path: `node` names it for people, `at` for programs (never parse `node`). */
export const Hop = z.object({ node: z.string(), at: Place, steps: z.array(Step) });
export type Hop = z.infer<typeof Hop>;

/**
 * What decided, as a code that Docker's iptables and nftables layouts share (a user sees "isolation" whichever backend
 * dropped the packet): a rule's meaning (decided once from the rule and Docker's data), a chain's policy, or the
 * walk's own cause (a route, a neighbour, a sysctl, a socket, where the request landed, what netdiag cannot tell).
 */
export const ReasonCode = z.enum([
  // A rule's meaning.
  'isolation',
  'internal',
  'icc-off',
  'direct-access',
  'unpublished-port',
  'loopback-publish',
  'admin-rule',
  'link',
  'published',
  'masquerade',
  'dnat',
  'proxy-return',
  'dns',
  'rule',
  // A chain's policy: Docker's FORWARD policy, or another chain's.
  'forward-policy',
  'policy',
  // The walk's own causes.
  'no-route',
  'no-neighbour',
  'ip-forward-off',
  'wrong-container',
  // The address is also another network's: subnets that overlap (two hosts on 172.17.0.0/16) send it to the wrong holder.
  'overlapping-subnet',
  // A macvlan or ipvlan child and its parent: a host never reaches its own children through the parent (nor they it);
  // children of a private port never reach each other; a parent that is down or a dummy carries nothing beyond.
  'parent-isolation',
  'lower-private',
  'parent-down',
  'no-uplink',
  // A swarm overlay: the sending node's overlay namespace has no entry for the address (NetworkDB never told it of
  // the endpoint), or its entry sends the frame to a node that no longer holds the endpoint (a stale entry).
  'overlay-no-peer',
  'overlay-stale-peer',
  // A swarm service balanced by IPVS: its virtual service has no task to send to (none, or all draining at weight 0),
  // or the packet for its VIP or published port was never marked, so IPVS never saw it and nothing takes it.
  'no-tasks',
  'not-balanced',
  'nothing-listens',
  'loopback-only',
  'unknown',
]);
export type ReasonCode = z.infer<typeof ReasonCode>;

/** What every decision says: on which host, for which direction (first), in one sentence for people, and where it was decided (last; inside a walk). */
const decided = { host: z.string(), direction: z.enum(['request', 'reply']) };
const said = {
  /** What it means, as a short code shared by Docker's iptables and nftables layouts (see ReasonCode). */
  code: ReasonCode.optional(),
  /** One sentence, for people. */
  reason: z.string(),
  /**
   * Set when it was decided on the VXLAN packet carrying an overlay network's frame, not on the frame itself: the
   * network, its VNI and the outer packet (UDP from `src` to `dst`:`port`, the nodes' data-path addresses).
   */
  tunnel: z.object({ network: z.string(), vni: z.number().int().nullable(), src: z.string().nullable(), dst: z.string(), port: z.number().int() }).optional(),
  at: Place.optional(),
};

/** The chain a policy belongs to; `ip6tables` when it is IPv6's rule set, `family` a native nftables one. */
const chainRef = { table: z.string(), chain: z.string(), family: z.string().optional(), ip6tables: z.boolean().optional() };
/** The interfaces the packet came in and was going out by at the deciding chain, as its chain step says (null: none yet). */
const ifaces = { in: z.string().nullable(), out: z.string().nullable() };

/**
 * What decided a verdict, one variant per kind: a rule, a chain policy, a missing route or neighbour, a sysctl, a rule
 * netdiag cannot evaluate, the edge of what we see, data not collected, (elsewhere) a request that lands in another
 * container holding the same address, or (socket) nothing listening.
 */
export const Decision = z.discriminatedUnion('kind', [
  /**
   * A rule: the RuleRef's fields, flat, the interfaces at its chain, and who wrote it (from its meaning: Docker
   * rewrites its own at every restart, an administrator's stays, another manager rewrites its own on reload).
   */
  z.object({ kind: z.literal('rule'), ...decided, ...RuleRef.shape, ...ifaces, owner: z.enum(['docker', 'admin', 'netdiag', 'manager']).optional(), ...said }),
  z.object({ kind: z.literal('policy'), ...decided, ...chainRef, ...ifaces, ...said }),
  /** No usable route (`result` as the route step says it, or `loop` when the path comes back to a host it passed). */
  z.object({ kind: z.literal('route'), ...decided, dst: z.string(), result: z.enum(['none', 'blackhole', 'unreachable', 'prohibit', 'broadcast', 'loop']), ...said }),
  /** Nothing on `bridge` answers ARP or NDP for `address`. */
  z.object({ kind: z.literal('neighbour'), ...decided, bridge: z.string(), address: z.string(), ...said }),
  z.object({ kind: z.literal('sysctl'), ...decided, key: z.string(), value: z.string(), ...said }),
  /** A rule or chain netdiag does not evaluate; what is known of it (a chain, a rule's text) is cited. */
  z.object({
    kind: z.literal('unknown-rule'),
    ...decided,
    ...RuleRef.omit({ host: true }).partial().shape,
    ...z.object(ifaces).partial().shape,
    ...said,
  }),
  /** The packet leaves the hosts in view, on `ifaces` towards `nextHop`. */
  z.object({ kind: z.literal('exit'), ...decided, ifaces: z.array(z.string()), nextHop: z.string(), ...said }),
  /**
   * What netdiag did not collect (`missing`: a host's routes, links, firewall, a namespace's sockets, a container's
   * namespace, its own NAT rules for Docker's resolver `dns-rules`, a swarm load-balancing namespace's IPVS `ipvs`), or what it does not model yet (`attachment`: an interface not on a bridge, `iface` naming it;
   * `forwarding`: a container that forwards; `reply`: a reply that does not come back).
   */
  z.object({
    kind: z.literal('missing-data'),
    ...decided,
    missing: z.enum(['routes', 'links', 'firewall', 'sockets', 'namespace', 'attachment', 'forwarding', 'reply', 'dns-rules', 'ipvs']),
    iface: z.string().optional(),
    ...said,
  }),
  /**
   * The request lands in another holder of the address: `landed` is where. The root cause when it is why the request
   * never reaches B: then `firstDrop` is the drop the walk met first on the way there (the trace shows it), which no
   * firewall change could turn into reaching B.
   */
  z.object({
    kind: z.literal('elsewhere'),
    ...decided,
    landed: Place,
    /** Where the request was meant to go (B). */
    expected: Place.optional(),
    /** The route that takes it to `landed`: where it was looked up, its table, and the route as `ip route` prints it. */
    route: z.object({ at: Place, table: z.string().nullable(), route: z.string() }).nullable().optional(),
    /** With code overlapping-subnet: the network holding the address where it lands, and B's (host, Docker network, interface, subnet). */
    overlap: z.array(z.object({ host: z.string(), network: z.string().nullable(), iface: z.string().nullable(), subnet: z.string() })).optional(),
    /**
     * With code overlapping-subnet, a Docker network's subnet colliding with a LAN/VPN prefix: the route that took the
     * packet (`at` where it was looked up, `route` as `ip route` prints it, its table), the Docker network, what it
     * collides with (an on-link LAN prefix, a route through gateway `via`, an address of the host's own, another
     * host's network in view: `host` is whose), and which won: the network's route shadows the LAN's (`network`), or the
     * LAN's route shadows the network (`lan`).
     */
    shadow: z
      .object({
        at: Place,
        route: z.string(),
        table: z.string().nullable(),
        network: z.object({ host: z.string(), name: z.string(), iface: z.string().nullable(), subnet: z.string() }),
        collidesWith: z.object({ kind: z.enum(['on-link', 'route', 'address', 'peer']), prefix: z.string(), route: z.string().nullable(), table: z.string().nullable(), iface: z.string().nullable(), via: z.string().nullable(), host: z.string() }),
        winner: z.enum(['network', 'lan']),
      })
      .optional(),
    /** The first drop on the way to `landed` (null: nothing drops it, it is delivered there). */
    firstDrop: z.object({ host: z.string(), kind: z.enum(['rule', 'policy', 'route', 'neighbour', 'sysctl', 'socket']), code: ReasonCode.optional(), reason: z.string() }).nullable().optional(),
    ...said,
  }),
  /**
   * No socket takes `address`:`port`: the port is bound only to loopback addresses (reachable from inside the
   * namespace alone), bound to other addresses but not this one, or bound nowhere.
   */
  /**
   * A macvlan or ipvlan child and its parent decide (the kernel's drivers/net/macvlan.c, ipvlan/): `cause` says how —
   * host-isolation: the host's own frames on `parent` never reach its children, nor theirs the host's stack;
   * private: children of a private port never reach each other; hairpin: the frame reaches a sibling only if the
   * switch on the wire reflects it (VEPA), which netdiag cannot see; parent-down: the parent has no carrier;
   * dummy-parent: Docker's dummy parent (no `-o parent`, or --internal) carries nothing beyond its children;
   * passthru: a passthru child takes every frame the parent receives; no-arp: an ipvlan l3/l3s child answers no ARP
   * or NDP, so only a route to it (via the host's address) reaches it.
   */
  z.object({
    kind: z.literal('lower'),
    ...decided,
    parent: z.string().nullable(),
    driver: z.enum(['macvlan', 'ipvlan']),
    mode: z.string().nullable(),
    cause: z.enum(['host-isolation', 'private', 'hairpin', 'parent-down', 'dummy-parent', 'passthru', 'no-arp']),
    ...said,
  }),
  z.object({ kind: z.literal('socket'), ...decided, proto: z.enum(['tcp', 'udp']), port: z.number().int(), address: z.string(), bound: z.enum(['loopback-only', 'other-address', 'nowhere']), ...said }),
  /**
   * A swarm overlay network decides (Docker's overlay driver: a bridge and a VXLAN device in the network's own
   * namespace, peers programmed by NetworkDB) — `cause`: no-peer: the sending node has no neighbour and forwarding
   * entry for `address`, so nothing answers its ARP; stale-peer: the entry sends the frame to `vtep`, a node that does
   * not hold the endpoint; encrypted: the network's VXLAN is carried in IPsec, which netdiag does not evaluate;
   * no-namespace: the network's namespace on `host` was not read.
   */
  z.object({
    kind: z.literal('overlay'),
    ...decided,
    network: z.string(),
    vni: z.number().int().nullable(),
    address: z.string(),
    vtep: z.string().nullable(),
    cause: z.enum(['no-peer', 'stale-peer', 'encrypted', 'no-namespace']),
    ...said,
  }),
  /**
   * A swarm service's IPVS virtual service decides (moby's lb_ / ingress_sbox namespaces; the kernel's ip_vs) —
   * `cause`: no-tasks: the virtual service `virtual` (FWM <mark>, or proto address:port) has no real server with a
   * weight above 0, so the kernel answers ICMP port unreachable (ip_vs_leave); not-balanced: no virtual service takes
   * the packet (its mark rule is missing), so it is delivered to `namespace` itself, where nothing of the service listens.
   */
  z.object({
    kind: z.literal('service'),
    ...decided,
    /** The swarm service, when netdiag could name it from the managers' list or the network's VIPs. */
    service: z.string().nullable(),
    namespace: z.string(),
    virtual: z.string().nullable(),
    address: z.string(),
    cause: z.enum(['no-tasks', 'not-balanced']),
    ...said,
  }),
]);
export type Decision = z.infer<typeof Decision>;
export type DecisionKind = Decision['kind'];
/** The variant of one kind. */
export type DecisionOf<K extends DecisionKind> = Extract<Decision, { kind: K }>;

export const AddressVerdict = z.enum(['reachable', 'blocked', 'unknown']);
export type AddressVerdict = z.infer<typeof AddressVerdict>;

/**
 * A pair's answer in the matrix: an address verdict, or `no-address` when the destination has addresses but none of
 * the family asked (-4/-6) — nothing to walk, which is neither blocked nor unknown.
 */
export const PairVerdict = z.enum(['reachable', 'blocked', 'unknown', 'no-address']);
export type PairVerdict = z.infer<typeof PairVerdict>;
