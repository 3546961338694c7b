// Names users type → what they mean: HOST/NAME, a container name, an ID prefix, or an address.
import { ipText, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import { shown } from './shown.js';
import type { ContainerModel, HostModel, World } from '../model/types.js';

export type Target = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel; ip: Ip } | { kind: 'address'; ip: Ip };

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

function known(world: World): string {
  const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
  if (names.length === 0) return 'no running containers are in view';
  return `known: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`;
}

export function resolveContainer(world: World, text: string): ContainerModel {
  const t = resolve(world, text);
  if (t.kind !== 'container') throw new ResolveError(`${text} is not a container`, 'name a container by name, ID prefix or address');
  return t.container;
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
  const byName = all.filter((c) => c.name === name);
  const byId = byName.length > 0 ? [] : /^[0-9a-f]{3,64}$/.test(name) ? all.filter((c) => c.docker.id.startsWith(name)) : [];
  // A network alias (--network-alias, --link on a user network) names a container too, when only one answers to it.
  const byAlias = byName.length > 0 || byId.length > 0 ? [] : all.filter((c) => c.netnsOwnerId === c.docker.id && aliasesOf(c).has(name));
  const matches = byName.length > 0 ? byName : byId.length > 0 ? byId : byAlias;
  if (matches.length === 1) return { kind: 'container', container: matches[0] as ContainerModel };
  if (matches.length > 1) {
    throw new ResolveError(`${shown(text)} is ambiguous: ${matches.map((c) => `${c.host.name}/${c.name}`).join(', ')}`, 'qualify it as HOST/NAME, or give a longer ID prefix');
  }
  throw new ResolveError(`no running container ${shown(text)}`, known(world));
}

/** Where a live probe of A → B runs and what it aims at: A's namespace (null: the host's own) and every address of B. */
export function probeTargets(world: World, from: string, to: string): { sandboxKey: string | null; ips: string[] } {
  const s = resolveSource(world, from);
  const t = resolve(world, to);
  const ips = (t.kind === 'container' ? t.container.endpoints.map((e) => e.ip) : [t.ip]).map(ipText);
  if (s.kind === 'host') return { sandboxKey: null, ips };
  const a = s.container;
  if (a.netns !== 'host' && !a.sandboxKey) throw new ResolveError(`${a.name} has no network namespace netdiag can enter`, 'is it running?');
  return { sandboxKey: a.netns === 'host' ? null : a.sandboxKey, ips };
}

export type Source = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel };

/** What a question starts from: a container, or a host itself, named as the host (h1, HOST/host) or one of its addresses. */
export function resolveSource(world: World, text: string): Source {
  const byHost = world.hosts.find((h) => h.name === text || text === `${h.name}/host` || (text === 'host' && world.hosts.length === 1));
  if (byHost && !byHost.containers.some((c) => c.name === text)) return { kind: 'host', host: byHost };
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
