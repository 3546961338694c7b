// The LAN: who in view holds an address on an interface that is not a bridge, and a packet leaving a host to one of them.
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel, World } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';
import { onLink } from './routing.js';

export interface LanHolder {
  host: HostModel;
  iface: string;
}

// Built once per world: asking every host at every egress made a 500-host plan's prediction grow with hosts³.
const byWorld = new WeakMap<World, Map<Ip, LanHolder[]>>();

/** The hosts holding `ip` on a non-bridge interface, in the world's order of hosts. */
export function holdersOf(world: World, ip: Ip): LanHolder[] {
  let index = byWorld.get(world);
  if (!index) {
    index = new Map();
    for (const host of world.hosts) {
      for (const [addr, iface] of host.localAddrs) {
        if (host.interfaces.get(iface)?.kind === 'bridge') continue;
        const list = index.get(addr);
        if (list) list.push({ host, iface });
        else index.set(addr, [{ host, iface }]);
      }
    }
    byWorld.set(world, index);
  }
  return index.get(ip) ?? [];
}

/** A packet leaves `host` on `out` (not a bridge) for `nextHop`: into another host in view on that network, or out of view. */
export function overLan(w: Walk, host: HostModel, out: string, nextHop: Ip, depth: number): LegResult {
  w.beyond = true;
  const addresses = host.interfaces.get(out)?.addresses ?? [];
  for (const { host: other, iface: on } of holdersOf(w.world, nextHop)) {
    if (other === host) continue;
    if (!onLink(addresses, nextHop)) continue;
    w.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop), toHost: other.name }));
    const key = `${other.name}/${w.pkt.dst}`;
    if (w.visited.has(key)) return w.done('unknown', w.decision('route', host.name, 'the path loops between hosts', { dst: ipText(w.pkt.dst), result: 'loop' }), null);
    w.visited.add(key);
    return w.hostIn(other, on, depth + 1);
  }
  w.note(() => ({ type: 'leave', iface: out, nextHop: ipText(nextHop), toHost: null }));
  return w.stopped(w.decision('exit', host.name, `the packet leaves ${host.name} on ${out} towards ${ipText(nextHop)}, outside the hosts in view`, { ifaces: [out], nextHop: ipText(nextHop) }));
}
