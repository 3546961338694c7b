// IPVS virtual services of one namespace (/proc/net/ip_vs as the snapshot holds it): which one takes a packet, and
// which real servers it may be sent to — the kernel's lookup and rr scheduling, pure (net/netfilter/ipvs/).
import { parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { Packet } from '../iptables/packet.js';
import type { IpvsService } from '../../snapshot/host-snapshot.js';

/** One real server: its address, its port (0: the virtual port stays), how packets reach it, its weight. */
export interface IpvsDestination {
  ip: Ip;
  ipText: string;
  port: number;
  /** Masq (NAT: the destination is rewritten), Route (direct routing), Tunnel (IPIP). moby uses Masq. */
  forward: string;
  weight: number;
}

/** One virtual service: by firewall mark (moby's VIPs and published ports) or by protocol, address and port. */
export interface IpvsVirtual {
  /** As ipvsadm names it: `FWM 256`, `TCP 10.0.0.5:80`. */
  text: string;
  fwmark: number | null;
  protocol: IpvsService['protocol'];
  address: Ip | null;
  port: number | null;
  scheduler: string;
  destinations: IpvsDestination[];
}

export interface IpvsTable {
  byMark: Map<number, IpvsVirtual>;
  byAddress: Map<string, IpvsVirtual>;
  size: number;
}

const key = (proto: string, ip: Ip, port: number) => `${proto}/${String(ip)}/${port}`;

/** The namespace's services, indexed as the kernel looks them up; null when IPVS was not read (or the kernel has none). */
export function compileIpvs(services: IpvsService[] | null | undefined): IpvsTable | null {
  if (!services) return null;
  const t: IpvsTable = { byMark: new Map(), byAddress: new Map(), size: services.length };
  for (const s of services) {
    const destinations: IpvsDestination[] = [];
    for (const d of s.destinations) {
      const ip = parseIp(d.address);
      if (ip !== null) destinations.push({ ip, ipText: d.address, port: d.port, forward: d.forward, weight: d.weight });
    }
    const address = s.address !== null ? parseIp(s.address) : null;
    const text = s.protocol === 'FWM' ? `FWM ${s.fwmark}` : `${s.protocol} ${s.address}:${s.port}`;
    const v: IpvsVirtual = { text, fwmark: s.fwmark, protocol: s.protocol, address, port: s.port, scheduler: s.scheduler, destinations };
    if (s.protocol === 'FWM' && s.fwmark !== null) t.byMark.set(s.fwmark, v);
    else if (address !== null && s.port !== null) t.byAddress.set(key(s.protocol.toLowerCase(), address, s.port), v);
  }
  return t;
}

/**
 * The virtual service that takes `p`, or null. Only TCP, UDP and SCTP have IPVS protocol handlers (ip_vs_core.c
 * ip_vs_in: no handler, NF_ACCEPT): an ICMP echo is never balanced. The mark is looked up first, then the protocol,
 * address and port (ip_vs_ctl.c ip_vs_service_find: fwmark services before the others).
 */
export function virtualFor(t: IpvsTable, p: Pick<Packet, 'proto' | 'mark' | 'dst' | 'dport'>): IpvsVirtual | null {
  if (p.proto !== 'tcp' && p.proto !== 'udp') return null;
  if (p.mark !== 0) {
    const byMark = t.byMark.get(p.mark);
    if (byMark) return byMark;
  }
  return p.dport === null ? null : (t.byAddress.get(key(p.proto, p.dst, p.dport)) ?? null);
}

/**
 * The real servers a new connection may be sent to: rr and the other schedulers skip a weight of 0 (ip_vs_rr.c
 * ip_vs_rr_schedule; moby deweights a task it is removing, rmLBBackend with fullRemove false). Each is a possible
 * answer: which one a connection gets depends on the connections before it.
 */
export function schedulable(v: IpvsVirtual): IpvsDestination[] {
  return v.destinations.filter((d) => d.weight > 0);
}

/** The port a connection reaches the real server on: its own, or the virtual port when it has none (ip_vs_schedule: `dest->port ? dest->port : vport`). */
export function realPort(d: IpvsDestination, vport: number | null): number | null {
  return d.port !== 0 ? d.port : vport;
}
