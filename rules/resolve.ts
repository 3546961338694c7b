// Names users type → what they mean: HOST/NAME, a container name, an ID prefix, or an address.
import { ipToNumber, numberToIp } from './iptables/addr.js';
import { shown } from './shown.js';
import type { ContainerModel, HostModel, World } from './model/types.js';

export type Target = { kind: 'container'; container: ContainerModel } | { kind: 'host'; host: HostModel; ip: number } | { kind: 'address'; ip: number };

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
  if (slash > 0 && ipToNumber(text.slice(0, slash)) === null) {
    const hostName = text.slice(0, slash);
    hosts = world.hosts.filter((h) => h.name === hostName);
    if (hosts.length === 0) throw new ResolveError(`unknown host ${shown(hostName)}`, `hosts in view: ${world.hosts.map((h) => h.name).join(', ')}`);
    name = text.slice(slash + 1);
  }
  const all = hosts.flatMap((h) => h.containers);
  const ip = ipToNumber(name);
  if (ip !== null) {
    const owners = all.filter((c) => c.endpoints.some((e) => e.ip === ip) && c.netnsOwnerId === c.docker.id);
    if (owners.length === 1) return { kind: 'container', container: owners[0] as ContainerModel };
    const host = hosts.find((h) => h.localAddrs.has(ip));
    if (host) return { kind: 'host', host, ip };
    return { kind: 'address', ip };
  }
  const byName = all.filter((c) => c.name === name);
  const matches = byName.length > 0 ? byName : /^[0-9a-f]{3,64}$/.test(name) ? all.filter((c) => c.docker.id.startsWith(name)) : [];
  if (matches.length === 1) return { kind: 'container', container: matches[0] as ContainerModel };
  if (matches.length > 1) {
    throw new ResolveError(`${shown(text)} is ambiguous: ${matches.map((c) => `${c.host.name}/${c.name}`).join(', ')}`, 'qualify it as HOST/NAME, or give a longer ID prefix');
  }
  throw new ResolveError(`no running container ${shown(text)}`, known(world));
}

/** Where a live probe of A → B runs and what it aims at: A's namespace (null: the host's own) and every address of B. */
export function probeTargets(world: World, from: string, to: string): { sandboxKey: string | null; ips: string[] } {
  const a = resolveContainer(world, from);
  if (a.netns !== 'host' && !a.sandboxKey) throw new ResolveError(`${a.name} has no network namespace netdiag can enter`, 'is it running?');
  const t = resolve(world, to);
  return { sandboxKey: a.netns === 'host' ? null : a.sandboxKey, ips: (t.kind === 'container' ? t.container.endpoints.map((e) => e.ip) : [t.ip]).map(numberToIp) };
}
