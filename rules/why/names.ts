// Whether B's name resolves from A, and to what: A's /etc/hosts first (where --link writes, and where libc looks
// first), then Docker's embedded DNS at 127.0.0.11, which serves only containers on a user-defined network, and
// answers for containers on the networks they share, with their names, aliases and short IDs on those networks.
import type { WhyAnswer } from '../../snapshot/contract.js';
import type { ContainerModel } from '../model/types.js';

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

export function nameResolution(a: ContainerModel, b: ContainerModel, asked: string = b.name): NameAnswer {
  const name = asked.toLowerCase();
  const base = { name: asked };
  const fromHosts = (hostsOf(a) ?? []).filter((e) => e.names.some((n) => n.toLowerCase() === name)).map((e) => e.ip);
  if (fromHosts.length > 0) {
    const link = a.docker.links.some((l) => l.split(':')[0] === `/${b.name}`);
    return { ...base, resolves: true, via: 'hosts-file', network: null, addresses: fromHosts, note: `${asked} resolves from ${a.name} through its /etc/hosts${link ? ` (written by --link ${b.name})` : ''}, to ${fromHosts.join(', ')}` };
  }
  if (a.host !== b.host) return { ...base, resolves: false, via: null, network: null, addresses: [], note: `${b.name} is on another host: Docker's DNS does not resolve it from ${a.name}; use its address` };
  const owner = a.host.containers.find((c) => c.docker.id === a.netnsOwnerId) ?? a;
  const userNets = owner.endpoints.map((e) => e.network).filter((n): n is NonNullable<typeof n> => n !== null && !n.isDefaultBridge && n.driver !== 'host' && n.driver !== 'null');
  if (userNets.length === 0) {
    const onDefault = owner.endpoints.some((e) => e.network?.isDefaultBridge);
    return { ...base, resolves: false, via: null, network: null, addresses: [], note: onDefault ? `the name ${asked} does not resolve from ${a.name}: the default bridge has no embedded DNS (only user-defined networks do; --link writes /etc/hosts)` : `the name ${asked} does not resolve from ${a.name}: it is on no user-defined network, so Docker's DNS does not serve it` };
  }
  // The embedded DNS answers with B's address on each network both are on (A's networks, in A's order).
  const hits = userNets.flatMap((n) => (namesOn(b, n.id).has(name) ? b.endpoints.filter((e) => e.network?.id === n.id).map((e) => ({ network: n.name, ip: e.ipText })) : []));
  if (hits.length > 0) {
    return { ...base, resolves: true, via: 'embedded-dns', network: hits[0]!.network, addresses: hits.map((h) => h.ip), note: `${asked} resolves from ${a.name} through Docker's embedded DNS on ${[...new Set(hits.map((h) => h.network))].join(', ')}, to ${hits.map((h) => h.ip).join(', ')}` };
  }
  return { ...base, resolves: false, via: null, network: null, addresses: [], note: `the name ${asked} does not resolve from ${a.name}: they share no user-defined network` };
}
