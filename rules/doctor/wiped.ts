// Doctor: Docker's rules wiped while dockerd keeps running (firewalld started after Docker, `iptables -t nat -F`,
// `nft flush ruleset`): which expected rules are absent, what in the snapshot shows the likely cause, and the fix that
// works — dockerd writes its rules only when it starts, so it must start again, after whatever flushed them.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { SnapshotRules } from '../meaning/host.js';
import { dockerRuleTables, DOCKER_NFT, FORWARD_CHAIN, isDockerChain, tableManager } from '../meaning/layouts.js';
import type { DockerBackend } from '../meaning/layouts.js';
import { EXPECTED_WORDS, missingDockerRules, missingIngressRules } from './docker-rules.js';
import type { BackendBasis, MissingRules } from './docker-rules.js';
import type { Finding } from './finding.js';

export const DOCKER_RULES_MISSING = 'docker-rules-missing';

/** What a network or port lacks, in words: "isolation, forward accepts, MASQUERADE", "DNAT for 8080/tcp". */
export function missingWords(m: MissingRules): string[] {
  return [...m.absent.map((x) => EXPECTED_WORDS[x]), ...m.ports.map((p) => `${EXPECTED_WORDS.dnat} for ${p.port.hostPort}/${p.port.protocol}`)];
}

const basisWords = (backends: DockerBackend[], basis: BackendBasis, v: string | undefined): string =>
  basis === 'reported' ? `Docker reports its firewall backend: ${backends[0]}` : basis === 'rules' ? `Docker's ${backends[0]} rules that are left say its backend` : basis === 'version' ? `Docker ${v} writes its rules with iptables (its nftables backend came later)` : 'Docker\'s firewall backend cannot be told: neither backend\'s layout holds them';

/** What the snapshot shows about who removed them: a manager's table newer than Docker's, an empty table, a policy left alone. */
function causes(s: HostSnapshot, backends: DockerBackend[]): { evidence: string[]; manager: string | null } {
  const evidence: string[] = [];
  let manager: string | null = null;
  const nftTables = s.nftables?.tables ?? [];
  // nftables numbers tables in the order they are created: a manager's table above Docker's was created after them.
  const docker = nftTables.filter((t) => (backends.includes('iptables') && t.source === 'iptables' && t.family === 'ip' && dockerRuleTables('iptables').includes(t.name)) || (backends.includes('nftables') && t.source === 'nft' && t.name === DOCKER_NFT.table));
  const newest = Math.max(...docker.map((t) => t.handle));
  for (const t of nftTables.filter((x) => x.source === 'nft' && tableManager(x.name) !== null)) {
    if (docker.length === 0 || t.handle <= newest) continue;
    manager ??= tableManager(t.name);
    evidence.push(`${tableManager(t.name)}'s table ${t.family} ${t.name} (handle ${t.handle}) was created after ${docker.map((d) => `${d.family} ${d.name} (handle ${d.handle})`).join(', ')} that Docker's rules were in: ${tableManager(t.name)} started or reloaded after Docker`);
  }
  if (backends.includes('iptables') && s.firewall) {
    for (const name of dockerRuleTables('iptables')) {
      const t = s.firewall.tables.find((x) => x.name === name);
      if (!t) evidence.push(`iptables has no ${name} table at all (a flush of the whole ruleset removes it)`);
      else if (t.chains.every((c) => c.rules.length === 0)) evidence.push(`iptables' ${name} table holds no rule at all`);
    }
    const filter = s.firewall.tables.find((x) => x.name === FORWARD_CHAIN.table);
    const forward = filter?.chains.find((c) => c.name === FORWARD_CHAIN.chain);
    if (forward?.policy === 'DROP' && !filter?.chains.some((c) => isDockerChain(c.name))) evidence.push(`${FORWARD_CHAIN.table} ${FORWARD_CHAIN.chain} policy DROP (Docker sets it when it turns forwarding on) with none of Docker's chains left: its rules were removed, the policy stayed`);
  }
  if (backends.includes('nftables') && s.nftables && !nftTables.some((t) => t.source === 'nft' && t.name === DOCKER_NFT.table)) evidence.push(`no table ip ${DOCKER_NFT.table}`);
  return { evidence, manager };
}

/** The fix: dockerd writes its rules only when it starts; and whatever removed them must run before it from then on. */
function fixFor(manager: string | null): string {
  const restart = 'restart dockerd (systemctl restart docker; start containers without a restart policy again), which writes its rules again';
  if (manager === 'firewalld') return `${restart}; from then on start firewalld before Docker (docker.service After=firewalld.service), so that Docker adds its bridges to firewalld's "docker" zone — a firewalld reload or restart after Docker needs a dockerd restart too`;
  if (manager) return `${restart}; from then on start ${manager} before Docker, never after it`;
  return `${restart}; from then on run whatever flushed them (an nftables.conf with "flush ruleset", an iptables-restore, a firewall manager) before Docker starts, or restart dockerd after it`;
}

/** The finding, or null when every network and published port has the rules Docker writes for it. */
export function dockerRulesMissing(s: HostSnapshot, rules: SnapshotRules): Finding | null {
  const { missing, backends, basis } = missingDockerRules(s, rules);
  // Swarm's routing mesh: its DOCKER-INGRESS rules for the ports services publish (a firewalld reload drops them too).
  const ingress = missingIngressRules(s, rules);
  if (missing.length === 0 && ingress.length === 0) return null;
  const { evidence, manager } = causes(s, backends);
  const names = [...missing.map((m) => m.network.name), ...(ingress.length > 0 ? ['the ingress routing mesh'] : [])];
  const on = backends.length === 1 ? `Docker's ${backends[0]} rules` : 'Docker\'s rules (on either backend)';
  return {
    code: DOCKER_RULES_MISSING,
    severity: 'error',
    host: s.name,
    title: `${on} are missing for ${names.join(', ')}: dockerd runs, but the rules it wrote at its start are gone${manager ? ` (${manager} removed them)` : ''}, so its containers' traffic is not isolated, forwarded or translated as Docker means`,
    evidence: [
      ...missing.map((m) => `network ${m.network.name} on ${m.network.bridge}: no ${missingWords(m).join(', no ')}${m.ports.length > 0 ? ` (${m.ports.map((p) => `${p.container.name} ${p.port.hostIp}:${p.port.hostPort}->${p.port.containerPort}/${p.port.protocol}`).join(', ')})` : ''}`),
      ...ingress.map((i) => `ingress port ${i.port}/${i.protocol} of service ${i.service}: no ${i.absent.join(', no ')}`),
      basisWords(backends, basis, s.docker?.version),
      ...evidence,
    ],
    fix: fixFor(manager),
  };
}
