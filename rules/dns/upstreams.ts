// Where Docker's embedded resolver forwards the names it does not know, as dockerd decides it (moby libnetwork
// sandbox_dns_unix.go and internal/resolvconf): --dns servers from the container's namespace; else the host's
// /etc/resolv.conf as it is (for user networks dockerd reads /etc/resolv.conf itself, not systemd-resolved's list:
// daemon/container_operations_unix.go since 20.10, "we do not query those servers directly"), loopback servers — and
// from 28.0 every server of the host's file — from the host's namespace; with none at all, Google's (before 28.0).
import { familyOf, ipText, isLoopback, parseIp } from '../addr/addr.js';
import type { ContainerModel, World } from '../model/types.js';
import type { Decision, DnsUpstream } from '../../snapshot/contract.js';
import type { ResolvConf } from '../../snapshot/host-snapshot.js';
import { DOCKER_DNS } from '../meaning/layouts.js';
import { version, versionAtLeast } from '../meaning/context.js';
import { walkFlow } from '../walk/flow.js';

type Server = Omit<DnsUpstream, 'verdict' | 'reason'>;

/**
 * The file dockerd copies for a container on the default bridge (resolvconf.Path): systemd-resolved's own list when
 * /etc/resolv.conf names only its stub (a stub on the host's loopback is unreachable from a container's namespace).
 */
export function upstreamFile(dns: { resolvConf: ResolvConf | null; systemdResolvConf: ResolvConf | null }): { file: ResolvConf | null; source: 'host-resolv-conf' | 'systemd-resolved' } {
  const etc = dns.resolvConf;
  if (etc && etc.nameservers.length === 1 && etc.nameservers[0] === DOCKER_DNS.systemdStub && dns.systemdResolvConf) return { file: dns.systemdResolvConf, source: 'systemd-resolved' };
  return { file: etc, source: 'host-resolv-conf' };
}

/**
 * The servers dockerd forwards to for `c`, and where from; a string naming what was not collected when that cannot
 * be told (a snapshot from before netdiag read the host's resolv.conf).
 */
export function upstreamServers(c: ContainerModel): Server[] | string {
  const v = version(c.host.snapshot.docker?.version);
  const override = c.dns?.dnsServers ?? [];
  // --dns: queried from the container's namespace, whatever the address (--dns 127.0.0.1 means the container's own loopback).
  if (override.length > 0) return override.map((address) => ({ address, from: 'container', source: 'dns-option' }));
  if (!c.dns) return `${c.name}'s DNS settings were not collected`;
  const hostDns = c.host.snapshot.dns?.host;
  if (!hostDns) return `the host's resolv.conf was not collected`;
  // The embedded resolver's upstreams come from /etc/resolv.conf itself, the stub 127.0.0.53 included (from the host's
  // namespace): systemd-resolved's own list is only what the default bridge's containers are given.
  const file = hostDns.resolvConf;
  const source = 'host-resolv-conf' as const;
  const ips = (file?.nameservers ?? []).map(parseIp).filter((ip) => ip !== null).filter((ip) => versionAtLeast(v, DOCKER_DNS.ipv6UpstreamsFrom) || familyOf(ip) === 4);
  if (ips.length === 0) {
    if (versionAtLeast(v, DOCKER_DNS.defaultUpstreamsUntil)) return [];
    return DOCKER_DNS.defaultUpstreams.map((address) => ({ address, from: 'container', source: 'default' }));
  }
  const allFromHost = versionAtLeast(v, DOCKER_DNS.allFromHostFrom);
  return ips.map((ip) => ({ address: ipText(ip), from: allFromHost || isLoopback(ip) ? 'host' : 'container', source }));
}

/** An upstream as walked, with the decision that stopped it (doctor's fixes read it). */
export interface WalkedUpstream {
  upstream: DnsUpstream;
  decidedBy: Decision | null;
}

/** Each server walked as dockerd's query: UDP to port 53, from the host's namespace or the container's. */
export function walkUpstreams(world: World, c: ContainerModel): WalkedUpstream[] | string {
  const servers = upstreamServers(c);
  return typeof servers === 'string' ? servers : walkServers(world, c, servers);
}

/**
 * The servers a container on the default bridge asks itself (no embedded DNS there): its resolv.conf, which dockerd
 * wrote from the host's without loopback servers (Google's when none was left); null when not collected.
 */
export function ownServers(c: ContainerModel): Server[] | null {
  const rc = c.dns?.resolvConf;
  return rc ? rc.nameservers.map((address) => ({ address, from: 'container', source: c.dns!.dnsServers.includes(address) ? 'dns-option' : 'host-resolv-conf' })) : null;
}

/** Servers walked as a DNS query over UDP to port 53 from where each is asked. */
export function walkServers(world: World, c: ContainerModel, servers: Server[]): WalkedUpstream[] {
  return servers.map((s): WalkedUpstream => {
    const ip = parseIp(s.address);
    if (ip === null) return { upstream: { ...s, verdict: 'blocked', reason: `${s.address} is not an address: dockerd skips it` }, decidedBy: null };
    const r = walkFlow(world, s.from === 'host' ? { kind: 'host', host: c.host } : { kind: 'container', container: c }, ip, { proto: 'udp', port: DOCKER_DNS.port }, 0, false);
    const where = s.from === 'host' ? `from ${c.host.name}'s namespace` : `from ${c.name}'s namespace`;
    if (r.outcome === 'reachable') return { upstream: { ...s, verdict: 'reachable', reason: `reachable ${where}${r.deliveredTo ? ` (${r.deliveredTo})` : ''}` }, decidedBy: r.decidedBy };
    if (r.outcome === 'unknown' && r.decidedBy?.kind === 'exit') return { upstream: { ...s, verdict: 'unknown', reason: `${where} the query leaves the hosts in view (${r.decidedBy.reason}); whether ${s.address} answers is beyond what netdiag sees` }, decidedBy: r.decidedBy };
    return { upstream: { ...s, verdict: r.outcome, reason: `${where}: ${r.decidedBy?.reason ?? 'netdiag cannot tell'}` }, decidedBy: r.decidedBy };
  });
}

export function upstreams(world: World, c: ContainerModel): DnsUpstream[] | string {
  const w = walkUpstreams(world, c);
  return typeof w === 'string' ? w : w.map((x) => x.upstream);
}
