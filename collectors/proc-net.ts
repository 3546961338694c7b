// Pure parsers for the sockets a namespace accepts traffic on: /proc/net/{tcp,tcp6,udp,udp6} (read through any task in
// the namespace, /proc/PID/net/…) and `ss -Htlunp`, whose process column the /proc files do not have.
import type { ListeningSocket } from '../snapshot/host-snapshot.js';
import ipaddr from 'ipaddr.js';
import { ParseError } from './iproute-json.js';

/** TCP_LISTEN; UDP sockets that are not connected to one peer show TCP_CLOSE (07) and remote port 0. */
const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** /proc/net prints each 32-bit word of an address in host byte order: little-endian on x86 and arm64. */
function wordBytes(hex: string): number[] {
  const v = Number.parseInt(hex, 16);
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
}

export function procAddress(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join('.');
  if (hex.length !== 32) throw new ParseError(`not a /proc/net address: ${JSON.stringify(hex)}`);
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  // v4-mapped addresses read best as ::ffff:a.b.c.d.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  return new ipaddr.IPv6(groups).toRFC5952String();
}

/** The listening (TCP) or bound, unconnected (UDP) sockets in one /proc/net file, with their inodes. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', family: 'inet' | 'inet6'): (ListeningSocket & { inode: number })[] {
  const out: (ListeningSocket & { inode: number })[] = [];
  const lines = text.split('\n').slice(1);
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, state, inode] = [f[1] as string, f[2] as string, f[3] as string, f[9] as string];
    const [addrHex, portHex] = local.split(':');
    const remotePort = remote.split(':')[1];
    if (!addrHex || !portHex || remotePort === undefined) throw new ParseError(`/proc/net/${proto}${family === 'inet6' ? '6' : ''}: malformed line ${JSON.stringify(line.slice(0, 60))}`);
    const wanted = proto === 'tcp' ? state === TCP_LISTEN : state === UDP_UNCONNECTED && Number.parseInt(remotePort, 16) === 0;
    if (!wanted) continue;
    out.push({ proto, family, address: procAddress(addrHex), port: Number.parseInt(portHex, 16), iface: null, process: null, inode: Number(inode) });
  }
  return out;
}

/** `ss -Htlunp`: Netid State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=N,fd=M),…)]. */
export function parseSs(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const proto = f[0] === 'tcp' ? 'tcp' : f[0] === 'udp' ? 'udp' : null;
    if (!proto) continue;
    const local = f[4] as string;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    let host = local.slice(0, colon);
    if (!Number.isInteger(port) || colon < 0) throw new ParseError(`ss: cannot read the local address ${JSON.stringify(local)}`);
    let iface: string | null = null;
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const pct = host.indexOf('%');
    if (pct >= 0) [host, iface] = [host.slice(0, pct), host.slice(pct + 1)];
    // ss prints * for "every address" when the socket is dual-stack (IPv6, not V6ONLY).
    if (host === '*') host = '::';
    const family = host.includes(':') ? 'inet6' : 'inet';
    const user = /users:\(\("([^"]*)",pid=(\d+)/.exec(line);
    out.push({ proto, family, address: host, port, iface, process: user ? { name: user[1] as string, pid: Number(user[2]) } : null });
  }
  return out;
}
