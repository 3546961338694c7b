// The map's model: hosts as frames, Docker networks as boxes with their containers, and between networks the share of
// container pairs that reach each other, each edge with what decides it — computed by the same walks as `matrix`.
import { familyOf, inCidr, parseCidr, parseIp } from '../addr/addr.js';
import type { Family } from '../addr/addr.js';
import type { ContainerModel, Endpoint, HostModel, World } from '../model/types.js';
import { childAttachment } from '../model/lower.js';
import { dockerAttachment } from '../model/attachment.js';
import { eachPair } from '../matrix/matrix.js';
import { qualifiedName } from '../query/resolve.js';
import { why } from '../why/why.js';
import { BOTH, familyName, familyWord } from '../why/verdict.js';
import type { Flow, MapTopology, MatrixPair, WhyAnswer } from '../../snapshot/contract.js';
import type { DockerNetwork } from '../../snapshot/host-snapshot.js';
import { collisionEffects, collisions, overlappingSubnets } from '../model/overlaps.js';
import { cidrText } from '../addr/addr.js';
import { routeText } from '../model/route-lookup.js';

/** Past this many containers in view, containers fold into a count per network: the network-level edges stay. */
export const FOLD_AT = 40;

type Edge = MapTopology['edges'][number];

/** A network's key across hosts: `host/network` (two hosts both have a `bridge`). */
const netKey = (host: string, network: string) => `${host}/${network}`;

function endpointNetwork(e: Endpoint): string {
  return netKey(e.container.host.name, e.network?.name ?? (e.container.netns === 'host' ? 'host' : e.container.docker.networkMode));
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

/** The map's model; with `detail`, also what the walks behind it found, so nothing is walked twice. */
export function buildTopology(world: World, flow: Flow, opts: { fold?: boolean } = {}, detail?: TopologyDetail, families: readonly Family[] = BOTH): MapTopology {
  const containers = world.hosts.flatMap((h) => h.containers);
  const folded = opts.fold ?? containers.length > FOLD_AT;
  const byName = new Map(containers.map((c) => [qualifiedName(c, world), c]));
  // The network A sends from: its first network (as the metrics count it); B's by the address asked.
  const fromNet = (c: ContainerModel) => (c.endpoints[0] ? endpointNetwork(c.endpoints[0]) : netKey(c.host.name, c.docker.networkMode));
  const agg = new Map<string, { from: string; to: string; reachable: number; unknown: number; total: number; example: Edge['example'] | null; blocked: Edge['example'] | null }>();
  // Pairs with no address of the family asked have no addresses here: they add to no edge, so nothing is drawn blocked.
  eachPair(world, flow, (p) => {
    detail?.pairs.push(p);
    const a = byName.get(p.from);
    const b = byName.get(p.to);
    if (!a || !b) return;
    for (const addr of p.addresses) {
      const ep = b.endpoints.find((e) => e.ipText === addr.ip);
      if (!ep) continue;
      const key = `${fromNet(a)}\u0000${endpointNetwork(ep)}`;
      let v = agg.get(key);
      if (!v) agg.set(key, (v = { from: fromNet(a), to: endpointNetwork(ep), reachable: 0, unknown: 0, total: 0, example: null, blocked: null }));
      v.total++;
      if (addr.verdict === 'reachable') v.reachable++;
      if (addr.verdict === 'unknown') v.unknown++;
      const ex = { from: p.from, to: p.to, ip: addr.ip };
      v.example ??= ex;
      if (addr.verdict !== 'reachable') v.blocked ??= ex;
    }
  }, families);
  const edges: Edge[] = [];
  const inside = new Map<string, { share: Edge['share']; reachable: number; total: number }>();
  for (const v of agg.values()) {
    const share = shareOf(v.reachable, v.unknown, v.total);
    const example = v.blocked ?? (v.example as Edge['example']);
    if (v.from === v.to) {
      inside.set(v.from, { share, reachable: v.reachable, total: v.total });
      continue;
    }
    // What blocks, in Docker's words: one walk with its trace per edge (networks², not containers²).
    const id = `e${edges.length}`;
    const answer = v.blocked || detail ? why(world, example.from, example.to, flow, families) : null;
    if (answer && detail) detail.answers.set(id, answer);
    const code = v.blocked ? (answer?.addresses.find((x) => x.ip === example.ip)?.decidedBy?.code ?? null) : null;
    edges.push({ id, from: v.from, to: v.to, share, reachable: v.reachable, total: v.total, code, example });
  }
  const joined: MapTopology['joined'] = [];
  const hosts: MapTopology['hosts'] = world.hosts.map((h) => {
    const nets = new Map<string, MapTopology['hosts'][number]['networks'][number]>();
    for (const n of h.snapshot.docker?.networks ?? []) {
      const id = netKey(h.name, n.name);
      // Asked about one family, a network whose containers have none of it says so: its box is not a blocked one.
      const on = h.containers.flatMap((c) => c.endpoints.filter((e) => e.network?.id === n.id));
      const lacking = families.length === 1 && on.length > 0 && !on.some((e) => families.includes(familyOf(e.ip)));
      const flags = [driverFlag(n), hostIsolated(world, h, on, flow, families), n.internal ? 'internal' : '', n.icc ? '' : 'icc off', n.gatewayModeIpv4 && n.gatewayModeIpv4 !== 'nat' ? `gateway ${n.gatewayModeIpv4}` : '', n.ipv6 ? 'IPv6' : '', lacking ? `no ${familyWord(familyName(families[0] as Family))} address` : ''].filter(Boolean);
      nets.set(id, { id, name: n.name, bridge: n.bridge, subnets: n.subnets.map((s) => s.subnet), flags, inside: inside.get(id) ?? { share: 'all', reachable: 0, total: 0 }, containers: [], count: 0 });
    }
    for (const c of h.containers) {
      const byNet = new Map<string, string[]>();
      for (const e of c.endpoints) byNet.set(endpointNetwork(e), [...(byNet.get(endpointNetwork(e)) ?? []), `${e.iface !== '?' ? `${e.iface} ` : ''}${e.ipText}`]);
      if (byNet.size === 0) byNet.set(netKey(h.name, c.docker.networkMode), []);
      for (const [id, addresses] of byNet) {
        let n = nets.get(id);
        if (!n) nets.set(id, (n = { id, name: id.slice(h.name.length + 1), bridge: null, subnets: [], flags: [], inside: { share: 'all', reachable: 0, total: 0 }, containers: [], count: 0 }));
        n.count++;
        if (!folded) n.containers.push({ name: c.name, addresses });
      }
      if (byNet.size > 1) joined.push({ container: qualifiedName(c, world), networks: [...byNet.keys()] });
    }
    const published = h.published.map((p) => `${p.port.hostIp.includes(':') ? `[${p.port.hostIp}]` : p.port.hostIp}:${p.port.hostPort}/${p.port.protocol} → ${p.container.name}:${p.port.containerPort}`);
    const bridgedPorts = [...h.foreignPorts].flatMap(([bridge, ports]) => ports.map((port) => ({ bridge, port })));
    // Networks with nothing on them and no bridge (none, host) say nothing in a picture.
    return { name: h.name, published: [...new Set(published)], bridgedPorts, networks: [...nets.values()].filter((n) => n.count > 0 || n.bridge !== null) };
  });
  const overlaps = [...overlappingSubnets(world).map((g) => ({ subnet: g.shared, networks: [...new Set(g.uses.map((u) => netKey(u.host.name, u.network.name)))] })), ...collisionOverlaps(world)];
  return { flow, families: families.map(familyName), collectedAt: world.hosts.map((h) => h.snapshot.collectedAt), folded, hosts, edges, joined, overlaps, routes: crossHostRoutes(world) };
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
