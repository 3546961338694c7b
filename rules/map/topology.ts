// The map's model: hosts as frames, Docker networks as boxes with their containers, and between networks the share of
// container pairs that reach each other, each edge with what decides it — computed by the same walks as `matrix`.
import { familyOf, inCidr, parseCidr, parseIp } from '../addr/addr.js';
import type { Family } from '../addr/addr.js';
import type { ContainerModel, Endpoint, HostModel, World } from '../model/types.js';
import { childAttachment } from '../model/lower.js';
import { dockerAttachment, ownAttachment } from '../model/attachment.js';
import { eachPair } from '../matrix/matrix.js';
import { qualifiedName } from '../query/resolve.js';
import { why } from '../why/why.js';
import { BOTH, familyName, familyWord } from '../why/verdict.js';
import type { Flow, MapTopology, MatrixPair, WhyAnswer } from '../../snapshot/contract.js';
import type { DockerNetwork } from '../../snapshot/host-snapshot.js';
import { collisionEffects, collisions, overlappingSubnets } from '../model/overlaps.js';
import { cidrText } from '../addr/addr.js';
import { routeText } from '../model/route-lookup.js';
import { DOCKER_GWBRIDGE } from '../meaning/layouts.js';

/**
 * Past this many containers in view, containers fold into a count per network (`netdiag map --containers` unfolds):
 * forty boxes of names still read as a picture (the seed's three, a dozen-service compose project); a few hundred do
 * not, and the networks' exceptions are what an operator looks for there.
 */
export const FOLD_AT = 40;

type Edge = MapTopology['edges'][number];
type Net = MapTopology['hosts'][number]['networks'][number];

/** A network's key across hosts: `host/network` (two hosts both have a `bridge`). */
const netKey = (host: string, network: string) => `${host}/${network}`;
/** A swarm overlay seen on several hosts is one network: one key for all its hosts. */
export const SPANNING = 'swarm';

/** Overlay networks (by Docker's network ID, the same on every node of a swarm) attached on two or more hosts in view. */
function spanningOverlays(world: World): Map<string, { network: DockerNetwork; hosts: HostModel[] }> {
  const seen = new Map<string, { network: DockerNetwork; hosts: HostModel[] }>();
  for (const h of world.hosts) {
    for (const n of h.snapshot.docker?.networks ?? []) {
      if (n.driver !== 'overlay' || n.scope !== 'swarm') continue;
      const s = seen.get(n.id) ?? { network: n, hosts: [] };
      s.hosts.push(h);
      seen.set(n.id, s);
    }
  }
  return new Map([...seen].filter(([, s]) => s.hosts.length > 1));
}

/** A network that is not a bridge says how its containers attach (macvlan bridge on eth0): no bridge box tells it. */
function driverFlag(n: DockerNetwork): string {
  if (n.driver === 'bridge' || n.driver === 'host' || n.driver === 'null') return '';
  const a = dockerAttachment(n);
  const on = (parent: string | null) => (parent ? ` on ${parent}` : '');
  if (a.kind === 'macvlan') return `macvlan${a.mode ? ` ${a.mode}` : ''}${on(a.parent)}`;
  if (a.kind === 'ipvlan') return `ipvlan${[a.mode, a.flag].filter(Boolean).map((x) => ` ${x}`).join('')}${on(a.parent)}`;
  return n.driver;
}

/**
 * A macvlan or ipvlan network its own host cannot reach (no shim, or no route by it): the isolation operators meet
 * first, told on the network's box, from one walk of the host to the network's first container.
 */
function hostIsolated(world: World, h: HostModel, on: Endpoint[], flow: Flow, families: readonly Family[]): string {
  const ep = on.find((e) => childAttachment(e.attachment) !== null && families.includes(familyOf(e.ip)));
  if (!ep) return '';
  const a = why(world, `${h.name}/host`, qualifiedName(ep.container, world), flow, families).addresses.find((x) => x.ip === ep.ipText);
  return a?.verdict === 'blocked' && a.decidedBy?.code === 'parent-isolation' ? `${h.name} cannot reach it (parent isolation: no shim)` : '';
}

const shareOf = (reachable: number, unknown: number, total: number): Edge['share'] => (unknown > 0 && reachable === 0 ? 'unknown' : reachable === total ? 'all' : reachable === 0 ? 'none' : 'some');

/** What a page that explains the map needs besides it: every pair's verdicts, and each edge's example explained. */
export interface TopologyDetail {
  pairs: MatrixPair[];
  /** By edge id: the why of its example pair (the walk that gave the edge its code). */
  answers: Map<string, WhyAnswer>;
}

type Example = Edge['example'];
interface Tally { from: string; to: string; reachable: number; unknown: number; total: number; open: Example | null; shut: Example | null; crossHost: boolean }

/**
 * The map's model; with `detail`, also what the walks behind it found, so nothing is walked twice. Only exceptions to
 * Docker's default become edges: a network pair none of whose container pairs reach is what Docker intends (counted in
 * `defaults`, not drawn), and so is a network all of whose own pairs reach.
 */
export function buildTopology(world: World, flow: Flow, opts: { fold?: boolean } = {}, detail?: TopologyDetail, families: readonly Family[] = BOTH): MapTopology {
  const containers = world.hosts.flatMap((h) => h.containers);
  const folded = opts.fold ?? containers.length > FOLD_AT;
  const byName = new Map(containers.map((c) => [qualifiedName(c, world), c]));
  const spanning = spanningOverlays(world);
  // An address Docker lists under no network (a swarm task's docker_gwbridge leg) belongs to the network whose bridge
  // its veth is a port of, not to the container's network mode.
  const bridged = (e: Endpoint): DockerNetwork | null => {
    const a = ownAttachment(e.attachment);
    return a.kind === 'bridge-port' ? ((e.container.host.snapshot.docker?.networks ?? []).find((n) => n.bridge === a.bridge) ?? null) : null;
  };
  const netOf = (e: Endpoint): string => {
    const n = e.network ?? bridged(e);
    return n && spanning.has(n.id) ? netKey(SPANNING, n.name) : netKey(e.container.host.name, n?.name ?? (e.container.netns === 'host' ? 'host' : e.container.docker.networkMode));
  };
  const netsOf = (c: ContainerModel): string[] => (c.endpoints.length > 0 ? [...new Set(c.endpoints.map(netOf))] : [netKey(c.host.name, c.docker.networkMode)]);
  // Swarm's exit leg (icc off by Docker's own design): every overlay container is on it, but no pair is asked over it.
  const exitLegs = new Set(world.hosts.map((h) => netKey(h.name, DOCKER_GWBRIDGE)));
  const tallies = new Map<string, Tally>();
  // One count per container pair (reachable when any address of B is, as `why` answers): an address on docker_gwbridge
  // that stays shut does not make a working overlay pair a blocked one. The pair counts on the network it is asked
  // over: one both containers are on (where Docker's default says it reaches), else B's first address's network.
  eachPair(world, flow, (p) => {
    detail?.pairs.push(p);
    const a = byName.get(p.from);
    const b = byName.get(p.to);
    if (!a || !b) return;
    const aNets = new Set(netsOf(a));
    const addrs = p.addresses.flatMap((x) => {
      const ep = b.endpoints.find((e) => e.ipText === x.ip);
      return ep ? [{ x, net: netOf(ep) }] : [];
    });
    // Pairs with no address of the family asked add to no edge, so nothing is drawn blocked.
    if (addrs.length === 0) return;
    const shared = addrs.filter((y) => aNets.has(y.net) && !exitLegs.has(y.net));
    const pool = shared.length > 0 ? shared : addrs;
    const open = pool.find((y) => y.x.verdict === 'reachable') ?? addrs.find((y) => y.x.verdict === 'reachable');
    const unknown = !open && addrs.some((y) => y.x.verdict === 'unknown');
    const at = (open ?? pool[0])!;
    const from = aNets.has(at.net) && (open || !exitLegs.has(at.net)) ? at.net : (netsOf(a)[0] as string);
    const key = `${from}\u0000${at.net}`;
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = { from, to: at.net, reachable: 0, unknown: 0, total: 0, open: null, shut: null, crossHost: a.host !== b.host }));
    t.total++;
    const ex = { from: p.from, to: p.to, ip: at.x.ip };
    if (open) {
      t.reachable++;
      t.open ??= ex;
    } else {
      if (unknown) t.unknown++;
      t.shut ??= ex;
    }
  }, families);
  const edges: Edge[] = [];
  const inside = new Map<string, Net['inside']>();
  const defaults = { isolatedPairs: 0, openNetworks: 0 };
  // What decides, in Docker's words: one walk with its trace per drawn edge (exceptions only, never networks²).
  const codeOf = (id: string, ex: Example | null, keep: boolean): string | null => {
    if (!ex) return null;
    const answer = why(world, ex.from, ex.to, flow, families);
    if (keep && detail) detail.answers.set(id, answer);
    const a = answer.addresses.find((x) => x.ip === ex.ip);
    return a?.decidedBy?.code ?? (a?.verdict === 'unknown' ? 'unknown' : null);
  };
  for (const t of tallies.values()) {
    const share = shareOf(t.reachable, t.unknown, t.total);
    if (t.from === t.to) {
      inside.set(t.from, { share, reachable: t.reachable, total: t.total });
      if (share === 'all') {
        defaults.openNetworks++;
        continue;
      }
    } else if (share === 'none') {
      defaults.isolatedPairs++;
      continue;
    }
    const id = `e${edges.length}`;
    const example = (t.shut ?? t.open) as Example;
    const code = t.shut ? codeOf(id, t.shut, true) ?? (share === 'unknown' ? 'unknown' : null) : null;
    const via = t.open ? codeOf(id, t.open, !t.shut) ?? 'open' : null;
    const kind: Edge['kind'] = t.from === t.to ? 'block' : share === 'unknown' ? 'unknown' : t.crossHost ? 'cross-host' : 'path';
    edges.push({ id, kind, from: t.from, to: t.to, share, reachable: t.reachable, total: t.total, code, via, example });
  }
  const joined: MapTopology['joined'] = [];
  const networkBox = (n: DockerNetwork, id: string, on: Endpoint[], h: HostModel): Net => {
    // Asked about one family, a network whose containers have none of it says so: its box is not a blocked one.
    const lacking = families.length === 1 && on.length > 0 && !on.some((e) => families.includes(familyOf(e.ip)));
    const flags = [driverFlag(n), hostIsolated(world, h, on, flow, families), n.internal ? 'internal' : '', n.icc ? '' : 'icc off', n.gatewayModeIpv4 && n.gatewayModeIpv4 !== 'nat' ? `gateway ${n.gatewayModeIpv4}` : '', n.ipv6 ? 'IPv6' : '', lacking ? `no ${familyWord(familyName(families[0] as Family))} address` : ''].filter(Boolean);
    return { id, name: n.name, bridge: n.bridge, subnets: n.subnets.map((s) => s.subnet), flags, inside: inside.get(id) ?? { share: 'all', reachable: 0, total: 0 }, containers: [], count: 0 };
  };
  const spanBoxes = new Map<string, Net & { hosts: string[] }>();
  for (const { network, hosts } of spanning.values()) {
    const id = netKey(SPANNING, network.name);
    const h = hosts[0] as HostModel;
    const on = h.containers.flatMap((c) => c.endpoints.filter((e) => e.network?.id === network.id));
    spanBoxes.set(id, { ...networkBox(network, id, on, h), bridge: null, hosts: hosts.map((x) => x.name) });
  }
  const published: MapTopology['published'] = [];
  const hosts: MapTopology['hosts'] = world.hosts.map((h) => {
    const nets = new Map<string, Net>();
    for (const n of h.snapshot.docker?.networks ?? []) {
      if (spanning.has(n.id)) continue;
      const id = netKey(h.name, n.name);
      const on = h.containers.flatMap((c) => c.endpoints.filter((e) => (e.network ?? bridged(e))?.id === n.id));
      nets.set(id, networkBox(n, id, on, h));
    }
    for (const c of h.containers) {
      const byNet = new Map<string, string[]>();
      for (const e of c.endpoints) byNet.set(netOf(e), [...(byNet.get(netOf(e)) ?? []), `${e.iface !== '?' ? `${e.iface} ` : ''}${e.ipText}`]);
      if (byNet.size === 0) byNet.set(netKey(h.name, c.docker.networkMode), []);
      for (const [id, addresses] of byNet) {
        let n: Net | undefined = spanBoxes.get(id) ?? nets.get(id);
        if (!n) nets.set(id, (n = { id, name: id.slice(h.name.length + 1), bridge: null, subnets: [], flags: [], inside: { share: 'all', reachable: 0, total: 0 }, containers: [], count: 0 }));
        n.count++;
        // In a network spanning hosts, a container is named with its host.
        if (!folded) n.containers.push({ name: spanBoxes.has(id) ? qualifiedName(c, world) : c.name, addresses });
      }
      // Its exit leg does not make a swarm container one on two networks: that is swarm's plumbing, on every one of them.
      const on = [...byNet.keys()].filter((k) => !exitLegs.has(k));
      if (on.length > 1) joined.push({ container: qualifiedName(c, world), networks: on });
    }
    const portText = (p: HostModel['published'][number]) => `${p.port.hostIp.includes(':') ? `[${p.port.hostIp}]` : p.port.hostIp}:${p.port.hostPort}/${p.port.protocol} → ${p.container.name}:${p.port.containerPort}`;
    // On the edge, a port published on every address of both families (0.0.0.0 and ::) is one port.
    const edgeText = (p: HostModel['published'][number]) => (p.port.hostIp === '0.0.0.0' || p.port.hostIp === '::' ? `:${p.port.hostPort}/${p.port.protocol} → ${p.container.name}:${p.port.containerPort}` : portText(p));
    // A published port is an exception too: the host's address leads into a network Docker otherwise keeps to itself.
    const byNet = new Map<string, Set<string>>();
    for (const p of h.published) {
      const net = netsOf(p.container)[0] as string;
      byNet.set(net, (byNet.get(net) ?? new Set()).add(edgeText(p)));
    }
    for (const [network, ports] of byNet) published.push({ host: h.name, network, ports: [...ports] });
    const bridgedPorts = [...h.foreignPorts].flatMap(([bridge, ports]) => ports.map((port) => ({ bridge, port })));
    // Networks with nothing on them and no bridge (none, host) say nothing in a picture.
    return { name: h.name, published: [...new Set(h.published.map(portText))], bridgedPorts, networks: [...nets.values()].filter((n) => n.count > 0 || n.bridge !== null) };
  });
  const overlaps = [...overlappingSubnets(world).map((g) => ({ subnet: g.shared, networks: [...new Set(g.uses.map((u) => (spanning.has(u.network.id) ? netKey(SPANNING, u.network.name) : netKey(u.host.name, u.network.name))))] })).filter((o) => o.networks.length > 1), ...collisionOverlaps(world)];
  return { flow, families: families.map(familyName), collectedAt: world.hosts.map((h) => h.snapshot.collectedAt), folded, hosts, spanning: [...spanBoxes.values()], edges, published, defaults, joined, overlaps, routes: crossHostRoutes(world) };
}

/** Docker networks colliding with a LAN/VPN prefix, marked as overlaps of one network: with what, and whether it shadows anything in view. */
function collisionOverlaps(world: World): MapTopology['overlaps'] {
  return collisions(world).map((c) => {
    const e = collisionEffects(world, c);
    const collidesWith = { kind: c.with.kind, prefix: cidrText(c.with.prefix), iface: c.with.iface, host: c.with.host, route: c.with.entry ? routeText(c.with.entry) : null, shadows: e.forContainers.length > 0 || e.members.length > 0 };
    return { subnet: cidrText(c.shared), networks: [netKey(c.host.name, c.network.name)], collidesWith };
  });
}

/** Routes on one host to a subnet of another host's networks via that host's own address. */
function crossHostRoutes(world: World): MapTopology['routes'] {
  const out: MapTopology['routes'] = [];
  for (const h of world.hosts) {
    for (const list of h.routing?.tables.values() ?? []) {
      for (const e of list) {
        if (!e.gateway || e.route.type !== 'unicast') continue;
        const gateway = e.gateway;
        const peer = world.hosts.find((o) => o !== h && o.localAddrs.has(gateway));
        if (!peer) continue;
        const net = (peer.snapshot.docker?.networks ?? []).find((n) => n.subnets.some((s) => {
          const c = parseCidr(s.subnet);
          const d = parseIp(e.route.dst.split('/')[0] ?? '');
          return c !== null && d !== null && inCidr(d, c);
        }));
        if (net) out.push({ from: h.name, to: netKey(peer.name, net.name), dst: e.route.dst, via: e.route.gateway ?? '' });
      }
    }
  }
  return out;
}
