// Swarm services shaped in code onto the captured two-node swarm (h1 manager, h2 worker; a1 on h1 and a2 on h2 on the
// attachable overlay ov1; the same captured containers stand for each shaped service's task on their node), exactly
// as moby 20.10.24 — the lab's dockerd — programs them: the lab kernel has no IPVS,
// so every rule, IPVS entry and address added here follows moby's source line by line (cited), never invented.
// moby = v20.10.24:vendor/github.com/docker/libnetwork/ (the libnetwork dockerd 20.10.24 vendors); see
// /work/wt/notes/ipvs-model.md for the whole story.
import type { FirewallTable, HostSnapshot, IpvsService, Route, SwarmNamespace } from '../../snapshot/host-snapshot.js';

/** What a scenario changes from the healthy one: each is one thing an operator meets. */
export interface SwarmScenario {
  /**
   * The tasks of `web` behind IPVS: both (a1 on h1, a2 on h2), none (scaled to 0: moby removes every destination,
   * rmLBBackend fullRemove), or draining (both at weight 0: rmLBBackend with fullRemove false sets Weight 0).
   */
  webTasks?: 'both' | 'none' | 'draining';
  /** One of moby's mark rules missing (flushed by hand, a reload): IPVS never sees the packet. */
  missingMark?: 'vip' | 'published' | null;
  /**
   * The lb_ and ingress_sbox namespaces' net.ipv4.ip_forward. They copy it from the machine's first namespace when
   * made (moby#38723), not from dockerd's: a normal host forwards (dockerd set it to 1 there), the lab's nested hosts
   * do not (the capture reads 0 in every namespace). Default: as captured.
   */
  balancerForwarding?: boolean | null;
}

/** moby's constants and the addresses this scenario's IPAM would hand out (free in the captured ov1 and ingress). */
export const SWARM = {
  /** service.go:14 `fwMarkCtr uint32 = 256`: the first load balancer of a daemon gets 256, each next one +1. */
  ingressMark: 256,
  vipMark: 257,
  web: { name: 'web', id: 'w3bs3rv1c3id0000000000000', vip: '10.60.1.10', ingressVip: '10.0.0.10', publishedPort: 8080, targetPort: 80 },
  rr: { name: 'rr', id: 'rrs3rv1c3id00000000000000' },
  /** A service publishing in host mode: only the node running its task (a1 on h1) listens, no mesh. */
  hp: { name: 'hp', id: 'hps3rv1c3id00000000000000', publishedPort: 9090, targetPort: 80 },
  /** The tasks of web (and rr): the captured standalone containers on ov1, one per node. */
  tasks: { h1: 'a1', h2: 'a2' },
  /**
   * web's tasks' endpoints on the ingress network (a published service's tasks join it): addresses IPAM hands out
   * there, free in the captured ingress subnet, with the MAC moby derives from the address (02:42 + its four bytes).
   */
  ingressTasks: [
    { node: 'h1', container: 'a1', ip: '10.0.0.21', mac: '02:42:0a:00:00:15' },
    { node: 'h2', container: 'a2', ip: '10.0.0.22', mac: '02:42:0a:00:00:16' },
  ],
} as const;

const hex = (n: number) => `0x${n.toString(16)}`;

function table(tables: FirewallTable[], name: string): FirewallTable {
  let t = tables.find((x) => x.name === name);
  if (!t) tables.push((t = { name, chains: [] }));
  return t;
}

const BUILTIN: Record<string, string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** A chain of a table (the table made with its built-in chains, policy ACCEPT, as iptables-save lists a table first used). */
function chain(tables: FirewallTable[], t: string, name: string) {
  const tab = table(tables, t);
  for (const b of BUILTIN[t] ?? []) if (!tab.chains.some((c) => c.name === b)) tab.chains.push({ name: b, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
  let c = tab.chains.find((x) => x.name === name);
  if (!c) tab.chains.push((c = { name, policy: null, packets: 0, bytes: 0, rules: [] }));
  return c;
}

const renumber = (c: ReturnType<typeof chain>) => (c.rules = c.rules.map((r, i) => ({ ...r, index: i + 1 })));

/** `iptables -A`: at the end, as iptables-save then prints it. */
function append(tables: FirewallTable[], t: string, name: string, ...texts: string[]): void {
  const c = chain(tables, t, name);
  c.rules.push(...texts.map((text) => ({ index: 0, text, packets: 0, bytes: 0 })));
  renumber(c);
}

/** `iptables -I` (position 1), one call per text in order: the last inserted ends up first. */
function insert(tables: FirewallTable[], t: string, name: string, ...texts: string[]): void {
  const c = chain(tables, t, name);
  for (const text of texts) c.rules.unshift({ index: 0, text, packets: 0, bytes: 0 });
  renumber(c);
}

function namespace(s: HostSnapshot, role: SwarmNamespace['role'], networkName?: string): SwarmNamespace {
  const sw = s.swarm!;
  const netId = networkName ? sw.networks.find((n) => n.name === networkName)!.id : null;
  const ns = sw.namespaces.find((n) => n.role === role && (netId === null || n.networkId === netId));
  if (!ns) throw new Error(`${s.name}: no ${role} namespace${networkName ? ` for ${networkName}` : ''} in the captured snapshot`);
  return ns;
}

/** An address of the namespace's interface on `subnetOf` (its endpoint's on that network). */
function endpointIface(ns: SwarmNamespace, prefix: string): { name: string; ip: string; prefixLen: number } {
  for (const i of ns.interfaces) for (const a of i.addresses) if (a.family === 'inet' && a.local.startsWith(prefix)) return { name: i.name, ip: a.local, prefixLen: a.prefixLen };
  throw new Error(`${ns.name}: no address in ${prefix}*`);
}

/**
 * addLBBackend :128 `sb.osSbox.AddAliasIP(ifName, &net.IPNet{IP: lb.vip, Mask: net.CIDRMask(32, 32)})`: the VIP as a
 * /32 on the LB endpoint's interface, and the local route the kernel adds with any address (table local, scope host).
 */
function aliasVip(ns: SwarmNamespace, iface: string, vip: string): void {
  const i = ns.interfaces.find((x) => x.name === iface)!;
  i.addresses.push({ family: 'inet', local: vip, prefixLen: 32, scope: 'global' });
  const local: Route = { table: 'local', type: 'local', dst: `${vip}/32`, family: 'inet', dev: iface, gateway: null, prefsrc: vip, protocol: 'kernel', scope: 'host', metric: 0, nexthops: [], flags: [] };
  ns.routes.push(local);
}

/**
 * fwMarker (:618–696) run in the LB sandbox for one load balancer: per ingress port `-t mangle -A PREROUTING -p
 * <proto> --dport <published> -j MARK --set-mark <mark>` (:649), once per sandbox in NAT mode `-t nat -A POSTROUTING
 * -m ipvs --ipvs -d <subnet> -j SNAT --to-source <eIP>` (:674), then `-t mangle -A INPUT -d <vip>/32 -j MARK
 * --set-mark <mark>` (:687). iptables-save prints `--set-mark N` as `--set-xmark 0xN/0xffffffff`, `-p tcp --dport`
 * with its implicit `-m tcp`, and the match modules in the order given.
 */
function fwMarker(ns: SwarmNamespace, vip: string, mark: number, eIp: { ip: string; prefixLen: number; subnet: string }, published: number[], skip: SwarmScenario['missingMark']): void {
  const fw = (ns.firewall ??= []);
  if (skip !== 'published') for (const port of published) append(fw, 'mangle', 'PREROUTING', `-A PREROUTING -p tcp -m tcp --dport ${port} -j MARK --set-xmark ${hex(mark)}/0xffffffff`);
  const snat = `-A POSTROUTING -d ${eIp.subnet} -m ipvs --ipvs -j SNAT --to-source ${eIp.ip}`;
  // :675 `if !iptable.Exists("nat", "POSTROUTING", ruleParams...)`: one SNAT rule however many services.
  if (!chain(fw, 'nat', 'POSTROUTING').rules.some((r) => r.text === snat)) append(fw, 'nat', 'POSTROUTING', snat);
  if (skip !== 'vip') append(fw, 'mangle', 'INPUT', `-A INPUT -d ${vip}/32 -j MARK --set-xmark ${hex(mark)}/0xffffffff`);
  // :679 /proc/sys/net/ipv4/vs/conntrack = 1, so netfilter's NAT (the SNAT above) sees IPVS's connections.
  ns.sysctls['net.ipv4.vs.conntrack'] = '1';
}

/**
 * The IPVS service of a load balancer and its real servers, as /proc/net/ip_vs lists them: `FWM <mark> rr`
 * (:115–119: FWMark, RoundRobin) and per task `-> <task ip>:0 Masq <weight> 0 0` (:157–161: Address, Weight 1, no
 * Port, no ConnectionFlags = Masq).
 */
function ipvsService(mark: number, tasks: string[], weight: number): IpvsService {
  return { protocol: 'FWM', fwmark: mark, address: null, port: null, scheduler: 'rr', destinations: tasks.map((address) => ({ address, port: 0, forward: 'Masq', weight, activeConns: 0, inactiveConns: 0 })) };
}

const subnetOf = (ip: string, bits: number) => {
  const n = ip.split('.').map(Number).reduce((a, b) => (a << 8) | b, 0) >>> 0;
  const m = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const net = (n & m) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
};

/**
 * programIngress (:309–464) in the node's own namespace, for web's published port: the nat and filter DOCKER-INGRESS
 * chains with their RETURN (:354, :360), the jumps `-I PREROUTING/OUTPUT -m addrtype --dst-type LOCAL -j
 * DOCKER-INGRESS` (:367), `-I FORWARD -j DOCKER-INGRESS` (:374) with DOCKER-USER kept above it (arrangeUserFilterRule),
 * `-I POSTROUTING -m addrtype --src-type LOCAL -o docker_gwbridge -j MASQUERADE` (:390), then per port with -I
 * (:313): the DNAT to the ingress sandbox's docker_gwbridge address (:415), `-m state … --sport` ACCEPT (:432) and
 * `--dport` ACCEPT (:445). The order and printed form agree with moby's own generated dump for 28.x
 * (test/fixtures/moby/docker28-swarm-ingress.iptables.txt), which uses conntrack where 20.10 uses state.
 */
function programIngress(s: HostSnapshot, gwIp: string, port: number): void {
  const fw = s.firewall!.tables;
  append(fw, 'nat', 'DOCKER-INGRESS', '-A DOCKER-INGRESS -j RETURN');
  append(fw, 'filter', 'DOCKER-INGRESS', '-A DOCKER-INGRESS -j RETURN');
  insert(fw, 'nat', 'OUTPUT', '-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS');
  insert(fw, 'nat', 'PREROUTING', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS');
  const forward = chain(fw, 'filter', 'FORWARD');
  const user = forward.rules.findIndex((r) => r.text === '-A FORWARD -j DOCKER-USER');
  forward.rules.splice(user >= 0 ? user + 1 : 0, 0, { index: 0, text: '-A FORWARD -j DOCKER-INGRESS', packets: 0, bytes: 0 });
  renumber(forward);
  insert(fw, 'nat', 'POSTROUTING', '-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE');
  insert(fw, 'nat', 'DOCKER-INGRESS', `-A DOCKER-INGRESS -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${gwIp}:${port}`);
  insert(fw, 'filter', 'DOCKER-INGRESS', `-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport ${port} -j ACCEPT`);
  insert(fw, 'filter', 'DOCKER-INGRESS', `-A DOCKER-INGRESS -p tcp -m tcp --dport ${port} -j ACCEPT`);
  // :385 route_localnet=1 on docker_gwbridge (what lets a DNAT of 127.0.0.1 leave there).
  if (s.sysctls) s.sysctls.values['net.ipv4.conf.docker_gwbridge.route_localnet'] = '1';
}

/** The task container's address on ov1 (its endpoint Docker reports). */
function taskIp(s: HostSnapshot, name: string, network: string): string {
  const c = s.docker!.containers.find((x) => x.name === name);
  const ep = c?.endpoints.find((e) => e.network === network);
  if (!ep?.ip) throw new Error(`${s.name}: no container ${name} on ${network} in the captured snapshot`);
  return ep.ip;
}

/**
 * The two captured nodes with moby's services added: `web` (vip mode, tasks a1 on h1 and a2 on h2, on ov1, published
 * 8080→80 through the ingress mesh) and `rr` (dnsrr on ov1, the same two containers as its tasks: dnsrr has no VIP,
 * so no load balancer is programmed, addLBBackend :94). Copies: the inputs are not changed.
 */
export function withServices(h1In: HostSnapshot, h2In: HostSnapshot, sc: SwarmScenario = {}): [HostSnapshot, HostSnapshot] {
  const nodes = [structuredClone(h1In), structuredClone(h2In)] as [HostSnapshot, HostSnapshot];
  const [h1, h2] = nodes;
  const ov1 = h1.swarm!.networks.find((n) => n.name === 'ov1')!;
  const ingress = h1.swarm!.networks.find((n) => n.ingress)!;
  const tasks = [taskIp(h1, SWARM.tasks.h1, 'ov1'), taskIp(h2, SWARM.tasks.h2, 'ov1')];
  const picked = sc.webTasks === 'none' ? [] : tasks;
  const weight = sc.webTasks === 'draining' ? 0 : 1;
  for (const s of nodes) {
    const sw = s.swarm!;
    // The managers' view of the services (the Engine API's /services): only a manager lists them.
    if (sw.manager) {
      sw.services = [
        {
          id: SWARM.web.id,
          name: SWARM.web.name,
          endpointMode: 'vip',
          virtualIps: [
            { networkId: ingress.id, address: `${SWARM.web.ingressVip}/24` },
            { networkId: ov1.id, address: `${SWARM.web.vip}/24` },
          ],
          ports: [{ protocol: 'tcp', targetPort: SWARM.web.targetPort, publishedPort: SWARM.web.publishedPort, publishMode: 'ingress' }],
        },
        { id: SWARM.rr.id, name: SWARM.rr.name, endpointMode: 'dnsrr', virtualIps: [], ports: [] },
        { id: SWARM.hp.id, name: SWARM.hp.name, endpointMode: 'dnsrr', virtualIps: [], ports: [{ protocol: 'tcp', targetPort: SWARM.hp.targetPort, publishedPort: SWARM.hp.publishedPort, publishMode: 'host' }] },
      ];
    }
    // NetworkDB's service entries (network inspect --verbose): web with its VIP and tasks, rr without a VIP.
    const net = sw.networks.find((n) => n.id === ov1.id);
    if (net) {
      const hostOf = (i: number) => (i === 0 ? h1.swarm!.dataPathAddr : h2.swarm!.dataPathAddr);
      net.services.push({ name: SWARM.web.name, vip: SWARM.web.vip, ports: [`Target: ${SWARM.web.targetPort}, Publish: ${SWARM.web.publishedPort}`], localLbIndex: SWARM.vipMark, tasks: picked.map((ip, i) => ({ name: `${SWARM.web.name}.${i + 1}`, endpointId: `ep-web-${i + 1}`, ip, hostIp: hostOf(i) })) });
      net.services.push({ name: SWARM.rr.name, vip: null, ports: [], localLbIndex: 0, tasks: tasks.map((ip, i) => ({ name: `${SWARM.rr.name}.${i + 1}`, endpointId: `ep-rr-${i + 1}`, ip, hostIp: hostOf(i) })) });
    }

    // ov1's load balancer on this node (lb_<ov1>): the VIP, its marks and SNAT, and IPVS over web's tasks.
    const lb = namespace(s, 'load-balancer', 'ov1');
    const ep = endpointIface(lb, SWARM.web.vip.split('.').slice(0, 3).join('.') + '.');
    aliasVip(lb, ep.name, SWARM.web.vip);
    fwMarker(lb, SWARM.web.vip, SWARM.vipMark, { ip: ep.ip, prefixLen: ep.prefixLen, subnet: subnetOf(ep.ip, ep.prefixLen) }, [], sc.missingMark === 'vip' ? 'vip' : null);
    lb.ipvs = [ipvsService(SWARM.vipMark, picked, weight)];

    // The ingress network's load balancer is ingress_sbox (sb.ingress): the ingress VIP, the published port's mark, IPVS.
    const sbox = namespace(s, 'ingress-sbox');
    const iep = endpointIface(sbox, SWARM.web.ingressVip.split('.').slice(0, 3).join('.') + '.');
    aliasVip(sbox, iep.name, SWARM.web.ingressVip);
    fwMarker(sbox, SWARM.web.ingressVip, SWARM.ingressMark, { ip: iep.ip, prefixLen: iep.prefixLen, subnet: subnetOf(iep.ip, iep.prefixLen) }, [SWARM.web.publishedPort], sc.missingMark === 'published' ? 'published' : null);
    // Its real servers are the tasks' endpoints on the ingress network (ingressEndpoint below).
    sbox.ipvs = [ipvsService(SWARM.ingressMark, sc.webTasks === 'none' ? [] : SWARM.ingressTasks.map((t) => t.ip), weight)];
    if (sc.balancerForwarding != null) for (const ns of [lb, sbox]) ns.sysctls['net.ipv4.ip_forward'] = sc.balancerForwarding ? '1' : '0';

    // The node's own rules for the published port, DNAT to ingress_sbox's docker_gwbridge address (its gateway endpoint).
    const gw = endpointIface(sbox, (s.docker!.networks.find((n) => n.name === 'docker_gwbridge')!.subnets[0]!.gateway ?? '').split('.').slice(0, 2).join('.') + '.');
    programIngress(s, gw.ip, SWARM.web.publishedPort);
  }
  hostModePort(h1, SWARM.tasks.h1, SWARM.hp.publishedPort, SWARM.hp.targetPort);
  // A kernel with IPVS lists an empty /proc/net/ip_vs where nothing is balanced (the lab's has no file at all):
  // every other load-balancing namespace and every task's own namespace (moby balances nothing there since 18.09).
  for (const s of nodes) {
    for (const ns of s.swarm!.namespaces) if (ns.role !== 'overlay') ns.ipvs ??= [];
    for (const sb of s.swarm!.sandboxes) sb.ipvs ??= [];
  }
  if (sc.webTasks !== 'none') {
    for (const t of SWARM.ingressTasks) {
      const here = t.node === 'h1' ? h1 : h2;
      ingressEndpoint(here, t.node === 'h1' ? h2 : h1, t.container, t.ip, t.mac);
      addRedirectRules(here, t.container, t.ip, SWARM.web.publishedPort, SWARM.web.targetPort);
    }
  }
  return nodes;
}

/**
 * A task's endpoint on the ingress network, as the overlay driver plumbs any overlay endpoint (the captured a1 on ov1
 * is the template): a veth whose container end (eth2 here) holds the address and whose other end is a port of br0 in
 * the ingress network's namespace, the kernel's routes for the address, Docker's endpoint record; and on the other
 * node, the peer entries NetworkDB has it program (drivers/overlay/peerdb.go peerAddOp :397 the neighbour on vxlan0,
 * :408 the forwarding entry to this node's data-path address).
 */
function ingressEndpoint(s: HostSnapshot, other: HostSnapshot, container: string, ip: string, mac: string): void {
  const c = s.docker!.containers.find((x) => x.name === container)!;
  const ingress = s.swarm!.networks.find((n) => n.ingress)!;
  const ns = namespace(s, 'overlay', ingress.name);
  const template = c.endpoints[0]!;
  c.endpoints.push({ ...template, network: ingress.name, networkId: ingress.id, endpointId: `${template.endpointId.slice(0, 56)}1ae55000`, ip, prefixLen: 24, gateway: null, mac, aliases: [c.id.slice(0, 12)], dnsNames: [] });
  const sb = s.links!.sandboxes.find((x) => x.containerId === c.id)!;
  const ifindex = Math.max(...sb.interfaces.map((i) => i.ifindex)) + 10;
  const port = `veth${ns.interfaces.filter((i) => i.kind === 'veth').length}`;
  const portIndex = Math.max(...ns.interfaces.map((i) => i.ifindex)) + 10;
  sb.interfaces.push({ name: 'eth2', ifindex, kind: 'veth', mac, mtu: 1450, up: true, addresses: [{ family: 'inet', local: ip, prefixLen: 24, scope: 'global' }], hostVeth: null, bridge: null, lower: null, overlayPort: { namespace: ns.name, veth: port, bridge: 'br0' } });
  const br0 = ns.interfaces.find((i) => i.kind === 'bridge')!;
  ns.interfaces.push({ ...br0, ifindex: portIndex, name: port, kind: 'veth', master: br0.name, portState: 'forwarding', mac: br0.mac, addresses: [], peer: { ifindex, netnsId: 1, name: null }, vxlan: undefined });
  ns.fdb.push({ mac, dev: port, dst: null, master: br0.name, self: false, permanent: false, vni: null });
  const rt = s.routes!.sandboxes.find((x) => x.containerId === c.id)!;
  const net = subnetOf(ip, 24);
  const route = (table: string, type: string, dst: string, scope: string): Route => ({ table, type, dst, family: 'inet', dev: 'eth2', gateway: null, prefsrc: ip, protocol: 'kernel', scope, metric: 0, nexthops: [], flags: [] });
  rt.routes.push(route('main', 'unicast', net, 'link'), route('local', 'local', `${ip}/32`, 'host'), route('local', 'broadcast', `${ip.split('.').slice(0, 3).join('.')}.255/32`, 'link'));
  const there = namespace(other, 'overlay', ingress.name);
  there.neighbours.push({ family: 'inet', dst: ip, dev: 'vxlan0', lladdr: mac, state: ['PERMANENT'] });
  there.fdb.push({ mac, dev: 'vxlan0', dst: s.swarm!.dataPathAddr, master: null, self: true, permanent: true, vni: null });
}

/**
 * populateLoadBalancers → addRedirectRules → redirector (:725–800), in the task's namespace for its ingress endpoint:
 * `-t nat -A PREROUTING -d <ip> -p tcp --dport <published> -j REDIRECT --to-port <target>` (:754), `-I INPUT … --dport
 * <target> -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT` (:758), `-I OUTPUT … --sport <target> … ESTABLISHED -j
 * ACCEPT` (:762), then `-A INPUT -d <ip> -p sctp|udp|tcp -j DROP` and `-A OUTPUT -s <ip> …` (:791–800). The nat table
 * is what the DNS collector reads of the namespace (iptables-save -t nat); the whole rule set is swarm's sandbox read.
 */
function addRedirectRules(s: HostSnapshot, container: string, ip: string, published: number, target: number): void {
  const c = s.docker!.containers.find((x) => x.name === container)!;
  const redirect = `-A PREROUTING -d ${ip}/32 -p tcp -m tcp --dport ${published} -j REDIRECT --to-ports ${target}`;
  const dns = s.dns?.sandboxes.find((x) => x.containerId === c.id);
  if (dns?.nat) append(dns.nat, 'nat', 'PREROUTING', redirect);
  const sw = s.swarm!.sandboxes.find((x) => x.containerId === c.id);
  if (!sw?.firewall) return;
  append(sw.firewall, 'nat', 'PREROUTING', redirect);
  insert(sw.firewall, 'filter', 'INPUT', `-A INPUT -d ${ip}/32 -p tcp -m tcp --dport ${target} -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT`);
  insert(sw.firewall, 'filter', 'OUTPUT', `-A OUTPUT -s ${ip}/32 -p tcp -m tcp --sport ${target} -m conntrack --ctstate ESTABLISHED -j ACCEPT`);
  for (const proto of ['sctp', 'udp', 'tcp']) {
    append(sw.firewall, 'filter', 'INPUT', `-A INPUT -d ${ip}/32 -p ${proto} -j DROP`);
    append(sw.firewall, 'filter', 'OUTPUT', `-A OUTPUT -s ${ip}/32 -p ${proto} -j DROP`);
  }
}

/**
 * A host-mode published port (--publish mode=host): swarm's executor puts it in the task container's PortBindings
 * (daemon/cluster/executor/container/container.go portBindings, PublishModeHost), and libnetwork maps it on the
 * container's docker_gwbridge endpoint (default_gateway.go:62 CreateOptionPortMapping): the bridge driver's ordinary
 * port mapping, in the same form as moby's 20.10 dump (test/fixtures/moby/docker20-user-defined-bridge.iptables.txt),
 * and docker-proxy listening on the node.
 */
function hostModePort(s: HostSnapshot, container: string, published: number, target: number): void {
  const c = s.docker!.containers.find((x) => x.name === container)!;
  const sb = s.links!.sandboxes.find((x) => x.containerId === c.id)!;
  const gwIf = sb.interfaces.find((i) => i.bridge === 'docker_gwbridge')!;
  const ip = gwIf.addresses.find((a) => a.family === 'inet')!.local;
  const fw = s.firewall!.tables;
  append(fw, 'nat', 'DOCKER', `-A DOCKER ! -i docker_gwbridge -p tcp -m tcp --dport ${published} -j DNAT --to-destination ${ip}:${target}`);
  append(fw, 'filter', 'DOCKER', `-A DOCKER -d ${ip}/32 ! -i docker_gwbridge -o docker_gwbridge -p tcp -m tcp --dport ${target} -j ACCEPT`);
  append(fw, 'nat', 'POSTROUTING', `-A POSTROUTING -s ${ip}/32 -d ${ip}/32 -p tcp -m tcp --dport ${target} -j MASQUERADE`);
  c.ports.push({ containerPort: target, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: published });
}
