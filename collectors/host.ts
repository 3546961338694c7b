// Collector: who this host is — hostname, OS (/etc/os-release), kernel, and the addresses of its interfaces.
import { arch, hostname, networkInterfaces, release } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { Collector } from './collector.js';
import type { HostPart } from '../snapshot/host-snapshot.js';

/** What the host collector asks the OS; tests replay recorded answers. */
export interface HostSource {
  identity(): Promise<{ hostname: string; kernel: string; arch: string }>;
  /** Addresses per interface, as getifaddrs reports them. */
  addresses(): Promise<{ iface: string; family: 'inet' | 'inet6'; ip: string; netmask: string; mac: string }[]>;
}

/**
 * node:os rather than systeminformation: si.osInfo() runs shell strings through execSync (`hostname -f`,
 * `echo $LANG`, `uname -v`), blocking the event loop, and si.networkInterfaces() reads /sys/class/net, which shows
 * the mount namespace's devices, not the network namespace's. getifaddrs asks the kernel over netlink, so the
 * addresses belong to the namespace netdiag runs in.
 */
export const osSource: HostSource = {
  identity: async () => ({ hostname: hostname(), kernel: release(), arch: arch() }),
  addresses: async () =>
    Object.entries(networkInterfaces()).flatMap(([iface, addrs]) =>
      (addrs ?? []).map((a) => ({ iface, family: a.family === 'IPv4' ? ('inet' as const) : ('inet6' as const), ip: a.address, netmask: a.netmask, mac: a.mac })),
    ),
};

function prefixFromMask(mask: string): number | null {
  try {
    return ipaddr.parse(mask).prefixLengthFromSubnetMask();
  } catch {
    return null;
  }
}

/** PRETTY_NAME from os-release(5), else NAME VERSION_ID. */
export function osName(osRelease: string | null): string {
  if (!osRelease) return 'unknown';
  const fields = new Map(
    osRelease
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, (m[2] as string).replace(/^["']|["']$/g, '')]),
  );
  return fields.get('PRETTY_NAME') ?? ([fields.get('NAME'), fields.get('VERSION_ID')].filter(Boolean).join(' ') || 'unknown');
}

export const hostCollector: Collector<'host'> = {
  name: 'host',
  async collect(ctx) {
    const [id, addrs, osRelease] = await Promise.all([ctx.host.identity(), ctx.host.addresses(), ctx.readFile('/etc/os-release').then((t) => t ?? ctx.readFile('/usr/lib/os-release'))]);
    const addresses: HostPart['addresses'] = addrs.map((a) => ({ iface: a.iface, ip: a.ip, prefixLen: prefixFromMask(a.netmask), family: a.family, mac: a.mac && a.mac !== '00:00:00:00:00:00' ? a.mac : null }));
    const data: HostPart = { hostname: id.hostname, os: osName(osRelease), kernel: id.kernel, arch: id.arch, addresses };
    return { data, errors: [] };
  },
};
