// Doctor: Docker's rules and the other firewalls beside them. Docker's expected rules gone (a firewalld reload, a
// `flush ruleset` in nftables.conf, an iptables-restore — two 2025 CVEs were of this kind), an iptables FORWARD
// policy DROP left on an nftables-backend host, and another manager's table dropping forwarded traffic.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { Finding } from './finding.js';
import type { ParsedRule } from '../iptables/ast.js';
import type { Ruleset } from '../netfilter/ruleset.js';
import type { SnapshotRules } from '../meaning/host.js';
import { DOCKER_NFT, isDockerChain } from '../meaning/layouts.js';
import { dockerRulesMissing } from './wiped.js';

/** Which firewall backend Docker uses: its own report (Engine API 1.49+), else where its rules are. */
export function dockerBackend(s: HostSnapshot): 'nftables' | 'iptables' | null {
  const said = s.docker?.firewallBackend;
  if (said) return said.includes('nftables') ? 'nftables' : 'iptables';
  if (s.nftables?.tables.some((t) => t.name === DOCKER_NFT.table && t.source === 'nft')) return 'nftables';
  if (s.firewall?.tables.some((t) => t.chains.some((c) => isDockerChain(c.name)))) return 'iptables';
  return null;
}

/** An unconditional ACCEPT for traffic in or out of `iface` (not only replies). */
export function acceptsInterface(r: ParsedRule, iface: string): boolean {
  return r.target.kind === 'ACCEPT' && r.matches.some((m) => (m.kind === 'in' || m.kind === 'out') && !m.neg && m.iface === iface) && !r.matches.some((m) => m.kind === 'ctstate');
}

/** Whether any rule of a rule set's filter table accepts `iface` outright. */
export function filterAccepts(rs: Ruleset | null, iface: string): boolean {
  for (const c of rs?.get('filter')?.values() ?? []) if (c.rules.some((r) => acceptsInterface(r.parsed, iface))) return true;
  return false;
}

export function firewallFindings(s: HostSnapshot, rules: SnapshotRules): Finding[] {
  const out: Finding[] = [];
  const host = s.name;
  const backend = dockerBackend(s);
  const nets = (s.docker?.networks ?? []).filter((n) => n.driver === 'bridge' && n.bridge);
  const filter = s.firewall?.tables.find((t) => t.name === 'filter');

  const wiped = dockerRulesMissing(s, rules);
  if (wiped) out.push(wiped);
  if (backend === 'nftables' && s.nftables) {
    const forward = filter?.chains.find((c) => c.name === 'FORWARD');
    if (forward?.policy === 'DROP') {
      out.push({ code: 'iptables-forward-drop-on-nftables', severity: 'error', host, title: 'Docker uses its nftables backend, but iptables\' FORWARD policy is still DROP (from an earlier iptables-backend run): it drops what Docker\'s nftables rules accept', evidence: ['filter FORWARD policy DROP (iptables)', `Docker firewall backend: nftables`], fix: 'iptables -P FORWARD ACCEPT (if nothing else relies on it), or accept Docker\'s bridges in iptables too' });
    }
    if (s.sysctls?.values['net.ipv4.ip_forward'] === '0') {
      out.push({ code: 'ip-forward-off-nftables', severity: 'error', host, title: 'Docker\'s nftables backend never turns on forwarding itself, and net.ipv4.ip_forward is 0', evidence: ['net.ipv4.ip_forward = 0', 'Docker firewall backend: nftables'], fix: 'sysctl -w net.ipv4.ip_forward=1 and persist it in /etc/sysctl.d/' });
    }
  }
  // Another manager's native table with a forward base chain that ends in a drop: firewalld, nftables.conf, an operator.
  for (const c of s.nftables?.chains ?? []) {
    if (c.hook !== 'forward' || c.table === DOCKER_NFT.table) continue;
    if (s.nftables?.tables.find((t) => t.family === c.family && t.name === c.table)?.source !== 'nft') continue;
    const chainRules = rules.nft?.tables.find((t) => t.family === c.family && t.name === c.table)?.chains.get(c.name)?.rules ?? [];
    const last = chainRules.at(-1);
    const endsInDrop = c.policy === 'drop' || (last !== undefined && last.expr.every((e) => !('match' in e)) && last.expr.some((e) => 'drop' in e || 'reject' in e));
    if (!endsInDrop || nets.length === 0) continue;
    const namesBridge = chainRules.some((r) => (rules.meanings.byRule.get(r.ref)?.bridges.length ?? 0) > 0);
    out.push({ code: 'foreign-forward-drop', severity: 'warning', host, title: `${c.family} ${c.table}'s forward chain ${c.name} drops what it does not accept${namesBridge ? '' : ', and none of its rules names a Docker bridge'}: Docker's forwarded traffic must pass it too (an accept in Docker's rules does not end other tables' chains)`, evidence: [`${c.family} ${c.table} ${c.name}: hook forward priority ${c.prio}, ${c.policy === 'drop' ? 'policy drop' : `last rule handle ${last?.ref.handle} drops`}`], fix: wiped ? `first bring Docker's rules back (${wiped.code}: restart dockerd, see its fix); only then, if this chain still drops Docker's traffic, ${c.table === 'firewalld' ? 'add the Docker bridges to firewalld\'s "docker" zone' : `accept the Docker bridges in ${c.family} ${c.table} ${c.name}`}` : c.table === 'firewalld' ? 'put the Docker bridges in a trusted zone (firewall-cmd --zone=trusted --add-interface=docker0 --permanent; Docker 20.10+ uses a "docker" zone)' : `accept the Docker bridges in ${c.family} ${c.table} ${c.name}, before its drop` });
  }
  return out;
}
