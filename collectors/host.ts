// Collector: who this host is — hostname, OS, kernel, and its addresses (systeminformation).
import ipaddr from 'ipaddr.js';
import { networkInterfaces } from 'node:os';
import si from 'systeminformation';
import type { Collector } from './collector.js';
import type { HostPart } from './snapshot.js';

/** What the host collector needs from systeminformation; tests replay recorded answers. */
export interface HostSource {
  osInfo(): Promise<{ hostname: string; distro: string; release: string; kernel: string; arch: string }>;
  networkInterfaces(): Promise<{ iface: string; ip4: string; ip4subnet: string; ip6: string; ip6subnet: string; mac: string }[]>;
}

/** Interface addresses from the kernel over netlink (getifaddrs), so they belong to the namespace netdiag runs in. */
function kernelAddresses(): Awaited<ReturnType<HostSource['networkInterfaces']>> {
  return Object.entries(networkInterfaces()).flatMap(([iface, addrs]) =>
    (addrs ?? []).map((a) => ({
      iface,
      ip4: a.family === 'IPv4' ? a.address : '',
      ip4subnet: a.family === 'IPv4' ? a.netmask : '',
      ip6: a.family === 'IPv6' ? a.address : '',
      ip6subnet: a.family === 'IPv6' ? a.netmask : '',
      mac: a.mac,
    })),
  );
}

export const systeminformationSource: HostSource = {
  osInfo: () => si.osInfo(),
  // Not si.networkInterfaces(): it reads /sys/class/net, which shows the mount namespace's devices rather than the
  // network namespace's (see `ip netns exec`), and blocks the event loop for ~200 ms with synchronous reads.
  networkInterfaces: async () => kernelAddresses(),
};

function prefixFromMask(mask: string): number | null {
  try {
    return ipaddr.parse(mask).prefixLengthFromSubnetMask();
  } catch {
    return null;
  }
}

export const hostCollector: Collector<'host'> = {
  name: 'host',
  async collect(ctx) {
    const [os, nics] = await Promise.all([ctx.host.osInfo(), ctx.host.networkInterfaces()]);
    const addresses: HostPart['addresses'] = [];
    for (const n of nics) {
      if (n.ip4) addresses.push({ iface: n.iface, ip: n.ip4, prefixLen: prefixFromMask(n.ip4subnet), family: 'inet', mac: n.mac || null });
      if (n.ip6) addresses.push({ iface: n.iface, ip: n.ip6, prefixLen: prefixFromMask(n.ip6subnet), family: 'inet6', mac: n.mac || null });
    }
    const data: HostPart = { hostname: os.hostname, os: `${os.distro} ${os.release}`.trim(), kernel: os.kernel, arch: os.arch, addresses };
    return { data, errors: [] };
  },
};
