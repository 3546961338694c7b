// Prediction: a change's steps applied to copies of the snapshots, so the model can answer as if they were done.
import type { HostSnapshot, NftTable } from '../../snapshot/host-snapshot.js';
import type { PlanStep } from '../../snapshot/contract.js';
import { ipText, ipToNumber, numberToIp, parseCidr, parseCidr4, parseIp } from '../addr/addr.js';
import { tokenize } from '../iptables/tokenize.js';
import { netnsOwnerId } from '../model/netns.js';
import { addressRoutes } from './kernel-routes.js';
import { DOCKER_DNS, DOCKER_NFT, isDockerForwardInChain } from '../meaning/layouts.js';
import { connectOverlay, overlayNodes } from './predict-overlay.js';

/** The address Docker's IPAM would most likely hand out next: the lowest free one after the gateway. */
export function nextFreeAddress(s: HostSnapshot, networkId: string): { ip: string; prefixLen: number } | null {
  const n = s.docker?.networks.find((x) => x.id === networkId);
  const sub = n?.subnets.find((x) => !x.subnet.includes(':'));
  const c = sub ? parseCidr4(sub.subnet) : null;
  if (!n || !sub || !c) return null;
  const used = new Set<number>();
  for (const ct of s.docker?.containers ?? []) for (const e of ct.endpoints) if (e.ip) used.add(ipToNumber(e.ip) as number);
  const gw = ipToNumber(sub.gateway ?? '') ?? c.addr + 1;
  used.add(gw);
  const size = 2 ** (32 - c.bits);
  for (let i = 2; i < size - 1; i++) if (!used.has(c.addr + i)) return { ip: numberToIp(c.addr + i), prefixLen: c.bits };
  return null;
}

/** The same for a network's IPv6 subnet: the lowest free address after its gateway (null when it has none). */
export function nextFreeAddress6(s: HostSnapshot, networkId: string): { ip: string; prefixLen: number; gateway: string | null; subnet: string } | null {
  const n = s.docker?.networks.find((x) => x.id === networkId);
  const sub = n?.subnets.find((x) => x.subnet.includes(':'));
  const c = sub ? parseCidr(sub.subnet) : null;
  if (!sub || !c || typeof c.addr !== 'bigint') return null;
  const used = new Set<bigint>();
  for (const ct of s.docker?.containers ?? []) for (const e of ct.endpoints) if (e.ipv6) used.add(parseIp(e.ipv6) as bigint);
  // Docker leaves Gateway empty when IPAM picked it: the subnet's first address, as for IPv4.
  used.add(sub.gateway ? (parseIp(sub.gateway) as bigint) : c.addr + 1n);
  for (let i = 1n; i < 65536n; i++) if (!used.has(c.addr + i)) return { ip: ipText(c.addr + i), prefixLen: c.bits, gateway: sub.gateway, subnet: sub.subnet };
  return null;
}

/** A rule as iptables-save prints it, from the argument list a step passes to iptables. */
export function iptablesRuleText(chain: string, rule: string[]): string {
  return ['-A', chain, ...rule.map((w) => (/[\s"\\]/.test(w) || w === '' ? `"${w.replace(/(["\\])/g, '\\$1')}"` : w))].join(' ');
}

/** A saved rule's argument list (after `-A CHAIN`), as one comparable string; null when it does not tokenize. */
const ruleKey = (text: string): string | null => {
  try {
    return tokenize(text).slice(2).join('\u0000');
  } catch {
    return null;
  }
};

const sameRule = (text: string, rule: string[]) => ruleKey(text) === rule.join('\u0000');

function connect(s: HostSnapshot, step: Extract<PlanStep, { kind: 'docker-network-connect' }>, all: HostSnapshot[]): void {
  const c = s.docker?.containers.find((x) => x.id === step.container);
  const n = s.docker?.networks.find((x) => x.id === step.networkId);
  if (n?.driver === 'overlay') {
    connectOverlay(all, s, step, n);
    if (c) startResolver(s, netnsOwnerId(c));
    return;
  }
  const addr = nextFreeAddress(s, step.networkId);
  const owner = c ? netnsOwnerId(c) : null;
  const sb = s.links?.sandboxes.find((x) => x.containerId === owner);
  const rt = s.routes?.sandboxes.find((x) => x.containerId === owner);
  const sub = n?.subnets.find((x) => !x.subnet.includes(':'));
  if (!c || !n || !addr || !sb || !rt || !sub) return;
  const ifname = `eth${sb.interfaces.length}`;
  // A dual-stack network gives the joining container an IPv6 address too, whatever its other networks are.
  const v6 = nextFreeAddress6(s, step.networkId);
  c.endpoints.push({ network: n.name, networkId: n.id, endpointId: '(planned)', ip: addr.ip, prefixLen: addr.prefixLen, gateway: sub.gateway, mac: null, ipv6: v6?.ip ?? null, ipv6PrefixLen: v6?.prefixLen ?? null, ipv6Gateway: v6?.gateway ?? null, aliases: [], dnsNames: [] });
  const addresses = [{ family: 'inet' as const, local: addr.ip, prefixLen: addr.prefixLen, scope: 'global' }, ...(v6 ? [{ family: 'inet6' as const, local: v6.ip, prefixLen: v6.prefixLen, scope: 'global' }] : [])];
  sb.interfaces.push({ name: ifname, ifindex: 1000 + sb.interfaces.length, kind: 'veth', mac: null, mtu: 1500, up: true, addresses, hostVeth: { ifindex: -1, name: `veth(${ifname})` }, bridge: n.bridge, lower: null });
  // The kernel routes a connected subnet through the new interface; the default route stays where it was.
  rt.routes.push(...addressRoutes(ifname, addr.ip, sub.subnet));
  if (v6) {
    rt.routes.push({ table: 'main', type: 'unicast', dst: v6.subnet, family: 'inet6', dev: ifname, gateway: null, prefsrc: null, protocol: 'kernel', scope: 'global', metric: 256, nexthops: [], flags: [] });
    rt.routes.push({ table: 'local', type: 'local', dst: `${v6.ip}/128`, family: 'inet6', dev: ifname, gateway: null, prefsrc: null, protocol: 'kernel', scope: 'global', metric: 0, nexthops: [], flags: [] });
  }
  if (!n.isDefaultBridge && n.driver !== 'host' && n.driver !== 'null' && owner) startResolver(s, owner);
}

/**
 * dockerd starts a container's embedded resolver when it first joins a network that has one (libnetwork's
 * populateNetworkResources → startResolver → rebuildDNS): its resolv.conf is rewritten to 127.0.0.11 and the
 * resolver's NAT written into its namespace, to a socket dockerd opens there (seen in the lab: a default-bridge
 * container connected to a user network resolves its names at once). The rules and sockets are the ones this dockerd
 * wrote for another container of the host, on its own ports; without such a container there is nothing to predict
 * from, and the name is left as it is.
 */
function startResolver(s: HostSnapshot, ownerId: string): void {
  const serves = (x: { resolvConf: { nameservers: string[] } | null }) => x.resolvConf?.nameservers.includes(DOCKER_DNS.address) ?? false;
  const dns = s.dns?.sandboxes.find((x) => x.containerId === ownerId);
  if (!dns || serves(dns)) return;
  const template = s.dns?.sandboxes.find((x) => x !== dns && serves(x) && (x.nat !== null || x.nft !== null));
  if (!template?.resolvConf) return;
  dns.resolvConf = { path: dns.resolvConf?.path ?? template.resolvConf.path, nameservers: [DOCKER_DNS.address], search: dns.resolvConf?.search ?? [], options: template.resolvConf.options };
  dns.nat = structuredClone(template.nat);
  dns.nft = structuredClone(template.nft);
  const socketsOf = (id: string) => s.sockets?.sandboxes.find((x) => x.containerId === id);
  const mine = socketsOf(ownerId);
  const resolverSockets = (socketsOf(template.containerId)?.sockets ?? []).filter((x) => x.address === DOCKER_DNS.address);
  if (mine) mine.sockets.push(...structuredClone(resolverSockets));
}

function disconnect(s: HostSnapshot, step: Extract<PlanStep, { kind: 'docker-network-disconnect' }>): void {
  const c = s.docker?.containers.find((x) => x.id === step.container);
  const ep = c?.endpoints.find((e) => e.networkId === step.networkId);
  if (!c || !ep) return;
  c.endpoints = c.endpoints.filter((e) => e !== ep);
  const owner = netnsOwnerId(c);
  const sb = s.links?.sandboxes.find((x) => x.containerId === owner);
  const iface = sb?.interfaces.find((i) => i.addresses.some((a) => a.local === ep.ip));
  if (sb && iface) sb.interfaces = sb.interfaces.filter((i) => i !== iface);
  const rt = s.routes?.sandboxes.find((x) => x.containerId === owner);
  if (rt && iface) rt.routes = rt.routes.filter((r) => r.dev !== iface.name);
}

function nftInsert(s: HostSnapshot, step: Extract<PlanStep, { kind: 'nft-insert' }>): void {
  const nft = (s.nftables ??= { version: null, tables: [], chains: [], rules: [], sets: [] });
  const fam = step.family as NftTable['family'];
  if (!nft.tables.some((t) => t.family === fam && t.name === step.table)) nft.tables.push({ family: fam, name: step.table, handle: 0, source: 'nft' });
  if (!nft.chains.some((c) => c.family === fam && c.table === step.table && c.name === step.chain)) {
    nft.chains.push({ family: fam, table: step.table, name: step.chain, handle: 0, type: step.create?.type ?? null, hook: step.create?.hook ?? null, prio: step.create?.prio ?? null, policy: step.create?.policy ?? null });
  }
  const handle = Math.max(0, ...nft.rules.map((r) => r.handle)) + 1;
  const rule = { family: fam, table: step.table, chain: step.chain, handle, comment: step.rule.comment, expr: step.rule.expr };
  const inChain = nft.rules.filter((r) => r.family === fam && r.table === step.table && r.chain === step.chain);
  const before = step.index === null ? undefined : inChain[step.index];
  const at = before ? nft.rules.indexOf(before) : nft.rules.length;
  nft.rules.splice(at, 0, rule);
}

/**
 * What a daemon.json change does to Docker 29's nftables rules: bridge-accept-fwmark adds an "ALLOW FW MARK" accept to
 * every bridge's filter-forward-in chain, after the established accept; allow-direct-routing drops "DROP DIRECT ACCESS".
 */
function daemonConfig(s: HostSnapshot, step: Extract<PlanStep, { kind: 'docker-daemon-config' }>): void {
  const nft = s.nftables;
  if (!nft) return;
  const docker = (r: { family: string; table: string }) => r.family === 'ip' && r.table === DOCKER_NFT.table;
  if (step.key === 'allow-direct-routing' && step.value === true) {
    nft.rules = nft.rules.filter((r) => !(docker(r) && r.chain === DOCKER_NFT.rawPrerouting && r.comment === DOCKER_NFT.directAccessComment));
  }
  if (step.key === 'bridge-accept-fwmark' && typeof step.value === 'string') {
    const [v, m] = step.value.split('/').map((x) => Number(x));
    const mask = m ?? 0xffffffff;
    let handle = Math.max(0, ...nft.rules.map((r) => r.handle));
    for (const c of nft.chains.filter((x) => docker(x) && isDockerForwardInChain(x.name))) {
      const first = nft.rules.findIndex((r) => docker(r) && r.chain === c.name);
      const expr = [{ match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, mask] }, right: (v ?? 0) & mask } }, { counter: { packets: 0, bytes: 0 } }, { accept: null }];
      nft.rules.splice(first < 0 ? nft.rules.length : first + 1, 0, { family: 'ip', table: DOCKER_NFT.table, chain: c.name, handle: ++handle, comment: DOCKER_NFT.allowMarkComment, expr });
    }
  }
}

/**
 * A host's own links, addresses and on-link routes as iproute2 leaves them (seen in a real shim's snapshot): a
 * macvlan child names its parent as `link` (so ip prints it as peer and lower alike); a /32 adds only its local route;
 * `ip route add DST dev DEV` is a boot-protocol route of scope link; a link's routes go with it.
 */
function linkStep(s: HostSnapshot, step: Extract<PlanStep, { kind: 'ip-link-add' | 'ip-link-del' | 'ip-link-set' | 'ip-addr-add' | 'ip-addr-del' | 'ip-link-route-add' | 'ip-link-route-del' }>): void {
  const links = s.links;
  const routes = s.routes;
  if (!links || !routes) return;
  const dev = step.kind === 'ip-link-add' || step.kind === 'ip-link-del' ? step.name : step.dev;
  const iface = links.interfaces.find((i) => i.name === dev);
  const local = (address: string) => address.split('/')[0] as string;
  switch (step.kind) {
    case 'ip-link-add': {
      const parent = links.interfaces.find((i) => i.name === step.parent);
      if (iface || !parent) return;
      const link = { ifindex: null, netnsId: null, name: step.parent };
      links.interfaces.push({ ifindex: Math.max(0, ...links.interfaces.map((i) => i.ifindex)) + 1, name: step.name, kind: step.type, master: null, portState: null, mtu: parent.mtu, mac: null, up: false, lowerUp: false, peer: link, addresses: [], lower: { ...link, mode: step.mode, flag: null, vlanId: null }, promiscuity: 0 });
      return;
    }
    case 'ip-link-del':
      links.interfaces = links.interfaces.filter((i) => i !== iface);
      routes.routes = routes.routes.filter((r) => r.dev !== dev);
      if (s.host) s.host.addresses = s.host.addresses.filter((a) => a.iface !== dev);
      return;
    case 'ip-link-set':
      if (!iface) return;
      iface.up = step.up;
      iface.lowerUp = step.up && (links.interfaces.find((i) => i.name === iface.lower?.name)?.lowerUp ?? true);
      return;
    case 'ip-addr-add': {
      const [ip, bits] = [local(step.address), Number(step.address.split('/')[1] ?? 32)];
      if (!iface || iface.addresses.some((a) => a.local === ip)) return;
      iface.addresses.push({ family: 'inet', local: ip, prefixLen: bits, scope: 'global' });
      s.host?.addresses.push({ iface: dev, ip, prefixLen: bits, family: 'inet', mac: iface.mac });
      routes.routes.push({ table: 'local', type: 'local', dst: `${ip}/32`, family: 'inet', dev, gateway: null, prefsrc: ip, protocol: 'kernel', scope: 'host', metric: 0, nexthops: [], flags: [] });
      const c = parseCidr4(step.address);
      if (c && c.bits < 32) routes.routes.push({ table: 'main', type: 'unicast', dst: `${numberToIp(c.addr)}/${c.bits}`, family: 'inet', dev, gateway: null, prefsrc: ip, protocol: 'kernel', scope: 'link', metric: 0, nexthops: [], flags: [] });
      return;
    }
    case 'ip-addr-del': {
      const ip = local(step.address);
      if (iface) iface.addresses = iface.addresses.filter((a) => a.local !== ip);
      if (s.host) s.host.addresses = s.host.addresses.filter((a) => !(a.iface === dev && a.ip === ip));
      routes.routes = routes.routes.filter((r) => !(r.dev === dev && r.prefsrc === ip));
      return;
    }
    case 'ip-link-route-add':
      if (!iface || routes.routes.some((r) => r.table === 'main' && r.dst === step.dst && r.dev === dev)) return;
      routes.routes.push({ table: 'main', type: 'unicast', dst: step.dst, family: 'inet', dev, gateway: null, prefsrc: null, protocol: 'boot', scope: 'link', metric: 0, nexthops: [], flags: [] });
      return;
    case 'ip-link-route-del':
      routes.routes = routes.routes.filter((r) => !(r.table === 'main' && r.dst === step.dst && r.dev === dev && r.gateway === null));
      return;
  }
}

/** The steps that change a host's own interfaces and addresses (linkStep); no other step writes to them. */
const OWN_LINK_STEPS = new Set<PlanStep['kind']>(['ip-link-add', 'ip-link-del', 'ip-link-set', 'ip-addr-add', 'ip-addr-del']);

/**
 * A host's snapshot to change: a copy, but for its own interfaces and addresses when no step changes them. Those are
 * most of a busy host's snapshot (a veth per container, each with its bridge-port details and a link-local address:
 * 1,000 entries at 500 containers), copied for every fix predicted; shared, they are read as they are.
 */
function copyOf(s: HostSnapshot, ownLinks: boolean): HostSnapshot {
  if (ownLinks || !s.links) return structuredClone(s);
  const c: HostSnapshot = structuredClone({ ...s, links: { ...s.links, interfaces: [] }, host: s.host && { ...s.host, addresses: [] } });
  (c.links as NonNullable<HostSnapshot['links']>).interfaces = s.links.interfaces;
  if (c.host && s.host) c.host.addresses = s.host.addresses;
  return c;
}

/** The snapshots as they would be after `steps`, in order; snapshots of hosts the steps do not touch are shared. */
export function applySteps(snapshots: HostSnapshot[], steps: PlanStep[]): HostSnapshot[] {
  const byHost = new Map<string, HostSnapshot>();
  const touched = new Set(steps.map((x) => x.host));
  // Joining an overlay changes every node holding it: NetworkDB writes the new endpoint's entries there.
  for (const step of steps) if (step.kind === 'docker-network-connect') for (const s of overlayNodes(snapshots, step.networkId)) touched.add(s.name);
  const out = snapshots.map((s) => {
    if (!touched.has(s.name)) return s;
    const c = copyOf(s, steps.some((x) => x.host === s.name && OWN_LINK_STEPS.has(x.kind)));
    byHost.set(c.name, c);
    return c;
  });
  const chainOf = (s: HostSnapshot, table: string, chain: string, six = false) => (six ? s.firewall?.tables6 : s.firewall?.tables)?.find((t) => t.name === table)?.chains.find((c) => c.name === chain);
  // A plan inserts hundreds of rules into one chain: each chain's rules are read once into a set of their argument
  // lists, and renumbered once at the end, not on every step (that was quadratic in the plan's size).
  type Chain = NonNullable<ReturnType<typeof chainOf>>;
  const known = new Map<Chain, Set<string>>();
  const keysOf = (chain: Chain) => {
    let k = known.get(chain);
    if (!k) known.set(chain, (k = new Set(chain.rules.map((r) => ruleKey(r.text)).filter((x): x is string => x !== null))));
    return k;
  };
  const renumber = new Set<Chain>();
  const routeKeys = new Map<HostSnapshot, Set<string>>();
  const routesOf = (s: HostSnapshot) => {
    let k = routeKeys.get(s);
    if (!k) routeKeys.set(s, (k = new Set((s.routes?.routes ?? []).filter((r) => r.table === 'main').map((r) => `${r.dst} ${r.gateway}`))));
    return k;
  };
  for (const step of steps) {
    const s = byHost.get(step.host);
    if (!s) continue;
    switch (step.kind) {
      case 'docker-network-connect':
        connect(s, step, out);
        break;
      case 'docker-network-disconnect':
        disconnect(s, step);
        break;
      case 'iptables-insert': {
        const chain = chainOf(s, step.table, step.chain, step.ip6tables);
        const key = step.rule.join('\u0000');
        if (!chain || keysOf(chain).has(key)) break;
        const at = Math.min((step.position ?? 1) - 1, chain.rules.length);
        chain.rules.splice(at, 0, { index: 0, text: iptablesRuleText(step.chain, step.rule), packets: 0, bytes: 0 });
        keysOf(chain).add(key);
        renumber.add(chain);
        break;
      }
      case 'iptables-delete': {
        const chain = chainOf(s, step.table, step.chain, step.ip6tables);
        if (!chain) break;
        // iptables -D deletes the first rule that matches the specification.
        const at = chain.rules.findIndex((r) => sameRule(r.text, step.rule));
        if (at < 0) break;
        chain.rules.splice(at, 1);
        known.delete(chain);
        renumber.add(chain);
        break;
      }
      case 'sysctl':
        if (s.sysctls) s.sysctls.values[step.key] = step.value;
        break;
      case 'ip-route-add':
        if (s.routes && !routesOf(s).has(`${step.dst} ${step.via}`)) {
          routesOf(s).add(`${step.dst} ${step.via}`);
          s.routes.routes.push({ table: 'main', type: 'unicast', dst: step.dst, family: 'inet', dev: step.dev, gateway: step.via, prefsrc: null, protocol: 'boot', scope: 'global', metric: 0, nexthops: [], flags: [] });
        }
        break;
      case 'ip-route-del':
        if (s.routes) s.routes.routes = s.routes.routes.filter((r) => !(r.table === 'main' && r.dst === step.dst && r.gateway === step.via));
        routeKeys.delete(s);
        break;
      case 'nft-insert':
        nftInsert(s, step);
        break;
      case 'nft-delete':
        if (s.nftables) s.nftables.rules = s.nftables.rules.filter((r) => !(r.family === step.family && r.table === step.table && r.chain === step.chain && (step.handle === null ? JSON.stringify(r.expr) === JSON.stringify(step.rule.expr) && r.comment === step.rule.comment : r.handle === step.handle)));
        break;
      case 'docker-daemon-config':
        daemonConfig(s, step);
        break;
      case 'ip-link-add':
      case 'ip-link-del':
      case 'ip-link-set':
      case 'ip-addr-add':
      case 'ip-addr-del':
      case 'ip-link-route-add':
      case 'ip-link-route-del':
        linkStep(s, step);
        break;
    }
  }
  for (const chain of renumber) chain.rules.forEach((r, i) => (r.index = i + 1));
  return out;
}
