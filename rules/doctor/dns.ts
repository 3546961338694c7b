// doctor's DNS findings, where operators hit Docker's embedded DNS failing: no upstream server for what dockerd does
// not know, an upstream the forwarder cannot reach (a firewall drop, no route, nothing listening on the host's stub),
// the resolver itself out of reach in a container, and the default bridge where container names never resolve.
import type { ContainerModel, HostModel, World } from '../model/types.js';
import type { Decision } from '../../snapshot/contract.js';
import { ADMIN_CHAIN, DOCKER_CHAINS, DOCKER_DNS } from '../meaning/layouts.js';
import { resolverPath } from '../dns/resolver.js';
import { ownServers, upstreamFile, walkServers, walkUpstreams } from '../dns/upstreams.js';
import type { WalkedUpstream } from '../dns/upstreams.js';
import type { Finding } from './finding.js';
import { nameResolution } from '../why/names.js';

/** A container with a namespace of its own, its DNS collected: the ones whose resolver settings can be judged. */
const judged = (c: ContainerModel) => c.netns === 'sandbox' && c.netnsOwnerId === c.docker.id && c.dns !== null;
const onUserNetwork = (c: ContainerModel) => c.endpoints.some((e) => e.network !== null && !e.network.isDefaultBridge && e.network.driver !== 'host' && e.network.driver !== 'null');

/** What would let the forwarder's query through, from what stopped it. */
function upstreamFix(u: WalkedUpstream, c: ContainerModel): string {
  const d: Decision | null = u.decidedBy;
  const a = u.upstream.address;
  if (u.upstream.source === 'dns-option') return `${c.name} was started with --dns ${a}, which dockerd queries from inside the container: give it a server the container reaches, or drop --dns to use the host's`;
  // From the host's namespace (loopback servers; every server from Docker 28) the query never crosses FORWARD, so
  // DOCKER-USER cannot let it through: what drops it is the host's own OUTPUT (or INPUT, for its own address).
  if ((d?.kind === 'rule' || d?.kind === 'policy') && u.upstream.from === 'host') {
    return `dockerd queries ${a} from ${c.host.name}'s own namespace, and ${d.kind === 'rule' ? `${d.table} ${d.chain} rule ${d.index}` : `${d.table} ${d.chain}'s policy`} drops it there: let the host's own DNS queries to ${a} (udp and tcp 53) through in that chain, or set "dns" in /etc/docker/daemon.json to a server the host may reach`;
  }
  // DOCKER-USER comes first only in iptables' filter FORWARD: a drop anywhere else (raw, mangle, another table, nft)
  // is not undone by an accept there.
  if ((d?.kind === 'rule' || d?.kind === 'policy') && (d.table !== 'filter' || d.ip6tables || !(d.chain === 'FORWARD' || d.chain === ADMIN_CHAIN || DOCKER_CHAINS.has(d.chain)))) {
    return `${d.kind === 'rule' ? `${d.table} ${d.chain} rule ${d.index}` : `${d.table} ${d.chain}'s policy`} drops the forwarder's queries from ${c.name} to ${a}: let udp and tcp 53 to ${a} through there, or set "dns" in /etc/docker/daemon.json to a server the containers may reach`;
  }
  if (d?.kind === 'rule' || d?.kind === 'policy') {
    const subnets = [...new Set(c.endpoints.filter((e) => e.network && !e.network.isDefaultBridge).flatMap((e) => e.network!.subnets.map((s) => s.subnet)))];
    const src = subnets.length > 0 ? `-s ${subnets.join(',')} ` : '';
    return `let the forwarder's queries through before ${d.kind === 'rule' ? `${d.table} ${d.chain} rule ${d.index}` : `${d.table} ${d.chain}'s policy`}: iptables -I DOCKER-USER ${src}-d ${a} -p udp --dport 53 -j ACCEPT (and the same for tcp; DOCKER-USER survives daemon restarts, but not a reboot: save it with your firewall's persistence), or set "dns" in /etc/docker/daemon.json to a server the containers may reach`;
  }
  if (d?.kind === 'socket') return `nothing serves ${a}:53 on ${u.upstream.from === 'host' ? 'the host' : c.name}: start the resolver there (systemd-resolved for ${DOCKER_DNS.systemdStub}), or set "dns" in /etc/docker/daemon.json to a server that answers`;
  if (d?.kind === 'route') return `${d.host} has no route to ${a}: add one (a default route), or set "dns" in /etc/docker/daemon.json to a server on a network it reaches`;
  return `set "dns" in /etc/docker/daemon.json to a server the containers reach, then recreate the containers`;
}

export function dnsFindings(world: World, host: HostModel): Finding[] {
  // A snapshot from before netdiag read containers' resolvers: say DNS was not checked, rather than nothing.
  if (host.snapshot.dns === null) {
    return host.containers.length === 0 ? [] : [{ code: 'dns-not-collected', severity: 'info', host: host.name, title: "Docker's DNS was not checked: this snapshot holds no DNS data (taken by a netdiag from before it read containers' resolvers)", evidence: [], fix: 'collect the host again (netdiag snapshot) to check name resolution' }];
  }
  const out: Finding[] = [];
  const cs = host.containers.filter(judged);
  const user = cs.filter(onUserNetwork);
  const hostDns = host.snapshot.dns?.host;
  // The host's file as evidence: the same for every container, so worded once.
  const file = hostDns ? upstreamFile(hostDns) : null;
  const fileText = file?.file ? `${file.file.path}: ${file.file.nameservers.length > 0 ? `nameserver ${file.file.nameservers.join(', ')}` : 'no nameserver'}` : 'no /etc/resolv.conf on the host';
  // Grouped: every container on a network usually has the same problem, said once with them all named.
  const groups = new Map<string, { finding: Finding; containers: string[] }>();
  const add = (key: string, c: ContainerModel, make: () => Finding) => {
    const g = groups.get(key);
    if (g) g.containers.push(c.name);
    else groups.set(key, { finding: make(), containers: [c.name] });
  };
  for (const c of user) {
    const r = resolverPath(world, c);
    if (r.verdict === 'blocked') {
      add(`resolver:${c.name}`, c, () => ({ code: 'dns-resolver-unreachable', severity: 'error', host: host.name, subject: c.name, title: `${c.name} cannot reach Docker's embedded DNS at ${r.address}: no container name resolves there`, evidence: [r.reason], fix: `restart the container (docker restart ${c.name}) so dockerd writes its resolver rules and socket again; if they are removed again, look for whatever flushes the nat table inside containers` }));
      continue;
    }
    const walked = walkUpstreams(world, c);
    if (typeof walked === 'string') continue;
    if (walked.length === 0) {
      add('none', c, () => ({ code: 'dns-no-upstream', severity: 'error', host: host.name, title: `Docker's embedded DNS has no upstream server: names outside Docker's networks do not resolve in containers`, evidence: [fileText, `dockerd ${host.snapshot.docker?.version ?? '?'} uses no fallback server`], fix: 'add a nameserver to the host\'s /etc/resolv.conf, or set "dns": ["<server>"] in /etc/docker/daemon.json, then restart dockerd' }));
      continue;
    }
    if (walked.every((u) => u.upstream.source === 'default')) {
      add('default', c, () => ({ code: 'dns-default-upstream', severity: 'warning', host: host.name, title: `the host lists no nameserver, so dockerd falls back to Google's ${walked.map((u) => u.upstream.address).join(' and ')} for containers`, evidence: [fileText, ...walked.map((u) => `${u.upstream.address}: ${u.upstream.verdict}, ${u.upstream.reason}`)], fix: 'set "dns": ["<your server>"] in /etc/docker/daemon.json (or fix the host\'s /etc/resolv.conf) and restart dockerd: a network that blocks public DNS breaks every external name in containers' }));
    }
    if (walked.every((u) => u.upstream.verdict === 'blocked')) {
      const key = `blocked:${walked.map((u) => `${u.upstream.address}/${u.upstream.from}/${u.decidedBy?.kind}/${u.decidedBy?.kind === 'rule' ? u.decidedBy.text : ''}`).join(',')}`;
      add(key, c, () => ({ code: 'dns-upstream-unreachable', severity: 'error', host: host.name, title: `Docker's DNS forwarder cannot reach any upstream server from where it queries: names outside Docker's networks do not resolve in containers`, evidence: walked.map((u) => `${u.upstream.address} (${u.upstream.source}, queried from the ${u.upstream.from === 'host' ? 'host' : 'container'}'s namespace): ${u.upstream.reason}`), fix: upstreamFix(walked[0]!, c) }));
    }
  }
  // The default bridge: no embedded DNS, so containers there find each other only by address (or --link).
  const plain = cs.filter((c) => !onUserNetwork(c) && c.endpoints.some((e) => e.network?.isDefaultBridge) && !(c.dns?.resolvConf?.nameservers.includes(DOCKER_DNS.address) ?? false));
  // There the container asks its resolv.conf's servers itself, through its bridge and the host's FORWARD and NAT.
  for (const c of plain) {
    const servers = ownServers(c);
    if (!servers) continue;
    const walked = walkServers(world, c, servers);
    if (walked.length === 0) {
      add('plain-none', c, () => ({ code: 'dns-no-upstream', severity: 'error', host: host.name, subject: c.name, title: `${c.name}'s resolv.conf names no nameserver: no name resolves in it`, evidence: [`${c.dns!.resolvConf!.path}: no nameserver`], fix: 'add a nameserver to the host\'s /etc/resolv.conf (or "dns" in /etc/docker/daemon.json) and recreate the container' }));
    } else if (walked.every((u) => u.upstream.verdict === 'blocked')) {
      const key = `plain:${walked.map((u) => `${u.upstream.address}/${u.decidedBy?.kind}/${u.decidedBy?.kind === 'rule' ? u.decidedBy.text : ''}`).join(',')}`;
      add(key, c, () => ({ code: 'dns-upstream-unreachable', severity: 'error', host: host.name, title: `containers on the default bridge cannot reach the nameservers their resolv.conf names: no name resolves in them`, evidence: walked.map((u) => `${u.upstream.address} (their resolv.conf, asked from the container's namespace): ${u.upstream.reason}`), fix: upstreamFix(walked[0]!, c) }));
    }
  }
  // Those that cannot name some other: a --link writes the other's name into /etc/hosts, which libc reads first.
  const unnamed = plain.filter((a) => plain.some((b) => b !== a && !nameResolution(a, b, b.name).resolves));
  if (unnamed.length >= 2) {
    const names = unnamed.map((c) => c.name);
    out.push({ code: 'dns-default-bridge', severity: 'warning', host: host.name, title: `${names.join(', ')} are on the default bridge, which has no embedded DNS: they cannot reach each other by name`, evidence: unnamed.map((c) => `${c.name}: resolv.conf names ${c.dns?.resolvConf?.nameservers.join(', ') || 'no nameserver'}, not ${DOCKER_DNS.address}`), fix: `docker network create app && ${names.map((n) => `docker network connect app ${n}`).join(' && ')} (containers on a user-defined network resolve each other's names)` });
  }
  for (const g of groups.values()) {
    if (g.containers.length > 1 || !g.finding.subject) g.finding.evidence.push(`containers: ${g.containers.join(', ')}`);
    out.push(g.finding);
  }
  return out;
}
