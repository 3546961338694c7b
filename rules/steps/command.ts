// A step as the command a person would type: shown and journaled, never executed as a string.
import type { PlanStep } from '../../snapshot/contract.js';
import { nftRuleText } from '../nftables/text.js';

export type { PlanStep };

const table = (t: string) => (t === 'filter' ? '' : ` -t ${t}`);

export function stepCommand(s: PlanStep): string {
  switch (s.kind) {
    case 'docker-network-connect':
      return `docker network connect ${shellQuote(s.network)} ${shellQuote(s.containerName)}`;
    case 'docker-network-disconnect':
      return `docker network disconnect ${shellQuote(s.network)} ${shellQuote(s.containerName)}`;
    case 'iptables-insert':
      return `${s.ip6tables ? 'ip6tables' : 'iptables'} -w${table(s.table)} -I ${s.chain}${s.position && s.position > 1 ? ` ${s.position}` : ''} ${s.rule.map(shellQuote).join(' ')}`;
    case 'iptables-delete':
      return `${s.ip6tables ? 'ip6tables' : 'iptables'} -w${table(s.table)} -D ${s.chain} ${s.rule.map(shellQuote).join(' ')}`;
    case 'sysctl':
      return `sysctl -w ${s.key}=${s.value}`;
    case 'ip-route-add':
      return `ip route add ${s.dst} via ${s.via}${s.dev ? ` dev ${s.dev}` : ''}`;
    case 'ip-route-del':
      return `ip route del ${s.dst} via ${s.via}${s.dev ? ` dev ${s.dev}` : ''}`;
    case 'nft-insert': {
      const create = s.create ? `nft add table ${s.family} ${s.table}; nft add chain ${s.family} ${s.table} ${s.chain} '{ type ${s.create.type} hook ${s.create.hook} priority ${s.create.prio}; policy ${s.create.policy}; }'; ` : '';
      return `${create}nft ${s.index === null ? 'add' : 'insert'} rule ${s.family} ${s.table} ${s.chain}${s.index ? ` index ${s.index}` : ''} ${nftRuleText(s.rule.expr, s.rule.comment)}`;
    }
    case 'nft-delete':
      return `nft delete rule ${s.family} ${s.table} ${s.chain} handle ${s.handle ?? `of: ${nftRuleText(s.rule.expr, s.rule.comment)}`}`;
    case 'ip-link-add':
      return `ip link add ${s.name} link ${s.parent} type ${s.type} mode ${s.mode}`;
    case 'ip-link-del':
      return `ip link del ${s.name}`;
    case 'ip-link-set':
      return `ip link set ${s.dev} ${s.up ? 'up' : 'down'}`;
    case 'ip-addr-add':
      return `ip addr add ${s.address} dev ${s.dev}`;
    case 'ip-addr-del':
      return `ip addr del ${s.address} dev ${s.dev}`;
    case 'ip-link-route-add':
      return `ip route add ${s.dst} dev ${s.dev}`;
    case 'ip-link-route-del':
      return `ip route del ${s.dst} dev ${s.dev}`;
    case 'docker-daemon-config':
      return `set ${JSON.stringify(s.key)}: ${JSON.stringify(s.value)} in /etc/docker/daemon.json, then systemctl restart docker`;
  }
}

/** A word as a POSIX shell reads it back: as it is when it holds nothing the shell would read, else double-quoted. */
export function shellQuote(w: string): string {
  return /^[\w./:,=+-]+$/.test(w) ? w : `"${w.replace(/(["\\$`])/g, '\\$1')}"`;
}
