// The swarm collector and its parsers, on outputs captured in the lab's two-host swarm (test/fixtures/captured/swarm):
// the overlay namespace's links (VXLAN info), its fdb and iptables, the whole collection replayed from its recording.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { parseIpAddr, parseIpNeighbours } from '../../../collectors/iproute-json.js';
import { parseBridgeFdb } from '../../../collectors/bridge-fdb.js';
import { parseIptablesSave, ruleCount } from '../../../collectors/iptables-save.js';
import { procReadings } from '../../../collectors/swarm-namespace.js';
import { dataPathAddress, swarmNamespaceFiles, toSwarmNetwork, toSwarmServices } from '../../../collectors/swarm.js';
import { ServicesResponse, VerboseNetwork } from '../../../collectors/docker-api.js';
import { mapSandboxInterfaces } from '../../../collectors/links.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, replay, seedFailures } from '../fixtures.js';

const DIR = join(CAPTURED, 'swarm');
const raw = (f: string) => readFileSync(join(DIR, 'raw', f), 'utf8');
const snap = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(DIR, f), 'utf8')));
const rec = Recording.parse(JSON.parse(readFileSync(join(DIR, 'a-h1.recording.json'), 'utf8')));
const collect = (r: Recording) => collectSnapshot({ hostName: 'h1', context: replayContext(r), now: () => new Date('2026-12-05T00:00:00Z') });
const containerId = (s: HostSnapshot, name: string) => s.docker!.containers.find((c) => c.name === name)!.id;

describe('an overlay namespace\'s links (ip -d -j link, captured in ov1\'s 1-<id> on h1)', () => {
  const links = parseIpAddr(raw('h1-overlay-ov1.ip-d-j-link.json'));

  it('reads vxlan0\'s VNI, port and flags, and the namespace its UDP socket lives in', () => {
    expect(links.find((l) => l.name === 'vxlan0')!.vxlan).toEqual({ id: 4097, dstport: 4789, local: null, learning: true, proxy: true, l2miss: true, l3miss: true, linkNetnsId: 0 });
  });

  it('gives no other kind a vxlan part; br0 is the bridge every port hangs on, at the overlay MTU', () => {
    expect(links.filter((l) => l.vxlan).map((l) => l.name)).toEqual(['vxlan0']);
    expect(links.find((l) => l.name === 'br0')).toMatchObject({ kind: 'bridge', mtu: 1450 });
    expect(links.filter((l) => l.master === 'br0').map((l) => l.name)).toEqual(['vxlan0', 'veth0', 'veth1', 'veth2']);
    // One veth per local endpoint (a1, c1, and ov1's lb_ namespace), each pointing into another namespace.
    expect(links.filter((l) => l.kind === 'veth').every((l) => l.peer?.netnsId !== null && l.peer?.ifindex !== null)).toBe(true);
  });
});

describe('bridge -j fdb show in the same namespace', () => {
  const fdb = parseBridgeFdb(raw('h1-overlay-ov1.bridge-j-fdb.json'));
  const neigh = parseIpNeighbours(raw('h1-overlay-ov1.neigh.json'));

  it('reads vxlan0\'s own entries as remote VTEPs: the peer\'s data-path address, self, permanent', () => {
    const remote = fdb.filter((e) => e.dev === 'vxlan0' && e.self);
    expect(remote.map((e) => e.dst)).toEqual(['10.77.0.12', '10.77.0.12']);
    expect(remote.every((e) => e.permanent && e.master === null && e.vni === null)).toBe(true);
  });

  it('has one such entry for each PERMANENT neighbour dockerd wrote on vxlan0 (same MACs)', () => {
    const onVxlan = neigh.filter((n) => n.dev === 'vxlan0');
    expect(onVxlan.every((n) => n.state.includes('PERMANENT'))).toBe(true);
    expect(fdb.filter((e) => e.dev === 'vxlan0' && e.dst !== null).map((e) => e.mac).sort()).toEqual(onVxlan.map((n) => n.lladdr).sort());
  });

  it('tells a bridge\'s learned entry (not permanent) from its static ones, and names the bridge', () => {
    const learned = fdb.find((e) => e.mac === '02:42:0a:3c:01:02')!;
    expect(learned).toMatchObject({ dev: 'veth1', master: 'br0', self: false, permanent: false, dst: null });
    expect(fdb.filter((e) => e.dev === 'br0').every((e) => e.self && e.permanent)).toBe(true);
  });
});

describe('iptables-save in swarm\'s own namespaces', () => {
  it('ingress_sbox (no published service): only the embedded resolver\'s NAT', () => {
    const { tables, backend } = parseIptablesSave(raw('h1-ingress_sbox.iptables-save.txt'));
    expect(backend).toBe('nf_tables');
    expect(tables.map((t) => t.name)).toEqual(['nat']);
    expect(tables[0]!.chains.map((c) => c.name)).toEqual(expect.arrayContaining(['DOCKER_OUTPUT', 'DOCKER_POSTROUTING']));
    expect(ruleCount(tables)).toBe(6);
  });
});

describe('/proc files read with one grep -H inside a namespace', () => {
  const key = Object.keys(rec.commands).find((k) => k.includes('/1-') && k.includes(' grep '))!;

  it('an absent /proc/net/ip_vs (this kernel has no IPVS; grep exits 2) is null, the sysctls are read', () => {
    expect(rec.commands[key]!.exitCode).toBe(2);
    expect(procReadings(rec.commands[key]!.stdout)).toEqual({ ipvs: null, sysctls: { 'net.ipv4.ip_forward': '0', 'net.bridge.bridge-nf-call-iptables': '1', 'net.ipv4.conf.all.rp_filter': '0' } });
  });
});

describe('swarm collector (replayed from h1\'s recording, scenario A)', async () => {
  const s = await collect(rec);
  const captured = snap('a-h1.json');

  it('reads what the same collection wrote to a-h1.json, with no errors', () => {
    expect(s.collectors.swarm?.status).toBe('ok');
    expect(s.errors).toEqual([]);
    expect(s.swarm).toEqual(captured.swarm);
    expect(s.links).toEqual(captured.links);
  });

  it('the node: manager, advertise and data-path address, VXLAN port', () => {
    expect(s.swarm).toMatchObject({ state: 'active', manager: true, nodeAddr: '10.77.0.11', dataPathAddr: '10.77.0.11', dataPathPort: 4789, nodes: 2, error: null, services: [] });
    expect(s.swarm!.managers).toEqual([{ nodeId: s.swarm!.nodeId, addr: '10.77.0.11:2377' }]);
  });

  it('overlays with their VNI, peers and every task NetworkDB gossiped, with the node it runs on', () => {
    const ov1 = s.swarm!.networks.find((n) => n.name === 'ov1')!;
    expect(ov1).toMatchObject({ vnis: [4097], encrypted: false, ingress: false, attachable: true });
    expect(ov1.peers.map((p) => p.ip).sort()).toEqual(['10.77.0.11', '10.77.0.12']);
    expect(ov1.services.map((x) => x.name)).toEqual(['']);
    expect(ov1.services[0]!.vip).toBeNull();
    expect(ov1.services[0]!.tasks.map((t) => [t.name, t.ip, t.hostIp])).toEqual([['a1', '10.60.1.2', '10.77.0.11'], ['a2', '10.60.1.4', '10.77.0.12'], ['c1', '10.60.1.6', '10.77.0.11']]);
    expect(s.swarm!.networks.find((n) => n.ingress)).toMatchObject({ name: 'ingress', vnis: [4096] });
  });

  it('swarm\'s namespaces with their roles and owners; container sandboxes are not among them', () => {
    const ids = Object.fromEntries(s.swarm!.networks.map((n) => [n.name, n.id]));
    expect(s.swarm!.namespaces.map((n) => [n.role, n.networkId])).toEqual([
      ['overlay', ids.ov2],
      ['overlay', ids.ingress],
      ['overlay', ids.ov1],
      ['ingress-sbox', ids.ingress],
      ['load-balancer', ids.ov2],
      ['load-balancer', ids.ov1],
    ]);
    const ov1ns = s.swarm!.namespaces.find((n) => n.role === 'overlay' && n.networkId === ids.ov1)!;
    expect(ov1ns.name).toBe(`1-${ids.ov1!.slice(0, 10)}`);
    expect(ov1ns.routes.filter((r) => r.table === 'main').map((r) => [r.dst, r.dev])).toEqual([['10.60.1.0/24', 'br0']]);
    expect(ov1ns.firewall).toEqual([]);
    expect(ov1ns.ipvs).toBeNull();
  });

  it('each overlay container\'s whole rule set is read, and only theirs (br1, on the default bridge, is not)', () => {
    const on = s.swarm!.sandboxes.map((x) => x.containerId);
    expect(on.sort()).toEqual(['a1', 'b1', 'c1'].map((n) => containerId(s, n)).sort());
    expect(s.swarm!.sandboxes.every((x) => x.firewall!.some((t) => t.name === 'nat') && x.ipvs === null)).toBe(true);
  });

  it('a container\'s overlay interface is the port of br0 in that overlay\'s namespace; its docker_gwbridge one is a host veth', () => {
    const c1 = s.links!.sandboxes.find((x) => x.containerId === containerId(s, 'c1'))!;
    const ids = Object.fromEntries(s.swarm!.networks.map((n) => [n.name, n.id]));
    expect(c1.interfaces.map((i) => [i.name, i.overlayPort?.namespace ?? null, i.overlayPort?.bridge ?? null, i.bridge])).toEqual([
      ['eth0', `1-${ids.ov1!.slice(0, 10)}`, 'br0', null],
      ['eth1', null, null, 'docker_gwbridge'],
      ['eth2', `1-${ids.ov2!.slice(0, 10)}`, 'br0', null],
    ]);
    expect(c1.interfaces[0]!.hostVeth).toBeNull();
  });
});

describe('the overlay port wins over a colliding host ifindex', () => {
  // SHAPED from the capture: h1's host veth of a1's eth1 (docker_gwbridge) renumbered so that its ifindex and its
  // peer's are those of a1's eth0 and ov1's veth1 — the collision an ifindex-only match falls for (ifindexes are
  // per namespace). Nothing else changed.
  const a1 = (s: HostSnapshot) => s.links!.sandboxes.find((x) => x.containerId === containerId(s, 'a1'))!;
  const shaped = structuredClone(rec);
  const hostKey = 'ip -j -d addr show';
  const a1Key = Object.keys(shaped.commands).find((k) => k.endsWith(' ip -j -d -4 -batch -') && !/\/(1-|lb_|ingress_sbox)/.test(k) && JSON.parse(shaped.commands[k]!.stdout.split('\n')[0]!).some((l: { ifname: string; addr_info: { local?: string }[] }) => l.addr_info.some((a) => a.local === '10.60.1.2')))!;
  const inside = JSON.parse(shaped.commands[a1Key]!.stdout.split('\n')[0]!) as { ifname: string; ifindex: number; link_index: number }[];
  const eth0 = inside.find((l) => l.ifname === 'eth0')!;
  const eth1 = inside.find((l) => l.ifname === 'eth1')!;
  const host = JSON.parse(shaped.commands[hostKey]!.stdout) as { ifindex: number; link_index?: number }[];
  const gw = host.find((l) => l.ifindex === eth1.link_index)!;
  gw.ifindex = eth0.link_index;
  gw.link_index = eth0.ifindex;
  shaped.commands[hostKey]!.stdout = JSON.stringify(host);

  it('an ifindex-only match maps a1\'s eth0 to that host veth (what the links collector alone would say)', () => {
    const mapped = mapSandboxInterfaces(parseIpAddr(JSON.stringify(host)), parseIpAddr(shaped.commands[a1Key]!.stdout.split('\n')[0]!));
    expect(mapped.find((i) => i.name === 'eth0')!.hostVeth).not.toBeNull();
  });

  it('with swarm\'s namespaces read, eth0 is ov1\'s br0 port and has no host veth', async () => {
    const s = await collect(shaped);
    const eth0Mapped = a1(s).interfaces.find((i) => i.name === 'eth0')!;
    expect(eth0Mapped.overlayPort).toMatchObject({ veth: 'veth1', bridge: 'br0' });
    expect(eth0Mapped.hostVeth).toBeNull();
    expect(eth0Mapped.bridge).toBeNull();
  });
});

describe('failures stay local', () => {
  it('a namespace that cannot be entered is one error naming it; the others and the rest of swarm still report', async () => {
    const broken = structuredClone(rec);
    const key = Object.keys(broken.commands).find((k) => k.includes('/ingress_sbox ip '))!;
    // The real answer of nsenter on a namespace file that went away (captured in the seed lab).
    broken.commands[key] = seedFailures().nsenterVanishedSandbox;
    const s = await collect(broken);
    expect(s.collectors.swarm?.status).toBe('partial');
    expect(s.errors).toEqual([expect.objectContaining({ collector: 'swarm', subject: 'ingress_sbox' })]);
    expect(s.swarm!.namespaces.map((n) => n.name)).not.toContain('ingress_sbox');
    expect(s.swarm!.namespaces).toHaveLength(5);
    expect(s.swarm!.networks).toHaveLength(3);
  });

  it('an overlay network Docker cannot inspect is one error naming it; the other networks are read', async () => {
    const broken = structuredClone(rec);
    const id = Object.keys(broken.docker).find((k) => k.startsWith('inspectNetwork '))!;
    delete broken.docker[id];
    const s = await collect(broken);
    expect(s.errors).toEqual([expect.objectContaining({ collector: 'swarm', subject: expect.any(String) })]);
    expect(s.swarm!.networks).toHaveLength(2);
  });
});

describe('a host not in a swarm', () => {
  it('the seed host (dockerd 20.10, no swarm): swarm is null, the collector left out, and no error is added', async () => {
    const s = await replay();
    expect(s.swarm).toBeNull();
    expect(s.collectors.swarm).toBeUndefined();
    expect(Object.keys(s.collectors).sort()).toEqual(['dns', 'docker', 'firewall', 'host', 'links', 'nftables', 'routes', 'sockets', 'sysctls']);
    expect(s.errors.filter((e) => e.collector === 'swarm')).toEqual([]);
  });
});

describe('naming helpers, on the captured names and networks', () => {
  const networks = Object.entries(rec.docker).filter(([k]) => k.startsWith('inspectNetwork ')).map(([, v]) => VerboseNetwork.parse(v));

  it('netns files: 1-<10>, lb_<9>, ingress_sbox are swarm\'s; 12-hex sandboxes are not', () => {
    const files = swarmNamespaceFiles('/x', raw('h1-netns.txt').trim().split('\n'), networks.map((n) => ({ id: n.Id, ingress: n.Ingress })));
    expect(files.map((f) => f.name)).toEqual(raw('h1-netns.txt').trim().split('\n').filter((n) => /^(1-|lb_|ingress_sbox)/.test(n)));
    expect(files.every((f) => f.networkId !== null && f.path === `/x/${f.name}`)).toBe(true);
  });

  it('the data-path address is a local endpoint\'s "Host IP"; with no local endpoint, the advertise address', () => {
    expect(dataPathAddress(networks, '192.0.2.1')).toBe('10.77.0.11');
    const noLocal = networks.map((n) => ({ ...n, Containers: {} }));
    expect(dataPathAddress(noLocal, '192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('services and an encrypted overlay, as the Engine API described them in the lab (raw/, svc-*.json)', () => {
  const services = toSwarmServices(ServicesResponse.parse(JSON.parse(raw('h1-services.json'))));
  const net = (n: string) => toSwarmNetwork(VerboseNetwork.parse(JSON.parse(raw(`h1-network-${n}.verbose.json`))));

  it('a vip service: one VIP per network (the ingress one included) and its published port through the mesh', () => {
    const web = services.find((x) => x.name === 'web')!;
    expect(web.endpointMode).toBe('vip');
    expect(web.virtualIps.map((v) => v.address).sort()).toEqual(['10.0.0.4/24', '10.60.1.7/24']);
    expect(web.ports).toEqual([{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }]);
  });

  it('a dnsrr service: no VIP; its mode read from the spec, since Docker leaves Endpoint.Spec empty for it', () => {
    const rr = JSON.parse(raw('h1-services.json')).find((x: { Spec: { Name: string } }) => x.Spec.Name === 'rr');
    expect(rr.Endpoint.Spec).toEqual({});
    expect(services.find((x) => x.name === 'rr')).toMatchObject({ endpointMode: 'dnsrr', virtualIps: [], ports: [] });
  });

  it('NetworkDB\'s service entries: the VIP and each task with the node it runs on; the ingress entry names its port', () => {
    const web = net('ov1').services.find((x) => x.name === 'web')!;
    expect(web.vip).toBe('10.60.1.7');
    expect(web.tasks.map((t) => t.hostIp).sort()).toEqual(['10.77.0.11', '10.77.0.12']);
    expect(net('ingress').services.find((x) => x.name === 'web')!.ports).toEqual(['Target: 80, Publish: 8080']);
  });

  it('--opt encrypted: the network is marked encrypted; the others are not', () => {
    expect(net('ov3').encrypted).toBe(true);
    expect(net('ov1').encrypted).toBe(false);
  });

  it('the snapshots of those hosts: a manager lists services, a worker does not', () => {
    expect(snap('svc-h1.json').swarm!.services!.map((x) => x.name)).toEqual(['rr', 'web']);
    expect(snap('svc-h2.json').swarm!.services).toBeNull();
    expect(snap('svc-h2.json').swarm!.networks.find((n) => n.name === 'ov3')!.encrypted).toBe(true);
  });
});
