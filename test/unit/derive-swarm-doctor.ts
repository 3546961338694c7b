// Swarm snapshots derived in code from the captured two-node swarm (test/fixtures/captured/swarm): one thing changed
// each, as the command named beside it would change it on the node — never hand-written JSON.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { CAPTURED } from './fixtures.js';
import { withRules } from './derive.js';

/** A fresh copy of one captured node: a-h1, a-h2 (scenario A), b-h1, b-h2 (B: h2's INPUT drops udp 4789), svc-h1, svc-h2 (services, encrypted ov3). */
export function swarmNode(name: 'a-h1' | 'a-h2' | 'b-h1' | 'b-h2' | 'svc-h1' | 'svc-h2'): HostSnapshot {
  return parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'swarm', `${name}.json`), 'utf8')));
}

/** `ip link set DEV mtu N`. */
export function withMtu(s: HostSnapshot, dev: string, mtu: number): HostSnapshot {
  s.links!.interfaces.find((i) => i.name === dev)!.mtu = mtu;
  return s;
}

/** The overlay as `docker network create -d overlay --subnet SUBNET` would have made it: its subnet, as Docker lists it. */
export function withOverlaySubnet(s: HostSnapshot, network: string, subnet: string): HostSnapshot {
  const n = s.docker!.networks.find((x) => x.name === network)!;
  n.subnets = n.subnets.map((x) => ({ ...x, subnet, gateway: null }));
  return s;
}

/** `ip route add unreachable DST` (table main), in the shape the node's other main routes were captured in. */
export function withUnreachable(s: HostSnapshot, dst: string): HostSnapshot {
  const like = s.routes!.routes.find((r) => r.table === 'main' && r.family === 'inet')!;
  s.routes!.routes.unshift({ ...like, type: 'unreachable', dst, dev: null, gateway: null, prefsrc: null, protocol: 'boot', scope: 'global', flags: [] });
  return s;
}

/**
 * firewalld started on the node: its `inet firewalld` table (chains, rules, sets) exactly as captured on a lab host in
 * test/fixtures/captured/wiped/fw-after.json, created after every table already there.
 */
export function withFirewalld(s: HostSnapshot): HostSnapshot {
  const fw = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'wiped', 'fw-after.json'), 'utf8'))).nftables!;
  const nft = s.nftables!;
  const top = Math.max(0, ...nft.tables.map((t) => t.handle));
  const mine = <T extends { table: string; family: string }>(xs: T[]) => xs.filter((x) => x.table === 'firewalld' && x.family === 'inet');
  nft.tables.push(...fw.tables.filter((t) => t.name === 'firewalld').map((t) => ({ ...t, handle: top + 1 })));
  nft.chains.push(...mine(fw.chains));
  nft.rules.push(...mine(fw.rules));
  nft.sets.push(...mine(fw.sets));
  return s;
}

/** `iptables -F; iptables -t nat -F`: every rule of filter and nat gone, the chains and policies left (as a firewalld reload leaves them). */
export function flushed(s: HostSnapshot): HostSnapshot {
  for (const t of s.firewall!.tables.filter((x) => x.name === 'filter' || x.name === 'nat')) for (const c of t.chains) c.rules = [];
  return s;
}

/** As on a kernel with IPVS (the lab's has none): ingress_sbox's IPVS table read, empty. */
export function withIpvs(s: HostSnapshot): HostSnapshot {
  s.swarm!.namespaces.find((n) => n.role === 'ingress-sbox')!.ipvs = [];
  return s;
}

/**
 * A service published through the routing mesh (`docker service create --name NAME -p PORT:80 …`), as a manager's
 * /services lists it: one VIP on the ingress network, the port in ingress mode.
 */
export function withIngressService(s: HostSnapshot, name: string, port: number): HostSnapshot {
  const ingress = s.docker!.networks.find((n) => n.ingress)!;
  s.swarm!.services = [...(s.swarm!.services ?? []), { id: `${name}-id`, name, endpointMode: 'vip', virtualIps: [{ networkId: ingress.id, address: '10.0.0.5/24' }], ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: port, publishMode: 'ingress' }] }];
  return s;
}

/**
 * The rules dockerd 20.10 writes for that port (moby daemon/libnetwork/service_linux.go, initIngressConfiguration and
 * generateIngressRules, as iptables-save prints them): DOCKER-INGRESS in nat and filter, their jumps, the DNAT to
 * ingress_sbox's docker_gwbridge address and the accepts.
 */
export function withIngressRules(s: HostSnapshot, port: number): HostSnapshot {
  withIpvs(s);
  const gw = s.swarm!.namespaces.find((n) => n.role === 'ingress-sbox')!.interfaces.find((i) => i.name === 'eth1')!.addresses.find((a) => a.family === 'inet')!.local;
  withRules(s, 'nat', 'PREROUTING', ['-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS']);
  withRules(s, 'nat', 'OUTPUT', ['-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS']);
  withRules(s, 'nat', 'DOCKER-INGRESS', [`-A DOCKER-INGRESS -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${gw}:${port}`, '-A DOCKER-INGRESS -j RETURN']);
  withRules(s, 'filter', 'FORWARD', ['-A FORWARD -j DOCKER-INGRESS']);
  withRules(s, 'filter', 'DOCKER-INGRESS', [`-A DOCKER-INGRESS -p tcp -m tcp --dport ${port} -j ACCEPT`, `-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport ${port} -j ACCEPT`, '-A DOCKER-INGRESS -j RETURN']);
  return s;
}
