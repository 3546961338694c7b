// A question's bystanders whose namespaces were not entered (snapshot `notEntered`), given the namespace Docker makes
// for a container on one bridge network — for counting what a fix "also opens" only, each pair through one said so.
import type { DockerContainer, HostSnapshot, Route, SandboxLinks, SandboxRoutes } from '../../snapshot/host-snapshot.js';
import { ipText, maskOf, parseIp } from '../addr/addr.js';
import { MTU_OPTION } from '../meaning/layouts.js';
import { kernelRules } from '../model/policy.js';
import { addressRoutes } from './kernel-routes.js';

/** The snapshots with the assumed namespaces added, and which containers (host/ID) were assumed. */
export interface Assumed {
  snapshots: HostSnapshot[];
  /** `${host}/${containerId}` of each container whose namespace is assumed, with its name. */
  assumed: Map<string, string>;
  /** Containers not entered that no assumption describes (not one IPv4 address on one bridge network): by name. */
  undescribed: string[];
}

const route = (r: Partial<Route> & Pick<Route, 'table' | 'type' | 'dst' | 'dev' | 'scope'>): Route => ({ family: 'inet', gateway: null, prefsrc: null, protocol: 'kernel', metric: 0, nexthops: [], flags: [], ...r });

/**
 * The kernel's three rules of a new namespace, nothing else: Docker adds no policy rule, and what someone may have
 * added inside (with NET_ADMIN) is exactly what was not read.
 */
const KERNEL_RULES = kernelRules(4);

/**
 * What Docker makes for a container on one bridge network, as its captured namespaces show it (test/fixtures/captured):
 * lo, and eth0 with its address, a veth onto the network's bridge; the subnet on link, the default route via the
 * network's gateway; the local table the kernel fills in for both addresses. Null when the data does not say it.
 */
function dockersNamespace(s: HostSnapshot, c: DockerContainer): { links: SandboxLinks; routes: SandboxRoutes } | null {
  const ep = c.endpoints.length === 1 ? c.endpoints[0] : undefined;
  const net = ep ? s.docker?.networks.find((n) => n.id === ep.networkId) : undefined;
  if (!ep || !net || net.driver !== 'bridge' || !net.bridge || !c.sandboxKey || ep.ipv6 || !ep.ip || ep.prefixLen === null) return null;
  const ip = parseIp(ep.ip);
  if (typeof ip !== 'number') return null;
  const bits = ep.prefixLen;
  const subnet = `${ipText((ip & maskOf(bits)) >>> 0)}/${bits}`;
  const broadcast = ipText((ip | ~maskOf(bits)) >>> 0);
  const mtu = Number(net.options[MTU_OPTION] ?? 1500) || 1500;
  const links: SandboxLinks = {
    containerId: c.id,
    sandboxKey: c.sandboxKey,
    // The host's end of its veth is not known (its ifindex is read inside): the bridge is Docker's network's.
    interfaces: [{ name: 'eth0', ifindex: 0, kind: 'veth', mac: ep.mac, mtu, up: true, addresses: [{ family: 'inet', local: ep.ip, prefixLen: bits, scope: 'global' }], hostVeth: null, bridge: net.bridge, lower: null }],
  };
  const [onLink, own] = addressRoutes('eth0', ep.ip, subnet);
  const routes: SandboxRoutes = {
    containerId: c.id,
    routes: [
      ...(ep.gateway ? [route({ table: 'main', type: 'unicast', dst: '0.0.0.0/0', dev: 'eth0', gateway: ep.gateway, protocol: 'boot', scope: 'global' })] : []),
      onLink,
      route({ table: 'local', type: 'local', dst: '127.0.0.0/8', dev: 'lo', prefsrc: '127.0.0.1', scope: 'host' }),
      route({ table: 'local', type: 'local', dst: '127.0.0.1/32', dev: 'lo', prefsrc: '127.0.0.1', scope: 'host' }),
      route({ table: 'local', type: 'broadcast', dst: '127.255.255.255/32', dev: 'lo', prefsrc: '127.0.0.1', scope: 'link' }),
      own,
      ...(bits < 31 ? [route({ table: 'local', type: 'broadcast', dst: `${broadcast}/32`, dev: 'eth0', prefsrc: ep.ip, scope: 'link' })] : []),
    ],
    rules: KERNEL_RULES,
    neighbours: [],
  };
  return { links, routes };
}

/** Every host's not-entered containers given Docker's namespace; the snapshots as they are when none was left out. */
export function assumeNotEntered(snapshots: readonly HostSnapshot[]): Assumed {
  const assumed = new Map<string, string>();
  const undescribed: string[] = [];
  const out = snapshots.map((s) => {
    if (!s.notEntered?.length || !s.links || !s.routes) return s;
    const names = new Set(s.notEntered);
    const read = new Set(s.links.sandboxes.map((x) => x.containerId));
    const links = [...s.links.sandboxes];
    const routes = [...s.routes.sandboxes];
    for (const c of s.docker?.containers ?? []) {
      if (!names.has(c.name) || read.has(c.id)) continue;
      const made = dockersNamespace(s, c);
      if (!made) {
        undescribed.push(c.name);
        continue;
      }
      links.push(made.links);
      routes.push(made.routes);
      assumed.set(`${s.name}/${c.id}`, c.name);
    }
    return { ...s, links: { ...s.links, sandboxes: links }, routes: { ...s.routes, sandboxes: routes } };
  });
  return { snapshots: out, assumed, undescribed };
}
