// Names users type → what they mean: HOST/NAME, a container name (or /name, as `docker inspect` prints it), a compose
// service, a network alias, an ID prefix, the host itself (`host`, its name), or an address.
import { ipText, isLinkLocal6, isLoopback, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { byService, composeOf, serviceWords } from './compose.js';
import { closest } from './did-you-mean.js';
import { shown } from './shown.js';
import type { ContainerModel, HostModel, World } from '../model/types.js';

/** `ip` null: the host named as itself (`host`, h1, h1/host), whose addresses depend on who asks (see hostAddresses). */
export type Target = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel; ip: Ip | null } | { kind: 'address'; ip: Ip };

export class ResolveError extends Error {
  override name = 'ResolveError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export const qualifiedName = (c: ContainerModel, world: World) => (world.hosts.length > 1 ? `${c.host.name}/${c.name}` : c.name);

/** Every name a user could have meant on these hosts: containers, compose services, the hosts themselves. */
function candidates(world: World, hosts: HostModel[]): string[] {
  const multi = world.hosts.length > 1;
  return hosts.flatMap((h) => [
    ...(multi ? [h.name, `${h.name}/host`] : ['host', h.name]),
    ...h.containers.flatMap((c) => {
      const n = composeOf(c);
      const words = [c.name, ...(n ? serviceWords(n).slice(0, 2) : [])];
      return multi ? words.map((w) => `${h.name}/${w}`) : words;
    }),
  ]);
}

/**
 * What to say after "no running container X": the closest names in view, not the first ones in the alphabet. A name
 * typed as HOST/NAME is compared with that host's names; a bare one, across hosts, with every host's (bare, then shown
 * qualified).
 */
function didYouMean(world: World, hosts: HostModel[], text: string, word: string): string {
  const count = world.hosts.reduce((n, h) => n + h.containers.length, 0);
  if (count === 0) return 'no running containers are in view';
  const all = [...new Set(candidates(world, hosts))];
  const multi = world.hosts.length > 1;
  const qualified = multi && text !== word;
  const bare = (c: string) => (multi ? c.slice(c.indexOf('/') + 1) : c);
  const byBare = new Map<string, string[]>();
  for (const c of all) byBare.set(bare(c), [...(byBare.get(bare(c)) ?? []), c]);
  const near = qualified ? closest(text, all) : closest(word, byBare.keys()).flatMap((b) => byBare.get(b) ?? []).slice(0, 4);
  if (near.length > 0) return `did you mean ${near.join(', ')}?`;
  const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
  return count <= 8 ? `running: ${names.join(', ')}` : `no name in view is close to it; netdiag matrix lists the ${count} containers in view`;
}

export function resolveContainer(world: World, text: string): ContainerModel {
  const t = resolve(world, text);
  if (t.kind !== 'container') throw new ResolveError(`${text} is not a container`, 'name a container by name, ID prefix or address');
  return t.container;
}

/** The host a word names as itself: `host` (one host in view), HOST, or HOST/host; null when it names none. */
function hostNamed(world: World, text: string): HostModel | null {
  const byName = world.hosts.find((h) => h.name === text || text === `${h.name}/host`);
  if (byName) return byName;
  if (text !== 'host') return null;
  if (world.hosts.length === 1) return world.hosts[0] as HostModel;
  throw new ResolveError(`"host" is ambiguous: ${world.hosts.length} hosts are in view`, `say which: ${world.hosts.map((h) => `${h.name}/host`).join(', ')}`);
}

export function resolve(world: World, text: string): Target {
  const slash = text.indexOf('/');
  let hosts = world.hosts;
  let name = text;
  if (slash > 0 && parseIp(text.slice(0, slash)) === null) {
    const hostName = text.slice(0, slash);
    hosts = world.hosts.filter((h) => h.name === hostName);
    if (hosts.length === 0) throw new ResolveError(`unknown host ${shown(hostName)}`, `hosts in view: ${world.hosts.map((h) => h.name).join(', ')}`);
    name = text.slice(slash + 1);
  }
  const all = hosts.flatMap((h) => h.containers);
  const ip = parseIp(name);
  if (ip !== null) {
    // The owner of the namespace that holds the address: not a side-car sharing it, nor a host-mode container.
    const owners = all.filter((c) => c.endpoints.some((e) => e.ip === ip) && c.netnsOwnerId === c.docker.id && c.netns !== 'host');
    if (owners.length === 1) return { kind: 'container', container: owners[0] as ContainerModel };
    const host = hosts.find((h) => h.localAddrs.has(ip));
    if (host) return { kind: 'host', host, ip };
    return { kind: 'address', ip };
  }
  // Docker prints names with a leading slash (`docker inspect`, `docker ps --format {{.Names}}` in the API): the same name.
  const word = name.startsWith('/') ? name.slice(1) : name;
  // A container's own name wins over everything else (as in Docker: a name before an ID prefix).
  const byName = all.filter((c) => c.name === word);
  if (byName.length === 1) return { kind: 'container', container: byName[0] as ContainerModel };
  if (byName.length > 1) throw new ResolveError(`${shown(text)} is ambiguous: ${byName.map((c) => `${c.host.name}/${c.name}`).join(', ')}`, 'qualify it as HOST/NAME');
  const host = hostNamed(world, text);
  if (host) return { kind: 'host', host, ip: null };
  // Docker accepts any unique prefix of the full ID, even one character.
  const byId = /^[0-9a-f]{1,64}$/.test(word) ? all.filter((c) => c.docker.id.startsWith(word)) : [];
  const service = byService(all, word);
  // A network alias (--network-alias, --link on a user network) names a container too, when only one answers to it.
  const byAlias = all.filter((c) => c.netnsOwnerId === c.docker.id && aliasesOf(c).has(word));
  const byWord = service.kind === 'one' ? [service.container] : byAlias;
  // A word that is both a service or alias and another container's ID prefix (`db`, `cafe`) is not guessed at.
  const other = byId.filter((c) => !byWord.includes(c));
  if (byWord.length > 0 && other.length > 0) {
    throw new ResolveError(`${shown(text)} is ambiguous: ${[...byWord.map((c) => `${c.host.name}/${c.name}`), ...other.map((c) => `${c.host.name}/${c.name} (ID ${c.docker.id.slice(0, 12)})`)].join(', ')}`, 'give the container name, or a longer ID prefix');
  }
  if (service.kind === 'ambiguous') throw new ResolveError(service.message, service.hint);
  const matches = byWord.length > 0 ? byWord : byId;
  if (matches.length === 1) return { kind: 'container', container: matches[0] as ContainerModel };
  if (matches.length > 1) {
    const ids = matches === byId;
    throw new ResolveError(`${shown(text)} is ambiguous: ${matches.map((c) => `${c.host.name}/${c.name}${ids ? ` (ID ${c.docker.id.slice(0, 12)})` : ''}`).join(', ')}`, ids ? 'give a longer ID prefix, or the name' : 'qualify it as HOST/NAME, or give the name');
  }
  throw new ResolveError(`no running container ${shown(text)}`, didYouMean(world, hosts, text, word));
}

/**
 * The addresses the host named as itself is asked at, as the one asking reaches it: from a container on that host,
 * the host's addresses on the container's own networks (its gateway: the bridge's address); from the host itself (or
 * a host-mode container), loopback; from elsewhere, the host's own addresses that are not Docker's bridges'.
 */
export function hostAddresses(host: HostModel, from: Source): Ip[] {
  const own = from.kind === 'host' ? from.host === host : from.container.host === host && from.container.netns === 'host';
  const local = [...host.localAddrs.keys()];
  if (own) return local.filter(isLoopback);
  if (from.kind === 'container' && from.container.host === host) {
    // A side-car (--network container:X) sends from X's namespace: X's gateways.
    const owner = host.containers.find((c) => c.docker.id === from.container.netnsOwnerId) ?? from.container;
    const gateways = owner.docker.endpoints.flatMap((e) => [e.gateway, e.ipv6Gateway]).flatMap((g) => (g ? [parseIp(g)] : [])).filter((g): g is Ip => g !== null && host.localAddrs.has(g));
    if (gateways.length > 0) return [...new Set(gateways)];
  }
  const bridges = new Set((host.snapshot.docker?.networks ?? []).map((n) => n.bridge).filter((b): b is string => b !== null));
  return local.filter((ip) => !isLoopback(ip) && !isLinkLocal6(ip) && !bridges.has(host.localAddrs.get(ip) as string));
}

/** Where a live probe of A → B runs and what it aims at: A's namespace (null: the host's own) and every address of B. */
export function probeTargets(world: World, from: string, to: string): { sandboxKey: string | null; ips: string[] } {
  const s = resolveSource(world, from);
  const t = resolve(world, to);
  const ips = (t.kind === 'container' ? t.container.endpoints.map((e) => e.ip) : t.kind === 'host' && t.ip === null ? hostAddresses(t.host, s) : [t.ip as Ip]).map(ipText);
  if (s.kind === 'host') return { sandboxKey: null, ips };
  const a = s.container;
  if (a.netns !== 'host' && !a.sandboxKey) throw new ResolveError(`${a.name} has no network namespace netdiag can enter`, 'is it running?');
  return { sandboxKey: a.netns === 'host' ? null : a.sandboxKey, ips };
}

export type Source = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel };

/** What a question starts from: a container, or a host itself, named as the host (h1, HOST/host) or one of its addresses. */
export function resolveSource(world: World, text: string): Source {
  const t = resolve(world, text);
  if (t.kind === 'container') return t;
  if (t.kind === 'host') return { kind: 'host', host: t.host };
  throw new ResolveError(`${shown(text)} is an address outside the hosts in view`, 'a question starts from a container, or from a host (its name, or one of its addresses)');
}

/** Whose network namespace a container uses, in words. */
export function namespaceOf(c: ContainerModel): string {
  if (c.netns === 'host') return "the host's (--network host)";
  if (c.netnsOwnerId !== c.docker.id) {
    const owner = c.host.containers.find((x) => x.docker.id === c.netnsOwnerId)?.name ?? c.netnsOwnerId.slice(0, 12);
    return `${owner}'s (--network container:${owner})`;
  }
  if (c.docker.networkModeKind === 'none') return 'its own, with no network (--network none)';
  return 'its own';
}

/** The aliases a container answers to on its networks (not its ID prefixes, which are matched as such). */
export function aliasesOf(c: ContainerModel): Set<string> {
  return new Set(c.docker.endpoints.flatMap((e) => [...e.aliases, ...e.dnsNames]).filter((a) => !c.docker.id.startsWith(a)));
}
