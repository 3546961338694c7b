// Bridge ports that are not containers' veths (eth1 enslaved to docker0) lead off the host, onto a segment where
// another host in view may have bridged a port of its own — the operators' bridged two-host recipe. Bridges whose
// addresses share a subnet, each with such a port, are taken to be one segment. A frame crosses to the container there.
import { hostVethOf } from '../model/attachment.js';
import { ipText } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { HostModel } from '../model/types.js';
import { acrossSegment, sharedAddresses } from '../model/segment-peers.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

/**
 * A frame for `nextHop` leaves `bridge` by its port `out` onto the segment, to the container across it that holds
 * the address; null when no host in view has it there.
 */
export function overSegment(w: Walk, host: HostModel, bridge: string, fromPort: string, out: string, nextHop: Ip): LegResult | null {
  const across = acrossSegment(w.world, host, bridge, nextHop);
  if (!across) return null;
  const { peer, target } = across;
  const key = `${peer.host.name}/${peer.bridge}/${nextHop}`;
  if (w.visited.has(key)) return w.done('unknown', w.decision('route', host.name, 'the path loops between bridged hosts', { dst: ipText(w.pkt.dst), result: 'loop' }), null);
  w.visited.add(key);
  w.note(() => ({ type: 'bridge', bridge, from: fromPort, to: `${out} → ${peer.host.name}'s ${peer.bridge} (the same segment)`, result: 'bridged', brNetfilter: w.brNetfilter(host), nextHop: ipText(nextHop), toPort: out, reaches: { kind: 'segment', host: peer.host.name, name: peer.bridge } }));
  const twice = sharedAddresses(host, bridge, peer.host, peer.bridge);
  if (twice.length > 0) w.note(() => ({ type: 'note', text: `both ${host.name}'s ${bridge} and ${peer.host.name}'s ${peer.bridge} own ${twice.join(', ')}: on this segment the containers' gateway answers from either host (see netdiag doctor)` }));
  const leaving = fromPort === 'host' ? null : w.bridged(host, bridge, fromPort, out);
  if (leaving) return leaving;
  w.enter('segment', peer.host.name, peer.bridge);
  w.note(() => ({ type: 'bridge', bridge: peer.bridge, from: peer.port, to: `${target.container.name} ${target.ipText} (${hostVethOf(target.attachment)})`, result: 'bridged', brNetfilter: w.brNetfilter(peer.host), nextHop: target.ipText, toPort: hostVethOf(target.attachment), reaches: { kind: 'container', host: peer.host.name, name: target.container.name } }));
  const arriving = w.bridged(peer.host, peer.bridge, peer.port, hostVethOf(target.attachment));
  if (arriving) return arriving;
  return w.intoContainer(target);
}
