// Who in view holds an address on an interface that is not a bridge: the hosts a packet leaving on a LAN can reach.
import type { Ip } from '../addr/addr.js';
import type { HostModel, World } from '../model/types.js';

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
