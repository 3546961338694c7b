// What decided a verdict, in words for people: where (host, table, chain, rule or handle) and what Docker meant by
// it, read from the decision's code (rules/meaning decided it), so "isolated" reads the same on either backend.
import type { Decision } from '../snapshot/contract.js';

const MEANING: Record<string, string> = {
  isolation: 'Docker isolates its bridge networks from each other: traffic from one Docker network into another is dropped.',
  internal: 'This network is --internal: Docker drops everything between it and any other network or the outside.',
  'icc-off': 'Inter-container communication is disabled on this network (com.docker.network.bridge.enable_icc=false): with br_netfilter, containers on the same bridge cannot talk.',
  'direct-access': 'Docker 28+ drops packets addressed straight to a container from outside its bridge, before any of your rules can accept them (raw PREROUTING, or Docker 29\'s "DROP DIRECT ACCESS").',
  'unpublished-port': 'Docker 28+ drops traffic into a bridge network unless it is for a published port.',
  'loopback-publish': 'The port is published on 127.0.0.1 only: Docker drops it from anywhere but the host itself.',
  'admin-rule': 'A rule in DOCKER-USER, the chain Docker leaves to administrators.',
  link: 'Docker wrote this for --link: with inter-container communication off, a link opens exactly the linked container\'s exposed port, one way.',
};

/** A sentence on what Docker meant by the deciding rule, when netdiag recognises it. */
export function dockerMeaning(d: Decision): string | null {
  if (d.kind === 'policy' && d.code === 'forward-policy') {
    return d.family
      ? 'Docker 29\'s nftables FORWARD chain takes its policy from ip_forward at startup: anything no rule accepts is dropped.'
      : 'Docker sets FORWARD\'s policy to DROP when it turns on ip_forward itself, so anything no rule accepts is dropped.';
  }
  if (d.kind !== 'rule' || !d.code) return null;
  return MEANING[d.code] ?? null;
}

/** ip6tables' rules are named with the tool that lists them: `filter FORWARD rule 3` alone would send you to iptables. */
const tool = (d: Decision) => ('ip6tables' in d && d.ip6tables ? 'ip6tables ' : '');

export function describeDecision(d: Decision): string {
  // A drop of the VXLAN packet carrying an overlay's frame: the rule saw UDP between the nodes, not the flow asked
  // (any other kind of decision says so in its reason).
  const tunnel = d.tunnel && (d.kind === 'rule' || d.kind === 'policy') ? `, on the VXLAN packet carrying it (udp ${d.tunnel.src ?? '?'} → ${d.tunnel.dst}:${d.tunnel.port}, overlay ${d.tunnel.network})` : '';
  const where = `${d.direction === 'reply' ? ' (on the reply)' : ''}${tunnel}`;
  const counted = 'packets' in d && d.packets !== undefined ? ` — ${d.packets} packet${d.packets === 1 ? '' : 's'} matched so far` : '';
  switch (d.kind) {
    case 'rule':
      return d.family ? `${d.host}: ${d.table} ${d.chain} handle ${d.handle}${where}${counted}` : `${d.host}: ${tool(d)}${d.table} ${d.chain} rule ${d.index}${where}${counted}`;
    case 'policy':
      return `${d.host}: ${tool(d)}${d.table} ${d.chain} policy${where}`;
    default:
      return `${d.host}: ${d.reason}${where}`;
  }
}

/** Which route shadows which, in one line: the route taken (where), and the prefix or network it took the packet from. */
export function shadowLine(d: Decision): string | null {
  if (d.kind !== 'elsewhere' || !d.shadow) return null;
  const s = d.shadow;
  const where = s.at.kind === 'container' ? `in ${s.at.name}` : `on ${s.at.host}`;
  const table = s.table && s.table !== 'main' ? `, table ${s.table}` : '';
  const w = s.collidesWith;
  const prefix = w.kind === 'on-link' ? `the LAN ${w.prefix} on ${w.host}'s ${w.iface}` : w.kind === 'route' ? `${w.host}'s route ${w.route}` : w.kind === 'address' ? `${w.host}'s address ${w.prefix}` : `${w.host}'s network ${w.prefix} on ${w.iface}`;
  const network = `${s.network.name} (${s.network.subnet}${s.network.iface ? ` on ${s.network.iface}` : ''}, ${s.network.host})`;
  return s.winner === 'network' ? `route ${s.route} ${where}${table} (Docker network ${s.network.name}'s own) shadows ${prefix}` : `route ${s.route} ${where}${table} shadows Docker network ${network}`;
}
