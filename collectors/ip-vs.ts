// Pure parser for /proc/net/ip_vs (the kernel's IPVS table as ip_vs_info_seq_show prints it): services and real servers.
import ipaddr from 'ipaddr.js';
import type { IpvsService } from '../snapshot/host-snapshot.js';
import { ParseError } from './iproute-json.js';
import { isIpv6Address } from './ip-address.js';

/**
 * An address as the kernel prints it: IPv4 as 8 hex digits (host order after ntohl, so most significant first), IPv6
 * in brackets as %pI6 writes it — all eight groups, uncompressed — given back in RFC 5952 form as iproute2 prints it.
 */
function address(text: string): string {
  if (text.startsWith('[')) {
    const ip = text.slice(1, -1);
    if (!isIpv6Address(ip)) throw new ParseError(`/proc/net/ip_vs: not an IPv6 address: ${text}`);
    return ipaddr.IPv6.parse(ip).toRFC5952String();
  }
  if (!/^[0-9A-Fa-f]{8}$/.test(text)) throw new ParseError(`/proc/net/ip_vs: not an address: ${text}`);
  return [0, 2, 4, 6].map((i) => parseInt(text.slice(i, i + 2), 16)).join('.');
}

/** "0A000001:0050" or "[fd00::1]:0050": the address and the port (hex). */
function endpoint(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new ParseError(`/proc/net/ip_vs: no port in ${text}`);
  return { address: address(text.slice(0, colon)), port: parseInt(text.slice(colon + 1), 16) };
}

/**
 * The services and their destinations. The three header lines are skipped; a service line starts with its protocol
 * (TCP, UDP, SCTP with address:port, FWM with the mark in hex), a destination line with "->".
 */
export function parseProcNetIpVs(text: string): IpvsService[] {
  const out: IpvsService[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === undefined || f[0] === '' || f[0] === 'IP' || f[0] === 'Prot') continue;
    if (f[0] === '->') {
      if (f[1] === 'RemoteAddress:Port') continue;
      const svc = out.at(-1);
      if (!svc || f.length < 6) throw new ParseError(`/proc/net/ip_vs: unexpected line: ${line.trim()}`);
      const d = endpoint(f[1] as string);
      svc.destinations.push({ ...d, forward: f[2] as string, weight: Number(f[3]), activeConns: Number(f[4]), inactiveConns: Number(f[5]) });
      continue;
    }
    const protocol = f[0];
    if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP' && protocol !== 'FWM') throw new ParseError(`/proc/net/ip_vs: unexpected line: ${line.trim()}`);
    if (f[1] === undefined || f[2] === undefined) throw new ParseError(`/proc/net/ip_vs: unexpected line: ${line.trim()}`);
    if (protocol === 'FWM') {
      out.push({ protocol, fwmark: parseInt(f[1], 16), address: null, port: null, scheduler: f[2], destinations: [] });
    } else {
      const e = endpoint(f[1]);
      out.push({ protocol, fwmark: null, address: e.address, port: e.port, scheduler: f[2], destinations: [] });
    }
  }
  return out;
}
