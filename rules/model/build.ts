// Turns snapshots into the model: containers joined to their sandbox interfaces and routes, rules parsed, lookups indexed.
import type { HostSnapshot, PolicyRule, Route } from '../../snapshot/host-snapshot.js';
import { addressBits, isLinkLocal6, isLoopback, parseCidr, parseIp } from '../addr/addr.js';
import { buildRuleset } from '../netfilter/ruleset.js';
import { jumpLimit } from '../netfilter/walk-chain.js';
import { buildNftRuleset } from '../nftables/model.js';
import { netnsOwnerId } from './netns.js';
import { bridgePortOf, dockerAttachment, interfaceAttachment, overlayPortOf, sharedFrom } from './attachment.js';
import { childrenByParent } from './lower.js';
import { overlayOfPort, overlaysOf } from './overlay.js';
import { swarmEnds } from './swarm-ends.js';
import type { Ip } from '../addr/addr.js';
import { ipText } from '../addr/addr.js';
import type { ContainerModel, Endpoint, HostModel, Routing, RouteEntry, SandboxDnsModel, World } from './types.js';
import type { SandboxDns } from '../../snapshot/host-snapshot.js';
import { PrefixMap } from '../addr/prefix-map.js';
import { snapshotRules } from '../meaning/host.js';
import { compileRules } from './policy.js';

/** A namespace's routing: its tables indexed, its rules compiled; `groups` its devices' interface groups when read. */
export function buildRouting(routes: Route[], rules: PolicyRule[], groups: Map<string, string> | null = null): Routing {
  const tables = new Map<string, RouteEntry[]>();
  for (const r of routes) {
    if (r.family !== 'inet' && r.family !== 'inet6') continue;
    const c = parseCidr(r.dst);
    if (!c) continue;
    const e: RouteEntry = { route: r, net: c.addr, bits: c.bits, gateway: r.gateway ? parseIp(r.gateway) : null, prefsrc: r.prefsrc ? parseIp(r.prefsrc) : null };
    const list = tables.get(r.table) ?? [];
    list.push(e);
    tables.set(r.table, list);
  }
  // Longest prefix first, then lowest metric: the first of equal routes wins, as a scan in this order would take it.
  const index: Routing['index'] = new Map();
  for (const [name, list] of tables) {
    list.sort((a, b) => b.bits - a.bits || a.route.metric - b.route.metric);
    const byNet = new PrefixMap<RouteEntry>();
    for (const e of list) {
      const c = { addr: e.net, bits: e.bits };
      if (!byNet.get(c)) byNet.set(c, e);
    }
    index.set(name, byNet);
  }
  const sorted = [...rules].sort((a, b) => a.priority - b.priority);
  const compiled = { 4: compileRules(sorted.filter((r) => r.family !== 'inet6'), 4), 6: compileRules(sorted.filter((r) => r.family === 'inet6'), 6) };
  // Most namespaces have only the kernel's rules: their lookup is these tables in order, no rule evaluated.
  const plain = (f: 4 | 6) => (compiled[f].plain ? compiled[f].list.flatMap((r): [string, PrefixMap<RouteEntry>][] => (index.has(r.table) ? [[r.table, index.get(r.table) as PrefixMap<RouteEntry>]] : [])) : null);
  return { tables, index, rules: compiled, plainTables: { 4: plain(4), 6: plain(6) }, groups };
}

/** The interface group of each of the host's devices, when every one was read (snapshots before it was collected have none). */
function interfaceGroups(s: HostSnapshot): Map<string, string> | null {
  const list = s.links?.interfaces ?? [];
  if (list.length === 0 || list.some((i) => i.group === undefined || i.group === null)) return null;
  return new Map(list.map((i) => [i.name, i.group as string]));
}

const flag = (v: string | null | undefined) => (v === null || v === undefined ? null : v.trim() === '1');

/**
 * The host's own addresses and the interface each is on: its interfaces' addresses, and those only its local table
 * names (the kernel answers for them too); with the broadcast addresses that table names.
 */
export function hostAddresses(s: HostSnapshot): { localAddrs: Map<Ip, string>; broadcastAddrs: Set<number> } {
  const localAddrs = new Map<Ip, string>();
  const broadcastAddrs = new Set<number>();
  for (const i of s.links?.interfaces ?? []) {
    for (const a of i.addresses) {
      const ip = a.family === 'inet' || a.family === 'inet6' ? parseIp(a.local) : null;
      if (ip !== null) localAddrs.set(ip, i.name);
    }
  }
  for (const r of s.routes?.routes ?? []) {
    if (r.table !== 'local' || (r.family !== 'inet' && r.family !== 'inet6')) continue;
    const ip = parseIp(r.dst.split('/')[0] ?? '');
    if (ip === null) continue;
    const host = typeof ip === 'number' ? '/32' : '/128';
    if (r.type === 'local' && (r.dst.endsWith(host) || !r.dst.includes('/')) && !localAddrs.has(ip)) localAddrs.set(ip, r.dev ?? 'lo');
    if (r.type === 'broadcast' && typeof ip === 'number') broadcastAddrs.add(ip);
  }
  return { localAddrs, broadcastAddrs };
}

export function buildHost(s: HostSnapshot): HostModel {
  const interfaces = new Map((s.links?.interfaces ?? []).map((i) => [i.name, i]));
  const { localAddrs, broadcastAddrs } = hostAddresses(s);
  // The rules parsed, and what every rule means, decided once here from the rules and Docker's own data: the same
  // reading doctor, plans and the ledger take without a model.
  const { ruleset, ruleset6, nft, meanings } = snapshotRules(s);
  const host: HostModel = {
    name: s.name,
    snapshot: s,
    interfaces,
    localAddrs,
    broadcastAddrs,
    routing: s.routes ? buildRouting(s.routes.routes, s.routes.rules, interfaceGroups(s)) : null,
    ruleset,
    ruleset6,
    nft,
    jumpLimit: jumpLimit(s.firewall?.backend ?? null),
    ipForward: flag(s.sysctls?.values['net.ipv4.ip_forward']),
    ipForward6: flag(s.sysctls?.values['net.ipv6.conf.all.forwarding']),
    brNetfilter: s.sysctls ? flag(s.sysctls.values['net.bridge.bridge-nf-call-iptables']) : null,
    brNetfilter6: s.sysctls ? flag(s.sysctls.values['net.bridge.bridge-nf-call-ip6tables']) : null,
    containers: [],
    foreignPorts: foreignPorts(s),
    endpointsOnBridge: new Map(),
    children: new Map(),
    overlays: overlaysOf(s),
    published: [],
    sockets: s.sockets?.host ?? null,
    meanings,
  };
  const networks = new Map((s.docker?.networks ?? []).map((n) => [n.id, n]));
  const byId = new Map((s.docker?.containers ?? []).map((c) => [c.id, c]));
  const sandboxes = new Map((s.links?.sandboxes ?? []).map((x) => [x.containerId, x]));
  const sandboxRoutes = new Map((s.routes?.sandboxes ?? []).map((x) => [x.containerId, x]));
  const sockets = new Map((s.sockets?.sandboxes ?? []).map((x) => [x.containerId, x.sockets]));
  const dns = new Map((s.dns?.sandboxes ?? []).map((x) => [x.containerId, x]));
  // One per namespace: a side-car (--network container:X) shares its owner's resolver rules.
  const namespaceDns = new Map<string, SandboxDnsModel>();
  for (const c of s.docker?.containers ?? []) {
    if (c.state !== 'running') continue;
    // container:<id> mode lives in the other container's namespace: same interfaces, same routes.
    const owner = byId.get(netnsOwnerId(c)) ?? c;
    const cm: ContainerModel = { host, docker: c, name: c.name, netns: 'unknown', netnsOwnerId: owner.id, sandboxKey: owner.sandboxKey, routing: null, endpoints: [], unread: null, sockets: null, neighbours: [], dns: null };
    const through = owner === c ? null : owner;
    if (owner.networkModeKind === 'host') {
      cm.netns = 'host';
      cm.sandboxKey = null;
      cm.sockets = host.sockets;
      // It answers at the host's own addresses (not loopback), through the host's stack.
      for (const [ip, iface] of host.localAddrs) {
        if (isLoopback(ip) || isLinkLocal6(ip)) continue;
        cm.endpoints.push({ container: cm, ip, ipText: ipText(ip), prefixLen: addressBits(ip), network: null, iface, attachment: sharedFrom(through, { kind: 'host-netns' }), observed: true });
      }
      cm.routing = host.routing;
      cm.neighbours = s.routes?.neighbours ?? [];
    } else {
      const sb = sandboxes.get(owner.id);
      const rt = sandboxRoutes.get(owner.id);
      cm.sockets = sockets.get(owner.id) ?? null;
      const d = dns.get(owner.id);
      // The namespace is the owner's; the --dns servers are the owner's too (its resolver serves the shared namespace).
      if (d) {
        let model = namespaceDns.get(owner.id);
        if (!model) namespaceDns.set(owner.id, (model = sandboxDns(s.name, d)));
        cm.dns = model;
      }
      if (sb && rt) {
        cm.netns = 'sandbox';
        cm.routing = buildRouting(rt.routes, rt.rules);
        cm.neighbours = rt.neighbours;
        for (const iface of sb.interfaces) {
          for (const a of iface.addresses) {
            // Link-local IPv6 (fe80::/10) means something only on its own link, with a zone: not an address to reach a container at.
            const ip = a.family === 'inet' || a.family === 'inet6' ? parseIp(a.local) : null;
            if (ip === null || isLinkLocal6(ip)) continue;
            const ep = owner.endpoints.find((e) => (typeof ip === 'number' ? e.ip === a.local : e.ipv6 !== null && parseIp(e.ipv6) === ip));
            const network = ep ? (networks.get(ep.networkId) ?? null) : null;
            const endpoint: Endpoint = {
              container: cm,
              ip,
              ipText: ipText(ip),
              prefixLen: a.prefixLen,
              network,
              iface: iface.name,
              attachment: sharedFrom(through, interfaceAttachment(iface, network)),
              observed: true,
            };
            cm.endpoints.push(endpoint);
            // Only bridge ports answer on a bridge: a macvlan or ipvlan child is on its parent's segment, not here.
            const port = bridgePortOf(endpoint.attachment);
            if (port && c === owner) onBridge(host, port.bridge, endpoint);
            onOverlay(host, endpoint, c === owner);
          }
        }
      }
    }
    if (cm.netns === 'unknown') {
      // Its namespace was not read: its addresses are still known from Docker, and every walk through them says so.
      cm.unread = unreadReason(s, owner.name);
      for (const e of owner.endpoints) {
        const network = networks.get(e.networkId) ?? null;
        for (const [text, prefixLen] of [[e.ip, e.prefixLen ?? 32], [e.ipv6, e.ipv6PrefixLen ?? 64]] as const) {
          const ip = text ? parseIp(text) : null;
          if (ip === null) continue;
          const endpoint: Endpoint = { container: cm, ip, ipText: ipText(ip), prefixLen, network, iface: '?', attachment: sharedFrom(through, dockerAttachment(network)), observed: false };
          cm.endpoints.push(endpoint);
          const port = bridgePortOf(endpoint.attachment);
          if (port && c === owner) onBridge(host, port.bridge, endpoint);
          onOverlay(host, endpoint, c === owner);
        }
      }
    }
    host.containers.push(cm);
    // Docker lists a published port once per family it listens on (0.0.0.0:8080 and :::8080): each is a docker-proxy of its own.
    for (const port of c.ports) if (port.hostPort !== null) host.published.push({ container: cm, port });
  }
  host.children = childrenByParent(host);
  return host;
}

/** An endpoint answering on a bridge, in the containers' order (appended: a copy per endpoint made a bridge of n ports cost n²/2). */
function onBridge(host: HostModel, bridge: string, ep: Endpoint): void {
  const list = host.endpointsOnBridge.get(bridge);
  if (list) list.push(ep);
  else host.endpointsOnBridge.set(bridge, [ep]);
}

/** An endpoint on an overlay is a port of that network's bridge on its node (a side-car's stands for its owner's). */
function onOverlay(host: HostModel, ep: Endpoint, owner: boolean): void {
  const port = overlayPortOf(ep.attachment);
  if (!port || !owner) return;
  overlayOfPort(host.overlays, port)?.endpoints.push(ep);
}

/** Ports enslaved to a bridge that no container's veth accounts for. */
export function foreignPorts(s: HostSnapshot): Map<string, string[]> {
  const containerVeths = new Set((s.links?.sandboxes ?? []).flatMap((sb) => sb.interfaces.map((i) => i.hostVeth?.name).filter((n): n is string => !!n)));
  // Swarm's own namespaces (ingress_sbox) have a veth on docker_gwbridge too: not a port off the host either.
  const swarm = swarmEnds(s);
  for (const i of s.links?.interfaces ?? []) if (swarm.has(i.ifindex)) containerVeths.add(i.name);
  const bridges = new Set((s.links?.interfaces ?? []).filter((i) => i.kind === 'bridge').map((i) => i.name));
  const out = new Map<string, string[]>();
  for (const i of s.links?.interfaces ?? []) {
    if (!i.master || !bridges.has(i.master) || containerVeths.has(i.name)) continue;
    // A snapshot taken for one question entered only its containers: the other veths are containers' all the same.
    if (s.scope !== null && i.kind === 'veth') continue;
    out.set(i.master, [...(out.get(i.master) ?? []), i.name]);
  }
  return out;
}

/** In the collector's own words, why a container's namespace is not in the snapshot. */
function unreadReason(s: HostSnapshot, name: string): string {
  const own = s.errors.find((e) => e.subject === name && (e.collector === 'links' || e.collector === 'routes'));
  if (own) return `${own.collector}: ${own.message}`;
  const whole = s.errors.find((e) => !e.subject && (e.collector === 'links' || e.collector === 'routes'));
  if (whole) return `${whole.collector}: ${whole.message}`;
  if (!s.links || !s.routes) return `the ${!s.links ? 'links' : 'routes'} collector did not run`;
  if (s.notEntered?.includes(name)) return 'collected for a question about other containers: only their namespaces were entered';
  return 'it was not running, or had no namespace, when the host was collected';
}

export function buildWorld(snapshots: HostSnapshot[]): World {
  return { hosts: snapshots.map(buildHost) };
}

/**
 * A namespace's resolver rules, parsed when a walk first sends from that namespace: the model is built for every
 * question and every container has a nat table, but a question from one container walks only that one's.
 */
function sandboxDns(host: string, d: SandboxDns): SandboxDnsModel {
  let ruleset: SandboxDnsModel['ruleset'] | undefined;
  let nft: SandboxDnsModel['nft'] | undefined;
  return {
    get ruleset() {
      if (ruleset === undefined) ruleset = d.nat ? buildRuleset(host, { tables: d.nat }) : null;
      return ruleset;
    },
    get nft() {
      if (nft === undefined) nft = d.nft ? buildNftRuleset(host, d.nft) : null;
      return nft;
    },
    resolvConf: d.resolvConf,
    dnsServers: d.dnsServers,
  };
}
