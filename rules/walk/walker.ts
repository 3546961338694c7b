// The walk's dispatcher: one leg moving between the places a packet can be, each walked in its own file (a
// container's namespace, a bridge, a parent interface, a host's stack; the LAN and bridged segments in between).
import type { Ip } from '../addr/addr.js';
import type { ContainerModel, Endpoint, HostModel } from '../model/types.js';
import { bridged, onBridge } from './bridge.js';
import { fromHost, hostIn } from './host.js';
import { Leg } from './leg.js';
import type { LegResult } from './leg.js';
import type { Moves } from './moves.js';
import { fromContainer, intoContainer } from './namespace.js';
import { fromChild, intoChild, onParent } from './parent.js';
import type { LowerChild } from '../model/lower.js';
import type { OverlayModel } from '../model/overlay.js';
import type { Packet } from '../iptables/packet.js';
import { onOverlay } from './overlay.js';
import type { Arrival } from './moves.js';

export class Walker extends Leg implements Moves {
  fromContainer(c: ContainerModel, depth = 0): LegResult {
    return fromContainer(this, c, depth);
  }

  intoContainer(ep: Endpoint): LegResult {
    return intoContainer(this, ep);
  }

  onBridge(host: HostModel, bridge: string, fromPort: string, nextHop: Ip, depth: number): LegResult {
    return onBridge(this, host, bridge, fromPort, nextHop, depth);
  }

  bridged(host: HostModel, bridge: string, physIn: string, physOut: string | null): LegResult | null {
    return bridged(this, host, bridge, physIn, physOut);
  }

  onParent(c: ContainerModel, ep: Endpoint | null, dev: string | null, nextHop: Ip, depth: number): LegResult {
    return onParent(this, c, ep, dev, nextHop, depth);
  }

  fromChild(host: HostModel, child: LowerChild, nextHop: Ip, depth: number): LegResult {
    return fromChild(this, host, child, nextHop, depth);
  }

  intoChild(host: HostModel, child: LowerChild, depth: number): LegResult {
    return intoChild(this, host, child, depth);
  }

  hostIn(host: HostModel, iface: string, depth: number): LegResult {
    return hostIn(this, host, iface, depth);
  }

  fromHost(host: HostModel, depth = 0): LegResult {
    return fromHost(this, host, depth);
  }

  onOverlay(host: HostModel, o: OverlayModel, fromPort: string, nextHop: Ip, depth: number, arrived: Arrival | null = null): LegResult {
    return onOverlay(this, host, o, fromPort, nextHop, depth, arrived);
  }

  tunnel(host: HostModel, outer: Packet, depth: number): LegResult {
    // A request of its own to the rules (NEW, no NAT of the inner flow), decided for whichever direction carries it.
    const t = new Walker(this.world, 'request', outer, [], this.record);
    t.tunnelPort = outer.dport;
    t.ignoreDrops = this.ignoreDrops;
    t.places = this.places;
    for (const v of this.visited) t.visited.add(v);
    const r = t.fromHost(host, depth);
    this.places = t.places;
    if (t.beyond) this.beyond = true;
    if (this.record) this.hops.push(...t.hops);
    return r;
  }
}
