// The places a packet passes, in the kernel's order: a container's namespace, its veth and bridge, a host's stack
// (PREROUTING, routing, INPUT or FORWARD, POSTROUTING), the LAN to another host in view, and delivery.
import { familyOf, ipText, isUnspecified } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { ContainerModel, Endpoint, HostModel } from '../model/types.js';
import { runHook } from './hooks.js';
import { addrPort, hostSource, Leg } from './leg.js';
import type { LegResult } from './leg.js';
import { onLink, routeLookup } from './routing.js';
import { holdersOf } from './lan.js';
import { acrossSegment, sharedAddresses } from './segment.js';
import { socketHop } from './socket.js';
import type { RouteDecision } from './routing.js';

/** How many hosts a packet may cross before netdiag calls the path a loop. */
const MAX_HOSTS = 8;
/** How many places one leg may pass (namespaces, host stacks): every recursion of the walk counts against it. */
const MAX_PLACES = 32;

export class Walker extends Leg {
  private routeStep(d: RouteDecision, dst: Ip): void {
    const e = d.entry;
    this.note(() => ({
      type: 'route',
      table: d.table,
      route: e ? [e.route.type !== 'unicast' ? e.route.type : '', e.route.dst === '0.0.0.0/0' || e.route.dst === '::/0' ? 'default' : e.route.dst, e.route.gateway ? `via ${e.route.gateway}` : '', e.route.dev ? `dev ${e.route.dev}` : ''].filter(Boolean).join(' ') : null,
      dst: ipText(dst),
      result: d.kind === 'unicast' ? 'forward' : d.kind,
      outIface: e?.route.dev ?? null,
      via: e?.route.gateway ?? null,
    }));
  }

  private noRoutes(host: HostModel): LegResult {
    return this.stopped(this.decision('missing-data', host.name, `the routes of ${host.name} were not collected`));
  }

  /** A packet leaves a container's namespace (originated there, or a reply from there). */
  fromContainer(c: ContainerModel, depth = 0): LegResult {
    if (c.netns === 'host') return this.fromHost(c.host, depth);
    this.enter(`container ${c.name} (${c.host.name})`);
    if (!c.routing) return this.stopped(this.decision('missing-data', c.host.name, `container ${c.name}'s namespace was not read (${c.unread ?? 'see the snapshot\'s errors'})`));
    const p = this.pkt;
    const d = routeLookup(c.routing, p.dst, null, null, p.mark);
    this.routeStep(d, p.dst);
    if (d.kind === 'local') {
      // An address of this namespace: the kernel delivers it over lo, from that same address.
      if (isUnspecified(p.src)) p.src = p.origSrc = p.dst;
      const ep = c.endpoints.find((e) => e.ip === p.dst);
      this.note(() => ({ type: 'note', text: `${ipText(p.dst)} is an address of this namespace: delivered over lo, no bridge or firewall crossed` }));
      const refused = socketHop(this, { host: c.host.name, name: c.name, sockets: c.sockets }, 'lo');
      if (refused) return this.stopped(refused);
      this.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: ipText(p.dst) }));
      return this.done('delivered', null, ep ? { kind: 'container', endpoint: ep } : null);
    }
    if (d.kind !== 'unicast' || !d.entry) {
      return this.stopped(this.decision('route', c.host.name, `container ${c.name} has no route to ${ipText(p.dst)}${d.kind !== 'none' ? ` (${d.kind} route)` : ''}`));
    }
    const dev = d.entry.route.dev;
    const ep = c.endpoints.find((e) => e.iface === dev && familyOf(e.ip) === p.family) ?? c.endpoints.find((e) => e.iface === dev) ?? null;
    if (isUnspecified(p.src)) {
      // The kernel picks the route's preferred source, else the outgoing interface's address of the packet's family.
      const own = ep && familyOf(ep.ip) === p.family ? ep.ip : null;
      p.src = d.entry.prefsrc ?? own ?? p.src;
      p.origSrc = p.src;
    }
    this.neighbourNote(c.neighbours, dev, d.entry.gateway ?? p.dst);
    if (!ep || !ep.bridge) return this.stopped(this.decision('missing-data', c.host.name, `container ${c.name}'s ${dev} is not attached to a bridge netdiag can see`));
    return this.onBridge(c.host, ep.bridge, ep.hostVeth ?? ep.iface, d.entry.gateway ?? p.dst, depth);
  }

  /** A frame on a bridge, from a container's veth or from the host itself, looking for `nextHop`. */
  private onBridge(host: HostModel, bridge: string, fromPort: string | 'host', nextHop: Ip, depth: number): LegResult {
    if (host.localAddrs.has(nextHop)) {
      this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${host.name} (${ipText(nextHop)})`, result: 'to-host', brNetfilter: this.brNetfilter(host) }));
      return this.hostIn(host, bridge, depth);
    }
    const target = host.endpointsOnBridge.get(bridge)?.find((e) => e.ip === nextHop);
    if (!target && !host.snapshot.links) return this.stopped(this.decision('missing-data', host.name, `the links of ${host.name} were not collected: netdiag cannot tell what answers ${this.resolver} for ${ipText(nextHop)} on ${bridge}`));
    if (target && !target.observed) return this.stopped(this.decision('missing-data', host.name, `${target.container.name}'s namespace was not read (${target.container.unread}): netdiag cannot tell whether ${target.ipText} answers on ${bridge}`));
    if (!target) return this.offBridge(host, bridge, fromPort, nextHop);
    this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${target.container.name} ${target.ipText} (${target.hostVeth})`, result: 'bridged', brNetfilter: this.brNetfilter(host) }));
    if (fromPort !== 'host') {
      const stop = this.bridged(host, bridge, fromPort, target.hostVeth);
      if (stop) return stop;
    }
    return this.intoContainer(target);
  }

  /** With br_netfilter, a frame bridged between two ports still crosses iptables as `-i br -o br` (how icc=false works). */
  private bridged(host: HostModel, bridge: string, physIn: string, physOut: string | null): LegResult | null {
    // A bridge-family table sees bridged frames at the bridge layer, which the walk does not evaluate: never guess.
    const layer2 = host.nft?.unmodelled.find((c) => c.family === 'bridge' || c.hook === 'ingress');
    if (layer2) return this.stopped(this.decision('unknown-rule', host.name, `${layer2.family} ${layer2.table} ${layer2.name} (hook ${layer2.hook}) has rules for frames netdiag does not evaluate`, { table: `${layer2.family} ${layer2.table}`, chain: layer2.name, family: layer2.family }));
    if (!this.brNetfilter(host)) return null;
    const p = this.pkt;
    this.enter(`host ${host.name} (bridge ${bridge})`);
    p.physIn = physIn;
    p.physOut = physOut;
    p.bridged = true;
    for (const [point, run] of [['prerouting', { in: bridge, out: null, bridged: true }], ['forward', { in: bridge, out: bridge }], ['postrouting', { in: bridge, out: bridge }]] as const) {
      const r = runHook(this, host, point, run);
      if (r.stop) return r.stop;
    }
    p.physIn = p.physOut = null;
    p.bridged = false;
    return null;
  }

  /** No container on this bridge has `nextHop`: a port off the host may lead to it (another host's bridge), or nothing does. */
  private offBridge(host: HostModel, bridge: string, fromPort: string, nextHop: Ip): LegResult {
    const ports = host.foreignPorts.get(bridge) ?? [];
    if (ports.length > 0) this.beyond = true;
    const across = acrossSegment(this.world, host, bridge, nextHop);
    if (across && ports.length > 0) {
      const { peer, target } = across;
      const key = `${peer.host.name}/${peer.bridge}/${nextHop}`;
      if (this.visited.has(key)) return this.done('unknown', this.decision('route', host.name, 'the path loops between bridged hosts'), null);
      this.visited.add(key);
      this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${ports[0]} → ${peer.host.name}'s ${peer.bridge} (the same segment)`, result: 'bridged', brNetfilter: this.brNetfilter(host) }));
      const twice = sharedAddresses(host, bridge, peer.host, peer.bridge);
      if (twice.length > 0) this.note(() => ({ type: 'note', text: `both ${host.name}'s ${bridge} and ${peer.host.name}'s ${peer.bridge} own ${twice.join(', ')}: on this segment the containers' gateway answers from either host (see netdiag doctor)` }));
      const out = fromPort === 'host' ? null : this.bridged(host, bridge, fromPort, ports[0] as string);
      if (out) return out;
      this.enter(`host ${peer.host.name}`);
      this.note(() => ({ type: 'bridge', bridge: peer.bridge, from: peer.port, to: `${target.container.name} ${target.ipText} (${target.hostVeth})`, result: 'bridged', brNetfilter: this.brNetfilter(peer.host) }));
      const inPeer = this.bridged(peer.host, peer.bridge, peer.port, target.hostVeth);
      if (inPeer) return inPeer;
      return this.intoContainer(target);
    }
    if (ports.length > 0) {
      this.note(() => ({ type: 'leave', iface: ports.join(', '), nextHop: ipText(nextHop) }));
      return this.stopped(this.decision('exit', host.name, `no container on ${bridge} has ${ipText(nextHop)}; the frame leaves through ${ports.join(', ')}, onto a segment outside the hosts in view`));
    }
    this.note(() => ({ type: 'bridge', bridge, from: fromPort, to: ipText(nextHop), result: 'no-neighbour', brNetfilter: this.brNetfilter(host) }));
    return this.stopped(this.decision('neighbour', host.name, `nothing on bridge ${bridge} answers ${this.resolver} for ${ipText(nextHop)}`));
  }

  private intoContainer(ep: Endpoint): LegResult {
    const c = ep.container;
    this.enter(`container ${c.name} (${c.host.name})`);
    const p = this.pkt;
    const mine = c.endpoints.find((e) => e.ip === p.dst);
    if (!mine) return this.stopped(this.decision('missing-data', c.host.name, `${ipText(p.dst)} is not an address of ${c.name}; netdiag does not model containers that forward`));
    const refused = socketHop(this, { host: c.host.name, name: c.name, sockets: c.sockets }, mine.iface);
    if (refused) return this.stopped(refused);
    this.note(() => ({ type: 'deliver', to: `container ${c.name}`, address: ipText(p.dst) }));
    return this.done('delivered', null, { kind: 'container', endpoint: mine });
  }

  /** A packet arrives on one of a host's interfaces and meets its stack: PREROUTING, routing, INPUT or FORWARD. */
  private hostIn(host: HostModel, iface: string, depth: number): LegResult {
    if (depth > MAX_HOSTS || this.hops.length >= MAX_PLACES) return this.done('unknown', this.decision('route', host.name, `the path loops (through ${host.name} again)`), null);
    this.enter(`host ${host.name}`);
    const p = this.pkt;
    p.physIn = p.physOut = null;
    p.bridged = false;
    const ingress = host.nft?.unmodelled.find((c) => c.hook === 'ingress');
    if (ingress) return this.stopped(this.decision('unknown-rule', host.name, `${ingress.family} ${ingress.table} ${ingress.name} (hook ingress) has rules netdiag does not evaluate`, { table: `${ingress.family} ${ingress.table}`, chain: ingress.name, family: ingress.family }));
    // raw sees the addresses as they arrive: before DNAT, and before conntrack undoes SNAT on a reply.
    const pre = runHook(this, host, 'prerouting', { in: iface, out: null });
    if (pre.stop) return pre.stop;
    if (!host.routing) return this.noRoutes(host);
    const d = routeLookup(host.routing, p.dst, p.src, iface, p.mark);
    this.routeStep(d, p.dst);
    if (d.kind !== 'local' && host.localAddrs.has(p.dst)) {
      // The kernel keeps every address of the host in table local; a snapshot without that route cannot be walked.
      return this.stopped(this.decision('missing-data', host.name, `${ipText(p.dst)} is an address of ${host.name}, but its routes in the snapshot have no local route for it (was table local collected?)`));
    }
    if (d.kind === 'local') {
      const r = runHook(this, host, 'input', { in: iface, out: null });
      if (r.stop) return r.stop;
      const refused = socketHop(this, { host: host.name, name: `host ${host.name}`, sockets: host.sockets }, iface);
      if (refused) return this.stopped(refused);
      this.note(() => ({ type: 'deliver', to: `host ${host.name}`, address: addrPort(p.dst, p.dport) }));
      return this.done('delivered', null, { kind: 'host', host });
    }
    if (d.kind !== 'unicast' || !d.entry) return this.stopped(this.decision('route', host.name, `${host.name} has ${d.kind === 'none' ? 'no route' : `a ${d.kind} route`} to ${ipText(p.dst)}`));
    // IPv4 and IPv6 forwarding are separate switches: Docker turns on the first, and the second only with --ipv6.
    const [key, forwards] = p.family === 4 ? ['net.ipv4.ip_forward', host.ipForward] : ['net.ipv6.conf.all.forwarding', host.ipForward6];
    if (forwards === false) {
      this.note(() => ({ type: 'sysctl', key, value: '0', result: 'dropped' }));
      return this.stopped(this.decision('sysctl', host.name, `${host.name} does not forward ${p.family === 4 ? '' : 'IPv6 '}packets: ${key} is 0`));
    }
    const out = d.entry.route.dev ?? '';
    const fwd = runHook(this, host, 'forward', { in: iface, out });
    if (fwd.stop) return fwd.stop;
    return this.postrouting(host, iface, out, d, depth);
  }

  /** A packet generated by a host's own stack (docker-proxy, a host-network container, the kernel answering ping). */
  fromHost(host: HostModel, depth = 0): LegResult {
    this.enter(`host ${host.name}`);
    if (!host.routing) return this.noRoutes(host);
    const p = this.pkt;
    let d = routeLookup(host.routing, p.dst, null, null, p.mark);
    if (isUnspecified(p.src)) {
      p.src = d.entry?.prefsrc ?? hostSource(host, d.entry?.route.dev ?? null, p.family) ?? p.src;
      p.origSrc = p.src;
    }
    const o = runHook(this, host, 'output', { in: null, out: d.entry?.route.dev ?? null });
    if (o.stop) return o.stop;
    if (o.translated) d = routeLookup(host.routing, p.dst, p.src, null, p.mark);
    this.routeStep(d, p.dst);
    if (d.kind === 'local') {
      // Loopback: out through OUTPUT, in again through INPUT on lo.
      const out = runHook(this, host, 'output-filter', { in: null, out: 'lo' });
      if (out.stop) return out.stop;
      const i = runHook(this, host, 'input', { in: 'lo', out: null });
      if (i.stop) return i.stop;
      const refused = socketHop(this, { host: host.name, name: `host ${host.name}`, sockets: host.sockets }, 'lo');
      if (refused) return this.stopped(refused);
      this.note(() => ({ type: 'deliver', to: `host ${host.name}`, address: addrPort(p.dst, p.dport) }));
      return this.done('delivered', null, { kind: 'host', host });
    }
    if (d.kind !== 'unicast' || !d.entry) return this.stopped(this.decision('route', host.name, `${host.name} has no route to ${ipText(p.dst)}`));
    const out = d.entry.route.dev ?? '';
    const f = runHook(this, host, 'output-filter', { in: null, out });
    if (f.stop) return f.stop;
    return this.postrouting(host, null, out, d, depth);
  }

  /** POSTROUTING: a forwarded packet still carries its input interface there (nft's meta iifname sees it). */
  private postrouting(host: HostModel, inIface: string | null, out: string, d: RouteDecision, depth: number): LegResult {
    const r = runHook(this, host, 'postrouting', { in: inIface, out, prefsrc: d.entry?.prefsrc ?? null });
    if (r.stop) return r.stop;
    return this.egress(host, out, d.entry?.gateway ?? this.pkt.dst, depth);
  }

  private egress(host: HostModel, out: string, nextHop: Ip, depth: number): LegResult {
    const iface = host.interfaces.get(out);
    if (iface?.kind === 'bridge') return this.onBridge(host, out, 'host', nextHop, depth);
    // Another host in view that owns the next hop on a network this interface reaches: the LAN.
    this.beyond = true;
    for (const { host: other, iface: on } of holdersOf(this.world, nextHop)) {
      if (other === host) continue;
      if (!onLink(iface?.addresses ?? [], nextHop)) continue;
      this.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop) }));
      const key = `${other.name}/${this.pkt.dst}`;
      if (this.visited.has(key)) return this.done('unknown', this.decision('route', host.name, 'the path loops between hosts'), null);
      this.visited.add(key);
      return this.hostIn(other, on, depth + 1);
    }
    this.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop) }));
    return this.stopped(this.decision('exit', host.name, `the packet leaves ${host.name} on ${out} towards ${ipText(nextHop)}, outside the hosts in view`));
  }
}
