// The seed host with a macvlan (or ipvlan) network added, its links and routes from the captured attach namespaces.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapSandboxInterfaces } from '../../collectors/links.js';
import { parseIpAddr, parseIpRoutes } from '../../collectors/iproute-json.js';
import type { HostSnapshot, Interface } from '../../snapshot/host-snapshot.js';
import { seedHost } from './derive.js';
import { CAPTURED } from './fixtures.js';

export const ATTACH = join(CAPTURED, 'attach');
export const attachText = (file: string) => readFileSync(join(ATTACH, file), 'utf8');

/** The seed host already uses ifindex 2 (docker0): the captured host namespace's links move up by this much. */
const SHIFT = 100;

function shifted(i: Interface): Interface {
  return { ...i, ifindex: i.ifindex + SHIFT };
}

/**
 * The seed host joined by the captured LAN NIC lan0 (and the mvshim beside it), a Docker network of `driver` on
 * parent lan0 (a variant of the seed's net-redis), and a container on it (a variant of redis-2) whose namespace is the
 * captured container namespace: eth0 192.168.50.10 and eth1 192.168.50.11, children of lan0.
 * `containerLinks` picks the captured (macvlan) or shaped (ipvlan) output.
 */
export function childHost(driver: 'macvlan' | 'ipvlan', opts: { read?: boolean } = {}): HostSnapshot {
  const s = seedHost();
  const hostLinks = parseIpAddr(attachText('host.ip-addr.json')).filter((i) => i.name !== 'lo').map(shifted);
  s.links!.interfaces.push(...hostLinks);
  s.routes!.routes.push(...parseIpRoutes(attachText('host.ip-route.json')).filter((r) => r.dev === 'lan0' || r.dev === 'mvshim'));
  const inside = parseIpAddr(attachText(driver === 'macvlan' ? 'container.ip-addr.json' : 'container-ipvlan.shaped.ip-addr.json')).map((i) =>
    i.lower?.ifindex != null ? { ...i, lower: { ...i.lower, ifindex: i.lower.ifindex + SHIFT } } : i,
  );
  const template = s.docker!.networks.find((n) => n.name === 'net-redis')!;
  const id = `${driver === 'macvlan' ? 'ab' : 'cd'}${template.id.slice(2)}`;
  const options: Record<string, string> = driver === 'macvlan' ? { parent: 'lan0' } : { parent: 'lan0', ipvlan_mode: 'l2' };
  s.docker!.networks.push({ ...template, id, name: `lan-${driver}`, driver, bridge: null, subnets: [{ subnet: '192.168.50.0/24', gateway: '192.168.50.1', ipRange: null }], options });
  const redis2 = s.docker!.containers.find((c) => c.name === 'redis-2')!;
  const cid = `ee${redis2.id.slice(2)}`;
  const endpoint = { ...redis2.endpoints[0]!, network: `lan-${driver}`, networkId: id, ip: '192.168.50.10', prefixLen: 24, gateway: '192.168.50.1', mac: inside.find((i) => i.name === 'eth0')!.mac };
  s.docker!.containers.push({ ...redis2, id: cid, name: `on-${driver}`, hostname: `on-${driver}`, sandboxKey: `${redis2.sandboxKey}-${driver}`, endpoints: [endpoint], ports: [], hostsFile: null });
  if (opts.read !== false) {
    s.links!.sandboxes.push({ containerId: cid, sandboxKey: `${redis2.sandboxKey}-${driver}`, interfaces: mapSandboxInterfaces(s.links!.interfaces, inside) });
    // Policy rules are the kernel's defaults in every fresh namespace: the seed container's are those.
    const rules = s.routes!.sandboxes.find((x) => x.containerId === redis2.id)!.rules;
    s.routes!.sandboxes.push({ containerId: cid, routes: parseIpRoutes(attachText('container.ip-route.json')), rules, neighbours: [] });
  }
  return s;
}
