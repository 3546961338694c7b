// The last hop of a TCP or UDP question: a socket in the receiving namespace that takes the packet, or none (the
// kernel answers with a TCP reset, or ICMP port unreachable for UDP). A packet is not a connection until one does.
import { ipText } from '../addr/addr.js';
import type { ListeningSocket } from '../../snapshot/host-snapshot.js';
import type { Decision } from '../../snapshot/contract.js';
import type { Leg } from './leg.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Whether `s` takes packets for `ip` arriving on `iface`: bound to it, to every address, or v4-mapped on a dual-stack socket. */
function takes(s: ListeningSocket, ip: string, iface: string | null): boolean {
  if (s.iface !== null && s.iface !== iface) return false;
  // An IPv6 socket on :: takes IPv4 too unless IPV6_V6ONLY is set (net.ipv6.bindv6only defaults to 0).
  return s.address === '0.0.0.0' || s.address === '::' || s.address === ip || s.address === `::ffff:${ip}`;
}

const label = (s: ListeningSocket) => `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;

/**
 * Check the socket hop on delivery of a request to `where` (a container or a host). Null when a socket takes it;
 * otherwise the decision that stops the flow: refused, or unknown when the namespace's sockets were not collected.
 */
export function socketHop(leg: Leg, where: { host: string; name: string; sockets: ListeningSocket[] | null }, iface: string | null): Decision | null {
  const p = leg.pkt;
  // Where the routes alone lead does not depend on a listener.
  if (leg.direction !== 'request' || leg.ignoreDrops || p.proto === 'icmp' || p.dport === null) return null;
  const proto = p.proto;
  const port = p.dport;
  const ip = ipText(p.dst);
  if (where.sockets === null) {
    leg.note(() => ({ type: 'socket', proto, port, result: 'not-collected', socket: null, process: null, listening: [] }));
    return leg.decision('missing-data', where.host, `what listens in ${where.name} was not collected (the snapshot has no sockets for it), so netdiag cannot tell whether ${ip}:${port}/${proto} is served`, { missing: 'sockets' });
  }
  const sameProto = where.sockets.filter((s) => s.proto === proto);
  const hit = sameProto.find((s) => s.port === port && takes(s, ip, iface));
  if (hit) {
    leg.note(() => ({ type: 'socket', proto, port, result: 'listening', socket: label(hit), process: hit.process ? `${hit.process.name}, pid ${hit.process.pid}` : null, listening: [] }));
    return null;
  }
  // Loopback sockets (Docker's embedded DNS on 127.0.0.11 in every user-network container) serve no one outside.
  const listening = [...new Set(sameProto.filter((s) => s.port === port || !LOOPBACK.test(s.address)).map((s) => `${label(s)}/${proto}`))].sort();
  leg.note(() => ({ type: 'socket', proto, port, result: 'refused', socket: null, process: null, listening }));
  const onPort = sameProto.filter((s) => s.port === port);
  const refused = proto === 'tcp' ? 'the connection is refused' : 'the datagram gets ICMP port unreachable';
  if (onPort.length > 0 && onPort.every((s) => LOOPBACK.test(s.address))) {
    return leg.decision('socket', where.host, `${where.name} listens on ${port}/${proto} only on ${onPort.map(label).join(', ')}: ${refused} from outside; bind the service to 0.0.0.0 or ${ip}, or reach it from inside ${where.name}'s namespace`, { proto, port, address: ip, bound: 'loopback-only' });
  }
  if (onPort.length > 0) {
    return leg.decision('socket', where.host, `${where.name} listens on ${port}/${proto} only on ${onPort.map(label).join(', ')}, not on ${ip}: ${refused}; bind the service to 0.0.0.0 or ${ip}`, { proto, port, address: ip, bound: 'other-address' });
  }
  return leg.decision('socket', where.host, `nothing listens on ${ip}:${port}/${proto} in ${where.name}: ${refused}${listening.length ? ` (it listens on ${listening.join(', ')})` : ' (it listens on nothing)'}`, { proto, port, address: ip, bound: 'nowhere' });
}
