// Human summary of a snapshot: what was found on the host, and what could not be read.
import type { HostSnapshot } from '../../collectors/snapshot.js';

export function describeErrors(s: HostSnapshot): string[] {
  return s.errors.map((e) => `${e.collector}${e.subject ? ` (${e.subject})` : ''}: ${e.message} — ${e.hint}`);
}

export function summarizeSnapshot(s: HostSnapshot): string[] {
  const lines: string[] = [];
  const d = s.docker;
  lines.push(`host ${s.name}: collected ${s.collectedAt} in ${Math.round(s.durationMs)} ms`);
  if (d) {
    lines.push(`  Docker ${d.version} (API ${d.apiVersion}) at ${d.endpoint}`);
    for (const n of d.networks.filter((n) => n.driver === 'bridge')) {
      const members = d.containers.filter((c) => c.endpoints.some((e) => e.networkId === n.id));
      const flags = [n.isDefaultBridge ? 'default bridge' : 'user-defined', n.internal ? 'internal' : null, n.icc ? null : 'icc=false'].filter(Boolean).join(', ');
      lines.push(`  network ${n.name} (${flags}) bridge ${n.bridge} ${n.subnets.map((x) => x.subnet).join(' ')}: ${members.map((c) => `${c.name} ${c.endpoints.find((e) => e.networkId === n.id)?.ip ?? '?'}`).join(', ') || 'no containers'}`);
    }
  }
  if (s.links) {
    const attached = s.links.sandboxes.flatMap((sb) => sb.interfaces.filter((i) => i.bridge).map((i) => ({ sb, i })));
    const names = new Map((d?.containers ?? []).map((c) => [c.id, c.name]));
    for (const { sb, i } of attached) lines.push(`  ${names.get(sb.containerId) ?? sb.containerId.slice(0, 12)} ${i.name} ↔ ${i.hostVeth?.name} on bridge ${i.bridge}`);
  }
  if (s.firewall) {
    const filter = s.firewall.tables.find((t) => t.name === 'filter');
    const forward = filter?.chains.find((c) => c.name === 'FORWARD');
    lines.push(`  iptables (${s.firewall.backend}): ${s.firewall.tables.map((t) => `${t.name} ${t.chains.reduce((n, c) => n + c.rules.length, 0)} rules`).join(', ')}; FORWARD policy ${forward?.policy ?? '?'}`);
  }
  if (s.sysctls) {
    const v = s.sysctls.values;
    lines.push(`  ip_forward=${v['net.ipv4.ip_forward'] ?? '?'} bridge-nf-call-iptables=${v['net.bridge.bridge-nf-call-iptables'] ?? 'absent (br_netfilter not loaded)'}`);
  }
  for (const e of describeErrors(s)) lines.push(`  ! ${e}`);
  return lines;
}
