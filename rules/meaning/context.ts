// What a rule's meaning is read against: Docker's own data about the host (its networks' bridges, settings and
// containers' addresses, its version), and the bridges Docker's own chains name when its API was not read.
import type { DockerContainer, DockerNetwork, HostSnapshot } from '../../snapshot/host-snapshot.js';
import { cidrText, isLoopback, parseCidr, parseIp } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import type { Ruleset } from '../netfilter/ruleset.js';
import { BRIDGE_NAMING_CHAINS } from './layouts.js';

export interface MeaningContext {
  /** Docker's API was read: its networks and containers are known, not only what its own chains name. */
  dockerRead: boolean;
  /** Docker's bridges by interface name, with their network when Docker reports it. */
  bridges: Map<string, DockerNetwork | null>;
  /** Containers by each of their addresses. */
  containerByIp: Map<Ip, DockerContainer>;
  /** Docker networks by each of their subnets (as CIDR text), to tell Docker's MASQUERADE from an administrator's. */
  subnets: Map<string, DockerNetwork>;
  /** Docker's major and minor version; null when Docker was not read. */
  version: readonly [number, number] | null;
  /** Host ports published on a loopback address (Docker 28+ drops them from anywhere but the host). */
  loopbackPorts: Set<number>;
}

/** Docker's major and minor version from its version string ("20.10.24+dfsg1", "29.0.1"). */
export function version(text: string | undefined): readonly [number, number] | null {
  if (!text) return null;
  const [major, minor] = text.split('.').map((x) => Number.parseInt(x, 10));
  return major !== undefined && Number.isFinite(major) ? [major, Number.isFinite(minor) ? (minor as number) : 0] : null;
}

/** `rulesets`: the host's parsed iptables and ip6tables rules (read only when Docker's API was not). */
export function meaningContext(s: HostSnapshot, rulesets: (Ruleset | null)[] = []): MeaningContext {
  const bridges = new Map<string, DockerNetwork | null>();
  for (const n of s.docker?.networks ?? []) if (n.bridge) bridges.set(n.bridge, n);
  // Without Docker's API, its own chains still name its bridges.
  if (!s.docker) {
    for (const rs of rulesets) {
      for (const chains of rs?.values() ?? []) {
        for (const [name, c] of chains) {
          if (!BRIDGE_NAMING_CHAINS.has(name)) continue;
          for (const r of c.rules) for (const m of r.parsed.matches) if ((m.kind === 'in' || m.kind === 'out') && !bridges.has(m.iface)) bridges.set(m.iface, null);
        }
      }
    }
  }
  const containerByIp = new Map<Ip, DockerContainer>();
  for (const c of s.docker?.containers ?? []) {
    for (const e of c.endpoints) {
      for (const text of [e.ip, e.ipv6]) {
        const ip = text ? parseIp(text) : null;
        if (ip !== null) containerByIp.set(ip, c);
      }
    }
  }
  const subnets = new Map<string, DockerNetwork>();
  for (const n of s.docker?.networks ?? []) {
    for (const sub of n.subnets) {
      const cidr = parseCidr(sub.subnet);
      if (cidr) subnets.set(cidrText(cidr), n);
    }
  }
  const loopbackPorts = new Set<number>();
  for (const c of s.docker?.containers ?? []) {
    for (const p of c.ports) {
      const ip = parseIp(p.hostIp);
      if (p.hostPort !== null && ip !== null && isLoopback(ip)) loopbackPorts.add(p.hostPort);
    }
  }
  return { dockerRead: s.docker !== null, bridges, containerByIp, subnets, version: version(s.docker?.version), loopbackPorts };
}

/** Whether a Docker version (from `version`) is at least `min`; an unknown one is taken as new enough (its rules tell the rest). */
export function versionAtLeast(v: readonly [number, number] | null, min: readonly [number, number]): boolean {
  return v === null || v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** Whether the host's Docker is at least `v`. */
export function atLeast(ctx: MeaningContext, v: readonly [number, number]): boolean {
  return versionAtLeast(ctx.version, v);
}

/** The Docker network a CIDR is exactly a subnet of. */
export function networkOfSubnet(ctx: MeaningContext, c: Cidr): DockerNetwork | null {
  return ctx.subnets.size === 0 ? null : (ctx.subnets.get(cidrText(c)) ?? null);
}
