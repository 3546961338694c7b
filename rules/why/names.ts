// Whether B's name resolves from A, and to what: A's /etc/hosts first (where --link writes, and where libc looks
// first), then Docker's embedded DNS at 127.0.0.11, which serves only containers on a user-defined network, and
// answers for containers on the networks they share, with their names, aliases and short IDs on those networks.
import type { DnsStep, WhyAnswer } from '../../snapshot/contract.js';
import type { ContainerModel, World } from '../model/types.js';
import { resolvConfStep, resolverPath, resolverStep, stepsVerdict } from '../dns/resolver.js';

type NameAnswer = WhyAnswer['dns'];

/** The names B answers to on one of its networks, as Docker's DNS knows them. */
function namesOn(b: ContainerModel, networkId: string): Set<string> {
  const ep = b.docker.endpoints.find((e) => e.networkId === networkId);
  const names = new Set([b.name, b.docker.id.slice(0, 12), ...(ep?.aliases ?? []), ...(ep?.dnsNames ?? [])]);
  return new Set([...names].map((n) => n.toLowerCase()));
}

/** The container whose /etc/hosts A reads: a --network container:X side-car has X's. */
function hostsOf(a: ContainerModel): { ip: string; names: string[] }[] | null {
  if (a.docker.hostsFile) return a.docker.hostsFile;
  return a.host.containers.find((c) => c.docker.id === a.netnsOwnerId)?.docker.hostsFile ?? null;
}

/**
 * Whether `asked` (one of B's names) resolves from A, and to what. With the world, the way to Docker's resolver is
 * walked too: a blocked way means the name does not resolve; a way netdiag cannot check (rules not collected) leaves
 * the answer to what Docker's DNS would say, with the gap named in the steps.
 */
export function nameResolution(a: ContainerModel, b: ContainerModel, asked: string = b.name, world: World | null = null): NameAnswer {
  const name = asked.toLowerCase();
  const base = { name: asked, resolver: null, upstreams: [] };
  const fromHosts = (hostsOf(a) ?? []).filter((e) => e.names.some((n) => n.toLowerCase() === name)).map((e) => e.ip);
  if (fromHosts.length > 0) {
    const link = a.docker.links.some((l) => l.split(':')[0] === `/${b.name}`);
    const note = `${asked} resolves from ${a.name} through its /etc/hosts${link ? ` (written by --link ${b.name})` : ''}, to ${fromHosts.join(', ')}`;
    return { ...base, resolves: true, via: 'hosts-file', network: null, addresses: fromHosts, note, steps: [{ kind: 'hosts-file', verdict: 'reachable', text: note }] };
  }
  // Across nodes only a swarm-scoped network (an overlay) shares names: NetworkDB gossips its endpoints' records.
  const across = a.host !== b.host;
  const owner = a.host.containers.find((c) => c.docker.id === a.netnsOwnerId) ?? a;
  if (across && !owner.endpoints.some((e) => e.network?.scope === 'swarm' && b.endpoints.some((x) => x.network?.id === e.network?.id))) {
    return { ...base, resolves: false, via: null, network: null, addresses: [], note: `${b.name} is on another host and shares no swarm overlay with ${a.name}: Docker's DNS does not resolve it from ${a.name}; use its address`, steps: [] };
  }
  const userNets = owner.endpoints.map((e) => e.network).filter((n): n is NonNullable<typeof n> => n !== null && !n.isDefaultBridge && n.driver !== 'host' && n.driver !== 'null' && (!across || n.scope === 'swarm'));
  const rc = resolvConfStep(owner);
  const steps: DnsStep[] = [];
  if (userNets.length === 0) {
    const onDefault = owner.endpoints.some((e) => e.network?.isDefaultBridge);
    const note = onDefault ? `the name ${asked} does not resolve from ${a.name}: the default bridge has no embedded DNS (only user-defined networks do; --link writes /etc/hosts)` : `the name ${asked} does not resolve from ${a.name}: it is on no user-defined network, so Docker's DNS does not serve it`;
    // Its resolv.conf names the host's servers: they know nothing of container names.
    if (rc) steps.push({ ...rc, verdict: 'reachable' });
    const servers = owner.dns?.resolvConf?.nameservers ?? [];
    steps.push({ kind: 'answer', verdict: 'blocked', text: `no Docker DNS on ${onDefault ? 'the default bridge' : 'its networks'}: ${servers.length > 0 ? `${owner.name} asks ${servers.join(', ')} directly, which know` : 'its resolvers know'} nothing of container names` });
    return { ...base, resolves: false, via: null, network: null, addresses: [], note, steps };
  }
  if (rc) steps.push(rc);
  const resolver = world ? resolverPath(world, owner) : null;
  if (resolver) steps.push(resolverStep(resolver));
  // The embedded DNS answers with B's address on each network both are on (A's networks, in A's order).
  // A container sharing another's namespace (--network container:X) has no endpoint of its own, so Docker's DNS holds
  // no record of its name (seen in the lab: nslookup side-car fails while its owner's name answers).
  const sidecar = b.netnsOwnerId !== b.docker.id;
  const hits = sidecar ? [] : userNets.flatMap((n) => (namesOn(b, n.id).has(name) ? b.endpoints.filter((e) => e.network?.id === n.id).map((e) => ({ network: n.name, ip: e.ipText })) : []));
  const way = stepsVerdict(steps);
  if (hits.length > 0) {
    const nets = [...new Set(hits.map((h) => h.network))].join(', ');
    steps.push({ kind: 'answer', verdict: 'reachable', text: `dockerd answers ${asked} itself: ${b.name} is on ${nets} with ${a.name}, at ${hits.map((h) => h.ip).join(', ')}` });
    if (way === 'blocked') {
      const why = steps.find((s) => s.verdict === 'blocked')?.text ?? '';
      return { ...base, resolver, resolves: false, via: null, network: null, addresses: [], note: `the name ${asked} does not resolve from ${a.name}: Docker's DNS would answer it, but the query does not get there (${why})`, steps };
    }
    const gap = way === 'unknown' ? ' (the way to Docker\'s resolver is unknown: see resolver below)' : '';
    return { ...base, resolver, resolves: true, via: 'embedded-dns', network: hits[0]!.network, addresses: hits.map((h) => h.ip), note: `${asked} resolves from ${a.name} through Docker's embedded DNS on ${nets}, to ${hits.map((h) => h.ip).join(', ')}${gap}`, steps };
  }
  const owner2 = sidecar ? b.host.containers.find((c) => c.docker.id === b.netnsOwnerId) : undefined;
  steps.push({ kind: 'forward', verdict: 'blocked', text: `dockerd does not know ${asked} on ${a.name}'s networks: it forwards the name upstream, where container names are unknown` });
  const why = sidecar ? `${b.name} shares ${owner2?.name ?? 'another container'}'s namespace (--network container:…) and has no endpoint of its own, so Docker's DNS has no name for it${owner2 ? ` (ask for ${owner2.name} instead)` : ''}` : 'they share no user-defined network';
  return { ...base, resolver, resolves: false, via: null, network: null, addresses: [], note: `the name ${asked} does not resolve from ${a.name}: ${why}`, steps };
}
