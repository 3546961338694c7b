// A synthetic Docker 20.10 host for benches: N user-defined networks with M containers each, with the rules, links
// and routes dockerd 20.10 writes for them (the layout of the lab's captured seed host, repeated).
import type { HostSnapshot, Interface, Route } from '../snapshot/host-snapshot.js';
import { SNAPSHOT_SCHEMA } from '../snapshot/host-snapshot.js';

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

export interface SyntheticOptions {
  /** A LAN interface eth0 with this address (/16), for multi-host worlds. */
  lan?: string;
  /** The second octet block the host's networks are numbered from (172.<base+…>.<n>.0/24), so hosts do not overlap. */
  subnetBase?: number;
  /** Number the host's networks from this /24 of 172.16.0.0/12 on (instead of subnetBase): fleets past 150 hosts. */
  firstSubnet?: number;
  /** DOCKER-USER rules naming pairs of container addresses (each container with rules of its own: no two alike). */
  pairRules?: boolean;
  /** Networks (by index) created with icc off: dockerd 20.10 drops bridged traffic between their containers. */
  iccOff?: number[];
  /** Network pairs (by index) an operator opened both ways with DOCKER-USER accepts between their subnets. */
  openPairs?: [number, number][];
  /** Ports published as dockerd 20.10 writes them: container `container` of network `network`, host port → 80/tcp. */
  published?: { network: number; container: number; hostPort: number }[];
  /** Routes to another host's network via its LAN address (the cross-host recipe, the `route` step's result). */
  routesVia?: { dst: string; via: string }[];
  /** Networks (by index) accepting traffic from this LAN prefix in DOCKER-USER (the peer side of the recipe). */
  acceptFrom?: { prefix: string; network: number }[];
}

export function syntheticHost(networks: number, perNetwork: number, name = 'synthetic', opts: SyntheticOptions = {}): HostSnapshot {
  const interfaces: Interface[] = [{ ifindex: 1, name: 'lo', kind: null, master: null, portState: null, mtu: 65536, mac: null, up: true, lowerUp: true, peer: null, lower: null, addresses: [{ family: 'inet', local: '127.0.0.1', prefixLen: 8, scope: 'host' }] }];
  const routes: Route[] = [];
  const route = (r: Partial<Route> & { dst: string }): Route => ({ table: 'main', type: 'unicast', family: 'inet', dev: null, gateway: null, prefsrc: null, protocol: 'kernel', scope: 'link', metric: 0, nexthops: [], flags: [], ...r });
  const dockerNets: HostSnapshot['docker'] extends infer D ? (D extends { networks: infer N } ? N : never) : never = [];
  const containers: NonNullable<HostSnapshot['docker']>['containers'] = [];
  const sandboxLinks: NonNullable<HostSnapshot['links']>['sandboxes'] = [];
  const sandboxRoutes: NonNullable<HostSnapshot['routes']>['sandboxes'] = [];
  const forward: string[] = [];
  const stage1: string[] = [];
  const stage2: string[] = [];
  const postrouting: string[] = [];
  const natDocker: string[] = [];
  const filterDocker: string[] = [];
  const user: string[] = [];
  const subnets: string[] = [];
  let ifindex = 2;
  for (let n = 0; n < networks; n++) {
    const id = `${hex(n + 1, 12)}${'0'.repeat(52)}`;
    const br = `br-${id.slice(0, 12)}`;
    const k = (opts.firstSubnet ?? 0) + n;
    const subnet = opts.firstSubnet !== undefined ? `172.${16 + (k >> 8)}.${k & 255}.0/24` : `172.${(opts.subnetBase ?? 20) + Math.floor(n / 256)}.${n % 256}.0/24`;
    const base = subnet.split('.').slice(0, 3).join('.');
    subnets.push(subnet);
    const icc = !(opts.iccOff ?? []).includes(n);
    dockerNets.push({ id, name: `net-${n}`, driver: 'bridge', scope: 'local', bridge: br, subnets: [{ subnet, gateway: `${base}.1`, ipRange: null }], internal: false, attachable: false, ipv6: false, icc, masquerade: true, gatewayModeIpv4: 'nat', isDefaultBridge: false, ingress: false, options: icc ? {} : { 'com.docker.network.bridge.enable_icc': 'false' }, labels: {} });
    interfaces.push({ ifindex: ifindex++, name: br, kind: 'bridge', master: null, portState: null, mtu: 1500, mac: null, up: true, lowerUp: true, peer: null, lower: null, addresses: [{ family: 'inet', local: `${base}.1`, prefixLen: 24, scope: 'global' }] });
    routes.push(route({ dst: subnet, dev: br, prefsrc: `${base}.1` }), route({ table: 'local', type: 'local', dst: `${base}.1/32`, dev: br, prefsrc: `${base}.1`, scope: 'host' }));
    // dockerd 20.10 inserts each network's FORWARD rules at the top, newest first.
    forward.unshift(`-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A FORWARD -o ${br} -j DOCKER`, `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`, `-A FORWARD -i ${br} -o ${br} -j ${icc ? 'ACCEPT' : 'DROP'}`);
    stage1.unshift(`-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`);
    stage2.unshift(`-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`);
    postrouting.unshift(`-A POSTROUTING -s ${subnet} ! -o ${br} -j MASQUERADE`);
    natDocker.unshift(`-A DOCKER -i ${br} -j RETURN`);
    for (let c = 0; c < perNetwork; c++) {
      const ip = `${base}.${c + 2}`;
      const cid = `${hex(n * perNetwork + c + 1, 16)}${'c'.repeat(48)}`;
      const veth = `veth${hex(n * perNetwork + c, 7)}`;
      const hostIndex = ifindex++;
      interfaces.push({ ifindex: hostIndex, name: veth, kind: 'veth', master: br, portState: 'forwarding', mtu: 1500, mac: null, up: true, lowerUp: true, peer: { ifindex: 2, netnsId: n * perNetwork + c, name: null }, lower: null, addresses: [] });
      const ports = (opts.published ?? []).filter((p) => p.network === n && p.container === c).map((p) => ({ containerPort: 80, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: p.hostPort }));
      for (const p of ports) {
        natDocker.push(`-A DOCKER ! -i ${br} -p tcp -m tcp --dport ${p.hostPort} -j DNAT --to-destination ${ip}:80`);
        filterDocker.push(`-A DOCKER -d ${ip}/32 ! -i ${br} -o ${br} -p tcp -m tcp --dport 80 -j ACCEPT`);
      }
      containers.push({ id: cid, name: `c${n}-${c}`, image: 'bb:lab', state: 'running', pid: 1000 + n * perNetwork + c, networkMode: `net-${n}`, networkModeKind: 'network', sharesNetnsWith: null, sandboxKey: `/var/run/docker/netns/${cid.slice(0, 12)}`, endpoints: [{ network: `net-${n}`, networkId: id, endpointId: cid, ip, prefixLen: 24, gateway: `${base}.1`, mac: null, ipv6: null, ipv6PrefixLen: null, ipv6Gateway: null, aliases: [], dnsNames: [] }], ports, labels: {}, hostname: null, links: [], hostsFile: null });
      sandboxLinks.push({ containerId: cid, sandboxKey: `/var/run/docker/netns/${cid.slice(0, 12)}`, interfaces: [{ name: 'eth0', ifindex: 2, kind: 'veth', mac: null, mtu: 1500, up: true, addresses: [{ family: 'inet', local: ip, prefixLen: 24, scope: 'global' }], hostVeth: { ifindex: hostIndex, name: veth }, bridge: br, lower: null }] });
      sandboxRoutes.push({ containerId: cid, routes: [route({ dst: '0.0.0.0/0', dev: 'eth0', gateway: `${base}.1`, protocol: 'boot', scope: 'global' }), route({ dst: subnet, dev: 'eth0', prefsrc: ip }), route({ table: 'local', type: 'local', dst: `${ip}/32`, dev: 'eth0', prefsrc: ip, scope: 'host' })], rules: [], neighbours: [] });
    }
  }
  if (opts.lan) {
    interfaces.push({ ifindex: ifindex++, name: 'eth0', kind: null, master: null, portState: null, mtu: 1500, mac: null, up: true, lowerUp: true, peer: null, lower: null, addresses: [{ family: 'inet', local: opts.lan, prefixLen: 16, scope: 'global' }] });
    const net = opts.lan.split('.').slice(0, 2).join('.');
    routes.push(route({ dst: `${net}.0.0/16`, dev: 'eth0', prefsrc: opts.lan }), route({ table: 'local', type: 'local', dst: `${opts.lan}/32`, dev: 'eth0', prefsrc: opts.lan, scope: 'host' }));
  }
  for (const [a, b] of opts.openPairs ?? []) user.push(`-A DOCKER-USER -s ${subnets[a]} -d ${subnets[b]} -j ACCEPT`, `-A DOCKER-USER -s ${subnets[b]} -d ${subnets[a]} -j ACCEPT`);
  for (const a of opts.acceptFrom ?? []) user.push(`-A DOCKER-USER -s ${a.prefix} -d ${subnets[a.network]} -j ACCEPT`);
  for (const r of opts.routesVia ?? []) routes.push(route({ dst: r.dst, dev: 'eth0', gateway: r.via, protocol: 'static', scope: 'global' }));
  const rules = (chain: string[]) => chain.map((text, i) => ({ index: i + 1, text, packets: 0, bytes: 0 }));
  const chain = (n: string, policy: 'ACCEPT' | 'DROP' | null, r: string[]) => ({ name: n, policy, packets: 0, bytes: 0, rules: rules(r) });
  return {
    schema: SNAPSHOT_SCHEMA,
    name,
    collectedAt: new Date(0).toISOString(),
    scope: null,
    durationMs: 0,
    netdiagVersion: 'synthetic',
    collectors: { docker: { status: 'ok', durationMs: 0 }, links: { status: 'ok', durationMs: 0 }, routes: { status: 'ok', durationMs: 0 }, firewall: { status: 'ok', durationMs: 0 }, sysctls: { status: 'ok', durationMs: 0 }, sockets: { status: 'ok', durationMs: 0 }, host: { status: 'ok', durationMs: 0 } },
    errors: [],
    docker: { endpoint: 'synthetic', version: '20.10.24', apiVersion: '1.41', os: 'linux', firewallBackend: null, networks: dockerNets, containers, dropped: null },
    links: { interfaces, sandboxes: sandboxLinks },
    routes: { routes, rules: [], neighbours: [], sandboxes: sandboxRoutes },
    firewall: {
      backend: 'nf_tables',
      version: '1.8.9',
      otherBackend: null,
      findings: [],
      tables6: null,
      tables: [
        { name: 'filter', chains: [chain('INPUT', 'ACCEPT', []), chain('FORWARD', 'DROP', ['-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1', ...forward]), chain('OUTPUT', 'ACCEPT', []), chain('DOCKER', null, filterDocker), chain('DOCKER-ISOLATION-STAGE-1', null, [...stage1, '-A DOCKER-ISOLATION-STAGE-1 -j RETURN']), chain('DOCKER-ISOLATION-STAGE-2', null, [...stage2, '-A DOCKER-ISOLATION-STAGE-2 -j RETURN']), chain('DOCKER-USER', null, [...user, ...(opts.pairRules ? pairRules(containers) : []), '-A DOCKER-USER -j RETURN'])] },
        { name: 'nat', chains: [chain('PREROUTING', 'ACCEPT', ['-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER']), chain('INPUT', 'ACCEPT', []), chain('OUTPUT', 'ACCEPT', ['-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER']), chain('POSTROUTING', 'ACCEPT', postrouting), chain('DOCKER', null, natDocker)] },
      ],
    },
    nftables: null,
    sysctls: { values: { 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' } },
    // As in the lab's seed: every container serves HTTP on port 80 (busybox httpd, bound to every address).
    sockets: { host: [], sandboxes: containers.map((c) => ({ containerId: c.id, sockets: [{ proto: 'tcp' as const, family: 'inet' as const, address: '0.0.0.0', port: 80, iface: null, process: { name: 'httpd', pid: c.pid ?? 1 } }] })) },
    host: null,
    dns: null,
    swarm: null,
  };
}

/** An operator's pinholes: container i may reach i+1 and i+7 (wrapping), whatever network each is on; the rest as Docker decides. */
function pairRules(containers: NonNullable<HostSnapshot['docker']>['containers']): string[] {
  const ips = containers.map((c) => c.endpoints[0]?.ip as string);
  return ips.flatMap((ip, i) => [1, 7].map((k) => `-A DOCKER-USER -s ${ip}/32 -d ${ips[(i + k) % ips.length]}/32 -j ACCEPT`));
}

/**
 * A fleet for the map: `hosts` hosts on one LAN, `networks` networks of `perNetwork` containers each, with exceptions
 * to Docker's default on purpose — on every host one network with icc off, one pair of networks opened to each other,
 * a published port; and every other host's net-0 reachable from the host before it by a route and an accept (the
 * cross-host recipe). The default 10 × 5 × 10 is the 500 containers on 50 networks on 10 hosts.
 */
export function mapFleet(hosts = 10, networks = 5, perNetwork = 10): HostSnapshot[] {
  const lan = (i: number) => `10.60.0.${i + 1}`;
  const base = (i: number) => 100 + i;
  return Array.from({ length: hosts }, (_, i) => {
    const next = (i + 1) % hosts;
    return syntheticHost(networks, perNetwork, `host${i}`, {
      lan: lan(i),
      subnetBase: base(i),
      iccOff: networks > 2 ? [networks - 1] : [],
      openPairs: networks > 2 ? [[1, 2]] : [],
      published: [{ network: 0, container: 0, hostPort: 8080 }],
      routesVia: hosts > 1 && i % 2 === 0 ? [{ dst: `172.${base(next)}.0.0/24`, via: lan(next) }] : [],
      acceptFrom: hosts > 1 && i % 2 === 1 ? [{ prefix: '10.60.0.0/16', network: 0 }] : [],
    });
  });
}
