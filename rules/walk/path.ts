// The packet walk, in the kernel's order: source namespace routing, veth and bridge, the host's netfilter hooks and
// routing decision, other hosts on the LAN, delivery; then the reply under conntrack with NAT undone.
import { inCidr, ipToNumber, maskOf, numberToIp } from '../iptables/addr.js';
import type { MatchHost, Packet } from '../iptables/packet.js';
import type { ContainerModel, Endpoint, HostModel, World } from '../model/types.js';
import type { TableName } from '../netfilter/ruleset.js';
import { walkHook } from '../netfilter/walk-chain.js';
import type { HookOutcome } from '../netfilter/walk-chain.js';
import type { Decision, Hop, Step } from '../../snapshot/trace.js';
import { routeLookup } from './routing.js';
import type { RouteDecision } from './routing.js';

export interface Flow {
  proto: 'icmp' | 'tcp' | 'udp';
  /** Destination port for tcp/udp. */
  port: number | null;
}

export type Origin = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel };

/** Where a packet ended up: a container's address, or a host's own stack (its address, maybe a proxy). */
type Landing = { kind: 'container'; endpoint: Endpoint } | { kind: 'host'; host: HostModel };

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

export interface FlowResult {
  outcome: 'reachable' | 'blocked' | 'unknown';
  request: Hop[];
  reply: Hop[];
  decidedBy: Decision | null;
  /** Where the request was finally delivered: a container (possibly behind DNAT or a proxy) or a host. */
  deliveredTo: string | null;
  /** The source address the origin's routing picked for the request. */
  source: string | null;
}

interface NatRecord {
  host: HostModel;
  kind: 'snat' | 'dnat';
  from: { ip: number; port: number | null };
  to: { ip: number; port: number | null };
}

const EPHEMERAL_PORT = 40000;

function hostMatch(host: HostModel): MatchHost {
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

const addrPort = (ip: number, port: number | null) => (port === null ? numberToIp(ip) : `${numberToIp(ip)}:${port}`);

class Walker {
  hops: Hop[] = [];
  steps: Step[] = [];
  acceptedBy: Decision | null = null;
  private visited = new Set<string>();

  constructor(
    readonly world: World,
    readonly direction: 'request' | 'reply',
    readonly pkt: Packet,
    readonly nat: NatRecord[],
    /** false for verdict-only walks (matrix, plan predictions): no trace is built, which is most of a walk's cost. */
    readonly record = true,
  ) {}

  private note(make: () => Step): void {
    if (this.record) this.steps.push(make());
  }

  private enter(node: string): void {
    this.steps = [];
    this.hops.push({ node, steps: this.steps });
  }

  private done(outcome: LegResult['outcome'], decidedBy: Decision | null, landing: Landing | null): LegResult {
    return { outcome, hops: this.hops, decidedBy, acceptedBy: this.acceptedBy, landing, packet: outcome === 'delivered' ? { ...this.pkt } : null };
  }

  private decision(kind: Decision['kind'], host: string, reason: string, extra: Partial<Decision> = {}): Decision {
    return { kind, host, direction: this.direction, reason, ...extra };
  }

  // ---------- netfilter ----------

  /** Run one table's hook; returns a decision when it stops the packet. Records the step. */
  private hook(host: HostModel, table: TableName, chain: string, inIface: string | null, outIface: string | null): { stop: Decision | null; outcome: HookOutcome } {
    const p = this.pkt;
    p.inIface = inIface;
    p.outIface = outIface;
    const outcome = walkHook(host.ruleset?.get(table), chain, p, hostMatch(host));
    const interesting = outcome.path.length > 0 || outcome.verdict !== 'ACCEPT' || (outcome.policyOf !== null && table === 'filter');
    if (interesting) {
      this.note(() => ({ type: 'chain', table, chain, in: inIface, out: outIface, verdict: outcome.verdict, decidedBy: outcome.decidedBy, policy: outcome.decidedBy ? null : outcome.policyOf ? (host.ruleset?.get(table)?.get(chain)?.policy ?? null) : null, path: outcome.path }));
    }
    if (outcome.verdict === 'unknown') {
      const r = outcome.decidedBy!;
      return { stop: this.decision('unknown-rule', host.name, `netdiag cannot evaluate ${table} ${r.chain} rule ${r.index}: ${r.text}`, { table, chain: r.chain, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes }), outcome };
    }
    if (outcome.verdict === 'DROP' || outcome.verdict === 'REJECT') {
      if (outcome.decidedBy) {
        const r = outcome.decidedBy;
        return { stop: this.decision('rule', host.name, `${table} ${r.chain} rule ${r.index} ${outcome.verdict === 'DROP' ? 'drops' : 'rejects'} it: ${r.text}`, { table, chain: r.chain, index: r.index, text: r.text, packets: r.packets, bytes: r.bytes }), outcome };
      }
      return { stop: this.decision('policy', host.name, `no rule accepts it and ${table} ${chain}'s policy is DROP`, { table, chain }), outcome };
    }
    if (table === 'filter' && this.record) {
      this.acceptedBy = outcome.decidedBy
        ? this.decision('rule', host.name, `${table} ${outcome.decidedBy.chain} rule ${outcome.decidedBy.index} accepts it: ${outcome.decidedBy.text}`, { table, chain: outcome.decidedBy.chain, index: outcome.decidedBy.index, text: outcome.decidedBy.text, packets: outcome.decidedBy.packets, bytes: outcome.decidedBy.bytes })
        : this.decision('policy', host.name, `${table} ${chain}'s policy ACCEPT lets it through`, { table, chain });
    }
    return { stop: null, outcome };
  }

  private missingFirewall(host: HostModel): Decision | null {
    if (host.ruleset) return null;
    return this.decision('missing-data', host.name, `the firewall of ${host.name} was not collected (see the snapshot's errors)`);
  }

  /** Apply a NAT action from nat PREROUTING/OUTPUT (DNAT, REDIRECT) or POSTROUTING (SNAT, MASQUERADE). */
  private applyNat(host: HostModel, o: HookOutcome, outIface: string | null, prefsrc: number | null): Decision | null {
    const p = this.pkt;
    const n = o.nat;
    if (!n) return null;
    const rule = o.decidedBy;
    if (n.kind === 'DNAT' || n.kind === 'REDIRECT') {
      const from = { ip: p.dst, port: p.dport };
      let toIp = p.dst;
      if (n.kind === 'DNAT' && n.toIp !== null) toIp = n.toIp;
      if (n.kind === 'REDIRECT') {
        const a = [...host.localAddrs.entries()].find(([, i]) => i === p.inIface)?.[0];
        toIp = a ?? 0x7f000001;
      }
      const toPort = n.toPort && p.dport !== null ? n.toPort[0] : p.dport;
      p.dst = toIp;
      p.dport = toPort;
      this.nat.push({ host, kind: 'dnat', from, to: { ip: p.dst, port: p.dport } });
      this.note(() => ({ type: 'nat', kind: n.kind, from: addrPort(from.ip, from.port), to: addrPort(p.dst, p.dport), rule }));
      return null;
    }
    const from = { ip: p.src, port: p.sport };
    let toIp: number | null;
    if (n.kind === 'SNAT') {
      toIp = ipToNumber(n.toSource.split(':')[0] ?? '') ?? (n.toSource.startsWith(':') ? p.src : null);
    } else {
      // MASQUERADE takes the address the route to the destination prefers on the outgoing interface.
      toIp = prefsrc ?? [...host.localAddrs.entries()].find(([, i]) => i === outIface)?.[0] ?? null;
    }
    if (toIp === null) {
      return this.decision('unknown-rule', host.name, `cannot tell the address ${n.kind} picks on ${outIface}`, rule ? { table: 'nat', chain: rule.chain, index: rule.index, text: rule.text } : {});
    }
    p.src = toIp;
    this.nat.push({ host, kind: 'snat', from, to: { ip: p.src, port: p.sport } });
    this.note(() => ({ type: 'nat', kind: n.kind === 'SNAT' ? 'SNAT' : 'MASQUERADE', from: addrPort(from.ip, from.port), to: addrPort(p.src, p.sport), rule }));
    return null;
  }

  /** Conntrack undoes NAT on replies: the destination at PREROUTING (un-SNAT), the source at POSTROUTING (un-DNAT). */
  private unNat(host: HostModel, kind: 'snat' | 'dnat'): void {
    if (this.direction !== 'reply') return;
    const p = this.pkt;
    for (const r of this.nat) {
      if (r.host !== host || r.kind !== kind) continue;
      if (kind === 'snat' && p.dst === r.to.ip && (r.to.port === null || p.dport === r.to.port)) {
        const before = addrPort(p.dst, p.dport);
        p.dst = r.from.ip;
        p.dport = r.from.port;
        this.note(() => ({ type: 'nat', kind: 'un-SNAT', from: before, to: addrPort(p.dst, p.dport), rule: null }));
      }
      if (kind === 'dnat' && p.src === r.to.ip && (r.to.port === null || p.sport === r.to.port)) {
        const before = addrPort(p.src, p.sport);
        p.src = r.from.ip;
        p.sport = r.from.port;
        this.note(() => ({ type: 'nat', kind: 'un-DNAT', from: before, to: addrPort(p.src, p.sport), rule: null }));
      }
    }
  }

  private routeStep(d: RouteDecision, dst: number): void {
    const e = d.entry;
    const result = d.kind === 'unicast' ? 'forward' : d.kind;
    this.note(() => ({
      type: 'route',
      table: d.table,
      route: e ? [e.route.type !== 'unicast' ? e.route.type : '', e.route.dst === '0.0.0.0/0' ? 'default' : e.route.dst, e.route.gateway ? `via ${e.route.gateway}` : '', e.route.dev ? `dev ${e.route.dev}` : ''].filter(Boolean).join(' ') : null,
      dst: numberToIp(dst),
      result,
      outIface: e?.route.dev ?? null,
      via: e?.route.gateway ?? null,
    }));
  }

  // ---------- places ----------

  /** A packet leaves a container's namespace (originated there, or a reply from there). */
  fromContainer(c: ContainerModel, depth = 0): LegResult {
    if (c.netns === 'host') return this.fromHost(c.host, depth);
    this.enter(`container ${c.name} (${c.host.name})`);
    if (!c.routing) return this.done('unknown', this.decision('missing-data', c.host.name, `container ${c.name}'s namespace was not read (see the snapshot's errors)`), null);
    const p = this.pkt;
    const d = routeLookup(c.routing, p.dst, null, null, p.mark);
    this.routeStep(d, p.dst);
    if (d.kind === 'local') {
      const ep = c.endpoints.find((e) => e.ip === p.dst);
      this.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: numberToIp(p.dst) }));
      return this.done('delivered', null, ep ? { kind: 'container', endpoint: ep } : null);
    }
    if (d.kind !== 'unicast' || !d.entry) {
      return this.done('dropped', this.decision('route', c.host.name, `container ${c.name} has no route to ${numberToIp(p.dst)}${d.kind !== 'none' ? ` (${d.kind} route)` : ''}`), null);
    }
    const dev = d.entry.route.dev;
    const ep = c.endpoints.find((e) => e.iface === dev) ?? null;
    if (p.src === 0) {
      // The kernel picks the route's preferred source, else the outgoing interface's address.
      p.src = d.entry.prefsrc ?? ep?.ip ?? 0;
      p.origSrc = p.src;
    }
    if (!ep || !ep.bridge) {
      return this.done('unknown', this.decision('missing-data', c.host.name, `container ${c.name}'s ${dev} is not attached to a bridge netdiag can see`), null);
    }
    const nextHop = d.entry.gateway ?? p.dst;
    return this.onBridge(c.host, ep.bridge, ep.hostVeth ?? ep.iface, nextHop, depth);
  }

  /** A frame on a bridge, from a container's veth or from the host itself, looking for `nextHop`. */
  private onBridge(host: HostModel, bridge: string, fromPort: string | 'host', nextHop: number, depth: number): LegResult {
    const p = this.pkt;
    const hostOwns = host.localAddrs.get(nextHop);
    if (hostOwns !== undefined) {
      this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${host.name} (${numberToIp(nextHop)})`, result: 'to-host', brNetfilter: host.brNetfilter }));
      return this.hostIn(host, bridge, depth);
    }
    const target = host.endpointsOnBridge.get(bridge)?.find((e) => e.ip === nextHop);
    if (!target) {
      this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: numberToIp(nextHop), result: 'no-neighbour', brNetfilter: host.brNetfilter }));
      return this.done('dropped', this.decision('neighbour', host.name, `nothing on bridge ${bridge} answers ARP for ${numberToIp(nextHop)}`), null);
    }
    this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${target.container.name} ${target.ipText} (${target.hostVeth})`, result: 'bridged', brNetfilter: host.brNetfilter }));
    // With br_netfilter, a frame bridged between two ports still crosses iptables as `-i br -o br` (how icc=false works).
    if (fromPort !== 'host' && host.brNetfilter) {
      const missing = this.missingFirewall(host);
      if (missing) return this.done('unknown', missing, null);
      p.physIn = fromPort;
      p.physOut = target.hostVeth;
      p.bridged = true;
      for (const [table, chain] of [['raw', 'PREROUTING'], ['mangle', 'PREROUTING']] as const) {
        const r = this.hook(host, table, chain, bridge, null);
        if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
      }
      if (p.ctstate === 'NEW') {
        const r = this.hook(host, 'nat', 'PREROUTING', bridge, null);
        if (r.stop) return this.done('unknown', r.stop, null);
        if (r.outcome.nat) {
          return this.done('unknown', this.decision('unknown-rule', host.name, 'a bridged frame was DNATed; netdiag does not follow re-routed bridged frames', r.outcome.decidedBy ? { text: r.outcome.decidedBy.text } : {}), null);
        }
      }
      for (const [table, chain] of [['mangle', 'FORWARD'], ['filter', 'FORWARD'], ['mangle', 'POSTROUTING']] as const) {
        const r = this.hook(host, table, chain, bridge, bridge);
        if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
      }
      if (p.ctstate === 'NEW') {
        const r = this.hook(host, 'nat', 'POSTROUTING', null, bridge);
        if (r.stop) return this.done('unknown', r.stop, null);
        const e = this.applyNat(host, r.outcome, bridge, null);
        if (e) return this.done('unknown', e, null);
      }
      p.physIn = p.physOut = null;
      p.bridged = false;
    }
    return this.intoContainer(target);
  }

  private intoContainer(ep: Endpoint): LegResult {
    const c = ep.container;
    this.enter(`container ${c.name} (${c.host.name})`);
    const p = this.pkt;
    const mine = c.endpoints.find((e) => e.ip === p.dst);
    if (!mine) {
      return this.done('unknown', this.decision('missing-data', c.host.name, `${numberToIp(p.dst)} is not an address of ${c.name}; netdiag does not model containers that forward`), null);
    }
    this.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: numberToIp(p.dst) }));
    return this.done('delivered', null, { kind: 'container', endpoint: mine });
  }

  /** A packet arrives on one of a host's interfaces and meets its stack: PREROUTING, routing, INPUT or FORWARD. */
  private hostIn(host: HostModel, iface: string, depth: number): LegResult {
    if (depth > 8) return this.done('unknown', this.decision('route', host.name, 'the path loops between hosts'), null);
    this.enter(`host ${host.name}`);
    const missing = this.missingFirewall(host);
    if (missing) return this.done('unknown', missing, null);
    const p = this.pkt;
    p.physIn = p.physOut = null;
    p.bridged = false;
    // raw sees the addresses as they arrive: before DNAT, and before conntrack undoes SNAT on a reply.
    for (const [table, chain] of [['raw', 'PREROUTING'], ['mangle', 'PREROUTING']] as const) {
      const r = this.hook(host, table, chain, iface, null);
      if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
    }
    this.unNat(host, 'snat');
    if (p.ctstate === 'NEW') {
      const r = this.hook(host, 'nat', 'PREROUTING', iface, null);
      if (r.stop) return this.done('unknown', r.stop, null);
      this.applyNat(host, r.outcome, null, null);
    }
    if (!host.routing) return this.done('unknown', this.decision('missing-data', host.name, `the routes of ${host.name} were not collected`), null);
    const d = routeLookup(host.routing, p.dst, p.src, iface, p.mark);
    this.routeStep(d, p.dst);
    if (d.kind === 'local') {
      for (const [table, chain] of [['mangle', 'INPUT'], ['filter', 'INPUT']] as const) {
        const r = this.hook(host, table, chain, iface, null);
        if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
      }
      this.note(() => ({ type: 'deliver', to: `host ${host.name}`, address: addrPort(p.dst, p.dport) }));
      return this.done('delivered', null, { kind: 'host', host });
    }
    if (d.kind !== 'unicast' || !d.entry) {
      return this.done('dropped', this.decision('route', host.name, `${host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${numberToIp(p.dst)}`), null);
    }
    if (host.ipForward === false) {
      this.note(() => ({ type: 'sysctl', key: 'net.ipv4.ip_forward', value: '0', result: 'dropped' }));
      return this.done('dropped', this.decision('sysctl', host.name, `${host.name} does not forward packets: net.ipv4.ip_forward is 0`), null);
    }
    const out = d.entry.route.dev ?? '';
    for (const [table, chain] of [['mangle', 'FORWARD'], ['filter', 'FORWARD']] as const) {
      const r = this.hook(host, table, chain, iface, out);
      if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
    }
    return this.postrouting(host, out, d, depth);
  }

  /** A packet generated by a host's own stack (docker-proxy, a host-network container, the kernel answering ping). */
  fromHost(host: HostModel, depth = 0): LegResult {
    this.enter(`host ${host.name}`);
    const missing = this.missingFirewall(host);
    if (missing) return this.done('unknown', missing, null);
    if (!host.routing) return this.done('unknown', this.decision('missing-data', host.name, `the routes of ${host.name} were not collected`), null);
    const p = this.pkt;
    let d = routeLookup(host.routing, p.dst, null, null, p.mark);
    if (p.src === 0) {
      p.src = d.entry?.prefsrc ?? [...host.localAddrs.entries()].find(([, i]) => i === d.entry?.route.dev)?.[0] ?? 0;
      p.origSrc = p.src;
    }
    for (const [table, chain] of [['raw', 'OUTPUT'], ['mangle', 'OUTPUT']] as const) {
      const r = this.hook(host, table, chain, null, d.entry?.route.dev ?? null);
      if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
    }
    if (p.ctstate === 'NEW') {
      const r = this.hook(host, 'nat', 'OUTPUT', null, d.entry?.route.dev ?? null);
      if (r.stop) return this.done('unknown', r.stop, null);
      this.applyNat(host, r.outcome, null, null);
      if (r.outcome.nat) d = routeLookup(host.routing, p.dst, p.src, null, p.mark);
    }
    this.routeStep(d, p.dst);
    if (d.kind === 'local') {
      // Loopback: out through OUTPUT and POSTROUTING, in again through INPUT on lo.
      const r = this.hook(host, 'filter', 'OUTPUT', null, 'lo');
      if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
      const i = this.hook(host, 'filter', 'INPUT', 'lo', null);
      if (i.stop) return this.done(i.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', i.stop, null);
      this.note(() => ({ type: 'deliver', to: `host ${host.name}`, address: addrPort(p.dst, p.dport) }));
      return this.done('delivered', null, { kind: 'host', host });
    }
    if (d.kind !== 'unicast' || !d.entry) {
      return this.done('dropped', this.decision('route', host.name, `${host.name} has no route to ${numberToIp(p.dst)}`), null);
    }
    const out = d.entry.route.dev ?? '';
    const r = this.hook(host, 'filter', 'OUTPUT', null, out);
    if (r.stop) return this.done(r.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', r.stop, null);
    return this.postrouting(host, out, d, depth);
  }

  private postrouting(host: HostModel, out: string, d: RouteDecision, depth: number): LegResult {
    const p = this.pkt;
    const m = this.hook(host, 'mangle', 'POSTROUTING', null, out);
    if (m.stop) return this.done(m.stop.kind === 'unknown-rule' ? 'unknown' : 'dropped', m.stop, null);
    if (p.ctstate === 'NEW') {
      const r = this.hook(host, 'nat', 'POSTROUTING', null, out);
      if (r.stop) return this.done('unknown', r.stop, null);
      const e = this.applyNat(host, r.outcome, out, d.entry?.prefsrc ?? null);
      if (e) return this.done('unknown', e, null);
    }
    this.unNat(host, 'dnat');
    const nextHop = d.entry?.gateway ?? p.dst;
    return this.egress(host, out, nextHop, depth);
  }

  private egress(host: HostModel, out: string, nextHop: number, depth: number): LegResult {
    const iface = host.interfaces.get(out);
    if (iface?.kind === 'bridge') return this.onBridge(host, out, 'host', nextHop, depth);
    // Another host in view that owns the next hop on a network this interface reaches: the LAN.
    for (const other of this.world.hosts) {
      if (other === host) continue;
      const on = other.localAddrs.get(nextHop);
      if (on === undefined || other.interfaces.get(on)?.kind === 'bridge') continue;
      const onLink = (iface?.addresses ?? []).some((a) => a.family === 'inet' && inCidr(nextHop, { addr: ((ipToNumber(a.local) as number) & maskOf(a.prefixLen)) >>> 0, bits: a.prefixLen }));
      if (!onLink) continue;
      this.note(() => ({ type: 'leave', iface: out, nextHop: numberToIp(nextHop) }));
      if (this.visited.has(`${other.name}/${numberToIp(this.pkt.dst)}`)) return this.done('unknown', this.decision('route', host.name, 'the path loops between hosts'), null);
      this.visited.add(`${other.name}/${numberToIp(this.pkt.dst)}`);
      return this.hostIn(other, on, depth + 1);
    }
    this.note(() => ({ type: 'leave', iface: out, nextHop: numberToIp(nextHop) }));
    return this.done('unknown', this.decision('exit', host.name, `the packet leaves ${host.name} on ${out} towards ${numberToIp(nextHop)}, outside the hosts in view`), null);
  }
}

function newPacket(flow: Flow, dst: number, src: number, direction: 'request' | 'reply'): Packet {
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

function start(w: Walker, origin: Origin): LegResult {
  return origin.kind === 'container' ? w.fromContainer(origin.container) : w.fromHost(origin.host);
}

/** Walk one connection: the request from `origin` to `dst`, then its reply back under conntrack. */
export function walkFlow(world: World, origin: Origin, dst: number, flow: Flow, depth = 0, record = true): FlowResult {
  const nat: NatRecord[] = [];
  const req = new Walker(world, 'request', newPacket(flow, dst, 0, 'request'), nat, record);
  const r = start(req, origin);
  const source = req.pkt.origSrc === 0 ? null : numberToIp(req.pkt.origSrc);
  const result = (outcome: FlowResult['outcome'], decidedBy: Decision | null, request: Hop[], reply: Hop[], deliveredTo: string | null): FlowResult => ({ outcome, request, reply, decidedBy, deliveredTo, source });
  const blocked = (d: Decision | null, reply: Hop[] = []): FlowResult => result('blocked', d, r.hops, reply, null);
  if (r.outcome === 'dropped') return blocked(r.decidedBy);
  if (r.outcome === 'unknown' || !r.landing || !r.packet) return result('unknown', r.decidedBy, r.hops, [], null);

  // A published port on a host address: docker-proxy accepts and opens its own connection to the container.
  let proxied: FlowResult | null = null;
  let deliveredTo = r.landing.kind === 'container' ? `${r.landing.endpoint.container.name} ${r.landing.endpoint.ipText}` : `host ${r.landing.host.name}`;
  if (r.landing.kind === 'host' && flow.proto !== 'icmp' && depth === 0) {
    const host = r.landing.host;
    const pub = host.userlandProxy
      ? host.published.find((x) => x.port.protocol === flow.proto && x.port.hostPort === r.packet!.dport && (x.port.hostIp === '0.0.0.0' || ipToNumber(x.port.hostIp) === r.packet!.dst))
      : undefined;
    const target = pub?.container.endpoints.find((e) => e.network !== null) ?? pub?.container.endpoints[0];
    if (pub && target) {
      const lastHop = r.hops[r.hops.length - 1];
      if (record) lastHop?.steps.push({ type: 'proxy', listen: `${pub.port.hostIp}:${pub.port.hostPort}/${pub.port.protocol}`, to: `${pub.container.name} ${target.ipText}:${pub.port.containerPort}` });
      proxied = walkFlow(world, { kind: 'host', host }, target.ip, { proto: flow.proto, port: pub.port.containerPort }, depth + 1, record);
      deliveredTo = `${pub.container.name} ${target.ipText}:${pub.port.containerPort} (through docker-proxy on ${host.name})`;
    }
  }

  const reply = new Walker(world, 'reply', newPacket(flow, r.packet.src, r.packet.dst, 'reply'), nat, record);
  // Conntrack carries the request's ports into the reply, swapped.
  reply.pkt.sport = r.packet.dport;
  reply.pkt.dport = r.packet.sport;
  reply.pkt.origDst = dst;
  reply.pkt.origSrc = r.packet.origSrc;
  const back = r.landing.kind === 'container' ? reply.fromContainer(r.landing.endpoint.container) : reply.fromHost(r.landing.host);
  const backOk = back.outcome === 'delivered' && back.packet !== null && back.landing !== null && back.packet.dst === r.packet.origSrc && sameOrigin(back.landing, origin);
  if (back.outcome === 'dropped') return blocked(back.decidedBy, back.hops);
  if (back.outcome === 'unknown') return result('unknown', back.decidedBy, r.hops, back.hops, deliveredTo);
  if (!backOk) {
    return result('unknown', { kind: 'missing-data', host: originHost(origin).name, direction: 'reply', reason: 'the reply does not come back to where the request started' }, r.hops, back.hops, deliveredTo);
  }
  const accepted = r.acceptedBy ?? back.acceptedBy;
  if (proxied) {
    const both = [...r.hops, ...proxied.request];
    const replies = [...proxied.reply, ...back.hops];
    return result(proxied.outcome, proxied.outcome === 'reachable' ? accepted : proxied.decidedBy, both, replies, deliveredTo);
  }
  return result('reachable', accepted, r.hops, back.hops, deliveredTo);
}

function originHost(o: Origin): HostModel {
  return o.kind === 'container' ? o.container.host : o.host;
}

function sameOrigin(landing: Landing, origin: Origin): boolean {
  if (origin.kind === 'container') {
    if (origin.container.netns === 'host') return landing.kind === 'host' && landing.host === origin.container.host;
    return landing.kind === 'container' && (landing.endpoint.container === origin.container || landing.endpoint.container.docker.sharesNetnsWith === origin.container.docker.id || origin.container.docker.sharesNetnsWith === landing.endpoint.container.docker.id);
  }
  return landing.kind === 'host' && landing.host === origin.host;
}
