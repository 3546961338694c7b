// Collector: the kernel settings that decide forwarding (/proc/sys/net of the namespace netdiag runs in).
import type { Collector, CollectContext } from './collector.js';
import { CollectorError } from './collector.js';

const GLOBAL_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.conf.all.arp_ignore',
  'net.ipv6.conf.all.forwarding',
  'net.ipv6.conf.default.forwarding',
  'net.ipv6.conf.all.accept_ra',
  'net.ipv6.conf.default.accept_ra',
  'net.ipv6.conf.all.disable_ipv6',
  'net.ipv6.conf.default.disable_ipv6',
  // Present only while br_netfilter is loaded: absence means bridged frames skip iptables entirely.
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_count',
];
const PER_INTERFACE = ['forwarding', 'rp_filter', 'route_localnet'];
/** Per interface for IPv6: forwarding turns router advertisements off unless accept_ra is 2. */
const PER_INTERFACE6 = ['forwarding', 'accept_ra', 'disable_ipv6'];

const path = (key: string) => `/proc/sys/${key.replaceAll('.', '/')}`;

export const sysctlsCollector: Collector<'sysctls'> = {
  name: 'sysctls',
  async collect(ctx: CollectContext) {
    const ip_forward = await ctx.readFile(path('net.ipv4.ip_forward'));
    if (ip_forward === null) throw new CollectorError('/proc/sys/net is not readable', 'run netdiag on Linux with /proc mounted');
    // Interface names may contain dots, which the dotted key form cannot express: read them by directory.
    const listed = async (dir: string) => ((await ctx.listDir(dir)) ?? []).filter((i) => i !== 'all' && i !== 'default' && !i.startsWith('veth')).sort();
    const [ifaces, ifaces6] = await Promise.all([listed('/proc/sys/net/ipv4/conf'), listed('/proc/sys/net/ipv6/conf')]);
    const perInterface = (family: 'ipv4' | 'ipv6', names: string[], settings: string[]) =>
      names.flatMap((i) => settings.map((k): [string, string] => [`net.${family}.conf.${i}.${k}`, `/proc/sys/net/${family}/conf/${i}/${k}`]));
    const entries: [string, string][] = [...GLOBAL_KEYS.map((k): [string, string] => [k, path(k)]), ...perInterface('ipv4', ifaces, PER_INTERFACE), ...perInterface('ipv6', ifaces6, PER_INTERFACE6)];
    const values: Record<string, string | null> = {};
    const read = await Promise.all(entries.map(([, file]) => ctx.readFile(file)));
    entries.forEach(([k], i) => (values[k] = read[i]?.trim() ?? null));
    return { data: { values }, errors: [] };
  },
};
