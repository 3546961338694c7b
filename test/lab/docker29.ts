// Docker 29's nftables backend, generated for a live lab host in the shape of moby's own listings
// (fixtures/moby/docker29-*.nft.txt): dockerd 20.10 built the bridges and containers, this writes the
// `ip docker-bridges` table dockerd 29 --firewall-backend=nftables would, for those bridges, endpoints and ports.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';

const q = (s: string) => JSON.stringify(s);

export function dockerBridgesTable(s: HostSnapshot): string {
  const nets = (s.docker?.networks ?? []).filter((n) => n.driver === 'bridge' && n.bridge);
  const containers = s.docker?.containers ?? [];
  const map = (name: string, chain: string) => `\tmap ${name} {\n\t\ttype ifname : verdict\n\t\telements = { ${nets.map((n) => `${q(n.bridge!)} : jump ${chain}__${n.bridge}`).join(', ')} }\n\t}\n`;
  const lines: string[] = ['table ip docker-bridges {'];
  lines.push(map('filter-forward-in-jumps', 'filter-forward-in'), map('filter-forward-out-jumps', 'filter-forward-out'), map('nat-postrouting-in-jumps', 'nat-postrouting-in'), map('nat-postrouting-out-jumps', 'nat-postrouting-out'));
  // Numeric priorities: nft 1.0.6 refuses `priority dstnat` on the output hook.
  lines.push('\tchain filter-FORWARD {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\toifname vmap @filter-forward-in-jumps\n\t\tiifname vmap @filter-forward-out-jumps\n\t}');
  lines.push('\tchain nat-OUTPUT {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output\n\t}');
  lines.push('\tchain nat-POSTROUTING {\n\t\ttype nat hook postrouting priority 100; policy accept;\n\t\tiifname vmap @nat-postrouting-out-jumps\n\t\toifname vmap @nat-postrouting-in-jumps\n\t}');
  lines.push('\tchain nat-PREROUTING {\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\tfib daddr type local counter jump nat-prerouting-and-output\n\t}');
  const dnat: string[] = [];
  const raw: string[] = [];
  const perBridge: string[] = [];
  for (const n of nets) {
    const br = n.bridge!;
    const eps = containers.flatMap((c) => c.endpoints.filter((e) => e.networkId === n.id && e.ip).map((e) => ({ c, ip: e.ip! })));
    const published = eps.flatMap(({ c, ip }) => c.ports.filter((p) => p.hostPort !== null && !p.hostIp.includes(':')).map((p) => ({ ip, p })));
    for (const { ip, p } of published) dnat.push(`\t\tiifname != ${q(br)} ${p.protocol} dport ${p.hostPort} counter dnat to ${ip}:${p.containerPort} comment "DNAT"`);
    if (!n.internal) for (const { ip } of eps) raw.push(`\t\tip daddr ${ip} iifname != ${q(br)} counter drop comment "DROP DIRECT ACCESS"`);
    const inRules = ['\t\tct state established,related counter accept'];
    if (n.internal) inRules.push(`\t\tiifname != ${q(br)} counter drop comment "INTERNAL NETWORK INGRESS"`, `\t\tcounter ${n.icc ? 'accept' : 'drop'} comment "ICC"`);
    else {
      inRules.push(`\t\tiifname ${q(br)} counter ${n.icc ? 'accept' : 'drop'} comment "ICC"`);
      for (const { ip, p } of published) inRules.push(`\t\tip daddr ${ip} ${p.protocol} dport ${p.containerPort} counter accept`);
      inRules.push('\t\tcounter drop comment "UNPUBLISHED PORT DROP"');
    }
    const outRules = ['\t\tct state established,related counter accept', n.internal ? `\t\toifname != ${q(br)} counter drop comment "INTERNAL NETWORK EGRESS"` : '\t\tcounter accept comment "OUTGOING"'];
    const masq = n.internal || !n.masquerade ? [] : n.subnets.filter((x) => !x.subnet.includes(':')).map((x) => `\t\toifname != ${q(br)} ip saddr ${x.subnet} counter masquerade comment "MASQUERADE"`);
    perBridge.push(`\tchain filter-forward-in__${br} {\n${inRules.join('\n')}\n\t}`, `\tchain filter-forward-out__${br} {\n${outRules.join('\n')}\n\t}`, `\tchain nat-postrouting-in__${br} {\n\t}`, `\tchain nat-postrouting-out__${br} {\n${masq.join('\n')}\n\t}`);
  }
  lines.push(`\tchain nat-prerouting-and-output {\n${dnat.join('\n')}\n\t}`);
  lines.push(`\tchain raw-PREROUTING {\n\t\ttype filter hook prerouting priority -300; policy accept;\n${raw.join('\n')}\n\t}`);
  lines.push(...perBridge, '}');
  return `${lines.join('\n')}\n`;
}

/** iptables with every table empty and every policy ACCEPT: what a host on the nftables backend has. */
export const EMPTY_IPTABLES = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', '*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', ''].join('\n');
