// Collector: who this host is — hostname, OS (/etc/os-release), kernel, and the addresses of its interfaces.
import ipaddr from 'ipaddr.js';
import type { Collector } from './collector.js';
export type { HostSource } from '../host/os.js';
import type { HostPart } from '../snapshot/host-snapshot.js';


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
