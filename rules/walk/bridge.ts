// A bridge: a frame finds the port that answers for its next hop (a container's veth, the host itself, a port off
// the host), and with br_netfilter a bridged frame also crosses the host's netfilter as `-i br -o br`.
import { hostVethOf } from '../model/attachment.js';
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel } from '../model/types.js';
import { runHook } from './hooks.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { overSegment } from './segment.js';
import { balancerOnBridge } from '../model/balancer.js';

/** A frame on a bridge, from a container's veth or from the host itself ('host'), looking for `nextHop`. */
export function onBridge(w: Walk, host: HostModel, bridge: string, fromPort: string, nextHop: Ip, depth: number): LegResult {
  if (host.localAddrs.has(nextHop)) {
    w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${host.name} (${ipText(nextHop)})`, result: 'to-host', brNetfilter: w.brNetfilter(host), nextHop: ipText(nextHop), toPort: null, reaches: { kind: 'host', host: host.name, name: host.name } }));
    return w.hostIn(host, bridge, depth);
  }
  const target = host.endpointsOnBridge.get(bridge)?.find((e) => e.ip === nextHop);
  if (!target && !host.snapshot.links) return w.stopped(w.decision('missing-data', host.name, `the links of ${host.name} were not collected: netdiag cannot tell what answers ${w.resolver} for ${ipText(nextHop)} on ${bridge}`, { missing: 'links' }));
  if (target && !target.observed) return w.stopped(w.decision('missing-data', host.name, `${target.container.name}'s namespace was not read (${target.container.unread}): netdiag cannot tell whether ${target.ipText} answers on ${bridge}`, { missing: 'namespace' }));
  if (!target) return toBalancer(w, host, bridge, fromPort, nextHop, depth) ?? offBridge(w, host, bridge, fromPort, nextHop);
  w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${target.container.name} ${target.ipText} (${hostVethOf(target.attachment)})`, result: 'bridged', brNetfilter: w.brNetfilter(host), nextHop: target.ipText, toPort: hostVethOf(target.attachment), reaches: { kind: 'container', host: host.name, name: target.container.name } }));
  if (fromPort !== 'host') {
    const stop = bridged(w, host, bridge, fromPort, hostVethOf(target.attachment));
    if (stop) return stop;
  }
  return w.intoContainer(target);
}

/** With br_netfilter, a frame bridged between two ports still crosses iptables as `-i br -o br` (how icc=false works). */
export function bridged(w: Walk, host: HostModel, bridge: string, physIn: string, physOut: string | null): LegResult | null {
  // A bridge-family table sees bridged frames at the bridge layer, which the walk does not evaluate: never guess.
  const layer2 = host.nft?.unmodelled.find((c) => c.family === 'bridge' || c.hook === 'ingress');
  if (layer2) return w.stopped(w.decision('unknown-rule', host.name, `${layer2.family} ${layer2.table} ${layer2.name} (hook ${layer2.hook}) has rules for frames netdiag does not evaluate`, { table: `${layer2.family} ${layer2.table}`, chain: layer2.name, family: layer2.family }));
  if (!w.brNetfilter(host)) return null;
  const p = w.pkt;
  w.enter('bridge', host.name, bridge);
  p.physIn = physIn;
  p.physOut = physOut;
  p.bridged = true;
  for (const [point, run] of [['prerouting', { in: bridge, out: null, bridged: true }], ['forward', { in: bridge, out: bridge }], ['postrouting', { in: bridge, out: bridge }]] as const) {
    const r = runHook(w, host, point, run);
    if (r.stop) return r.stop;
  }
  p.physIn = p.physOut = null;
  p.bridged = false;
  return null;
}

/** A swarm load-balancing namespace's port on the bridge answers for `nextHop` (ingress_sbox on docker_gwbridge); null when none does. */
function toBalancer(w: Walk, host: HostModel, bridge: string, fromPort: string, nextHop: Ip, depth: number): LegResult | null {
  const lb = balancerOnBridge(host, bridge, nextHop);
  if (!lb) return null;
  const veth = lb.balancer.bridgePorts.get(lb.iface)?.veth ?? null;
  w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${lb.balancer.name} ${ipText(nextHop)} (${veth})`, result: 'bridged', brNetfilter: w.brNetfilter(host), nextHop: ipText(nextHop), toPort: veth, reaches: { kind: 'balancer', host: host.name, name: lb.balancer.name } }));
  if (fromPort !== 'host') {
    const stop = bridged(w, host, bridge, fromPort, veth);
    if (stop) return stop;
  }
  return w.intoBalancer(lb.balancer, lb.iface, depth);
}

/** No container on this bridge has `nextHop`: a port off the host may lead to it (another host's bridge), or nothing does. */
function offBridge(w: Walk, host: HostModel, bridge: string, fromPort: string, nextHop: Ip): LegResult {
  const ports = host.foreignPorts.get(bridge) ?? [];
  if (ports.length > 0) w.beyond = true;
  const across = ports.length > 0 ? overSegment(w, host, bridge, fromPort, ports[0] as string, nextHop) : null;
  if (across) return across;
  if (ports.length > 0) {
    w.note(() => ({ type: 'leave', iface: ports.join(', '), nextHop: ipText(nextHop), toHost: null }));
    return w.stopped(w.decision('exit', host.name, `no container on ${bridge} has ${ipText(nextHop)}; the frame leaves through ${ports.join(', ')}, onto a segment outside the hosts in view`, { ifaces: [...ports], nextHop: ipText(nextHop) }));
  }
  w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: ipText(nextHop), result: 'no-neighbour', brNetfilter: w.brNetfilter(host), nextHop: ipText(nextHop), toPort: null, reaches: null }));
  return w.stopped(w.decision('neighbour', host.name, `nothing on bridge ${bridge} answers ${w.resolver} for ${ipText(nextHop)}`, { bridge, address: ipText(nextHop) }));
}
