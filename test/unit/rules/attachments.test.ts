// Endpoint.attachment per kind, on captured snapshots and on the seed host joined by the captured macvlan namespaces
// (ipvlan shaped): what the model says, that the bridge-only views leave children out, and what `why` answers today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../../rules/doctor/doctor.js';
import { buildTopology } from '../../../rules/map/topology.js';
import { bridgePortOf } from '../../../rules/model/attachment.js';
import { buildWorld, foreignPorts } from '../../../rules/model/build.js';
import type { ContainerModel, HostModel } from '../../../rules/model/types.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { attachText, childHost } from '../derive-attach.js';
import { seedHost } from '../derive.js';
import { CAPTURED } from '../fixtures.js';

const hostOf = (s: HostSnapshot): HostModel => buildWorld([s]).hosts[0]!;
const container = (h: HostModel, name: string): ContainerModel => h.containers.find((c) => c.name === name)!;
const attachments = (c: ContainerModel) => c.endpoints.map((e) => [e.iface, e.ipText, e.attachment]);

describe('bridge ports (the seed host)', () => {
  const h = hostOf(seedHost());

  it('attaches every endpoint to its network\'s bridge through the veth netdiag mapped', () => {
    const s = h.snapshot;
    for (const c of h.containers) {
      const sb = s.links!.sandboxes.find((x) => x.containerId === c.docker.id)!;
      for (const e of c.endpoints) {
        const iface = sb.interfaces.find((i) => i.name === e.iface)!;
        expect(e.attachment).toEqual({ kind: 'bridge-port', bridge: e.network!.bridge, hostVeth: iface.hostVeth!.name });
      }
    }
    expect(h.containers.flatMap((c) => c.endpoints)).toHaveLength(3);
  });

  it('every endpoint on a bridge answers there: the bridge ports, by their attachment', () => {
    for (const e of h.containers.flatMap((c) => c.endpoints)) {
      const port = bridgePortOf(e.attachment);
      expect(port).not.toBeNull();
      expect(h.endpointsOnBridge.get(port!.bridge)).toContain(e);
    }
  });

  it('a namespace not read: the bridge from Docker\'s network, the veth unknown', () => {
    const s = seedHost();
    const redis1 = s.docker!.containers.find((c) => c.name === 'redis-1')!;
    s.links!.sandboxes = s.links!.sandboxes.filter((x) => x.containerId !== redis1.id);
    const c = container(hostOf(s), 'redis-1');
    expect(c.netns).toBe('unknown');
    const bridge = s.docker!.networks.find((n) => n.name === 'net-redis')!.bridge;
    expect(attachments(c)).toEqual([['?', '172.18.0.2', { kind: 'bridge-port', bridge, hostVeth: null }]]);
  });
});

describe('namespaces of others (reach/h1, captured: --network host, --network container:web, --network none)', () => {
  const h = hostOf(parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'reach/h1.json'), 'utf8'))));

  it('host mode: every endpoint in the host\'s namespace, no bridge', () => {
    const c = container(h, 'hostc');
    expect(c.endpoints.length).toBeGreaterThan(0);
    for (const e of c.endpoints) {
      expect(e.attachment).toEqual({ kind: 'host-netns' });
      expect(bridgePortOf(e.attachment)).toBeNull();
    }
  });

  it('container mode: the owner\'s namespace, attached as the owner\'s interface is', () => {
    const web = container(h, 'web');
    const side = container(h, 'side');
    expect(side.endpoints.map((e) => e.attachment)).toEqual(web.endpoints.map((e) => ({ kind: 'container-netns', owner: 'web', via: e.attachment })));
    expect(web.endpoints.every((e) => e.attachment.kind === 'bridge-port')).toBe(true);
    // The walker still finds the owner's bridge under a shared namespace; only the owner answers on it.
    for (const [k, e] of side.endpoints.entries()) expect(bridgePortOf(e.attachment)).toEqual(bridgePortOf(web.endpoints[k]!.attachment));
    expect([...h.endpointsOnBridge.values()].flat().some((e) => e.container === side)).toBe(false);
  });

  it('none mode: no endpoint, so no attachment', () => {
    expect(container(h, 'none1').endpoints).toEqual([]);
  });
});

describe('macvlan (the captured children of lan0)', () => {
  it('reads each child\'s parent and mode from the kernel', () => {
    const h = hostOf(childHost('macvlan'));
    expect(attachments(container(h, 'on-macvlan'))).toEqual([
      ['eth0', '192.168.50.10', { kind: 'macvlan', parent: 'lan0', mode: 'bridge' }],
      ['eth1', '192.168.50.11', { kind: 'macvlan', parent: 'lan0', mode: 'private' }],
    ]);
  });

  it('a namespace not read: parent from Docker\'s -o parent, mode Docker\'s default (bridge)', () => {
    const c = container(hostOf(childHost('macvlan', { read: false })), 'on-macvlan');
    expect(c.netns).toBe('unknown');
    expect(attachments(c)).toEqual([['?', '192.168.50.10', { kind: 'macvlan', parent: 'lan0', mode: 'bridge' }]]);
  });

  it('a snapshot from before parents were read: Docker\'s network fills in what the link does not say', () => {
    const s = childHost('macvlan');
    for (const i of s.links!.sandboxes.at(-1)!.interfaces) i.lower = null;
    expect(container(hostOf(s), 'on-macvlan').endpoints.map((e) => e.attachment)).toEqual([
      { kind: 'macvlan', parent: 'lan0', mode: 'bridge' },
      // eth1's address is not Docker's (added in the namespace): no network, so only the link kind is known.
      { kind: 'macvlan', parent: null, mode: null },
    ]);
  });

  it('is no bridge port: not on any bridge, not a foreign port', () => {
    const s = childHost('macvlan');
    const h = hostOf(s);
    const c = container(h, 'on-macvlan');
    expect(c.endpoints.every((e) => bridgePortOf(e.attachment) === null)).toBe(true);
    expect([...h.endpointsOnBridge.values()].flat().some((e) => e.container === c)).toBe(false);
    expect(foreignPorts(s)).toEqual(new Map());
  });

  it('why towards it: the host and its bridge containers never reach their own host\'s children through the parent', () => {
    const world = buildWorld([childHost('macvlan')]);
    for (const from of ['alpine-01', 'redis-1']) {
      const a = why(world, from, 'on-macvlan', parseFlow('80/tcp'));
      expect(a.addresses.map((x) => [x.ip, x.verdict, x.decidedBy?.code])).toEqual([
        ['192.168.50.10', 'blocked', 'parent-isolation'],
        ['192.168.50.11', 'blocked', 'parent-isolation'],
      ]);
    }
    // From it: out of its parent lan0 towards its gateway, which no host in view holds.
    expect(why(world, 'on-macvlan', 'alpine-01', PING).addresses.map((x) => [x.verdict, x.decidedBy?.kind])).toEqual([['unknown', 'exit']]);
  });

  it('the host\'s own shim is a sibling: the request arrives through it, the reply needs a route to the children by it', () => {
    const a = why(buildWorld([childHost('macvlan')]), 'on-macvlan', '192.168.50.3', PING).addresses[0]!;
    // The captured shim has its /32 and no route: the host answers out of lan0, which never reaches its own child.
    expect(a.request.at(-1)!.steps.at(-1)).toMatchObject({ type: 'deliver', to: 'host lab-h1' });
    expect([a.verdict, a.decidedBy]).toMatchObject(['blocked', { kind: 'lower', cause: 'host-isolation', direction: 'reply', parent: 'lan0' }]);
    const routed = childHost('macvlan');
    routed.routes!.routes.push({ ...routed.routes!.routes.find((r) => r.dev === 'lan0' && r.dst === '192.168.50.0/24')!, dst: '192.168.50.10/32', dev: 'mvshim', prefsrc: null });
    expect(why(buildWorld([routed]), 'on-macvlan', '192.168.50.3', PING).verdict).toBe('reachable');
  });

  it('topology shows the network with its driver, mode and parent', () => {
    const t = buildTopology(buildWorld([childHost('macvlan')]), PING);
    const net = t.hosts[0]!.networks.find((n) => n.name === 'lan-macvlan')!;
    expect(net).toMatchObject({ bridge: null, flags: ['macvlan bridge on lan0', 'lab-h1 cannot reach it (parent isolation: no shim)'], count: 1 });
    expect(t.hosts[0]!.bridgedPorts).toEqual([]);
  });

  it('doctor takes no host-side macvlan shim for the uplink', () => {
    const s = childHost('macvlan');
    // The seed host has no default route: the uplink is the first addressed plain device, which the shim is not.
    s.links!.interfaces.find((i) => i.name === 'mvshim')!.mtu = 1400;
    expect(doctor(s).filter((f) => f.code === 'mtu-mismatch')).toEqual([]);
  });
});

describe('ipvlan (shaped children of lan0)', () => {
  it('reads each child\'s parent, mode and flag from the kernel', () => {
    expect(container(hostOf(childHost('ipvlan')), 'on-ipvlan').endpoints.map((e) => e.attachment)).toEqual([
      { kind: 'ipvlan', parent: 'lan0', mode: 'l2', flag: 'bridge' },
      { kind: 'ipvlan', parent: 'lan0', mode: 'l3', flag: 'private' },
    ]);
  });

  it('a namespace not read: Docker\'s options, with its default flag (bridge)', () => {
    expect(attachments(container(hostOf(childHost('ipvlan', { read: false })), 'on-ipvlan'))).toEqual([['?', '192.168.50.10', { kind: 'ipvlan', parent: 'lan0', mode: 'l2', flag: 'bridge' }]]);
  });

  it('why towards it from the host\'s bridge containers: blocked by the parent, never through it', () => {
    const a = why(buildWorld([childHost('ipvlan')]), 'alpine-01', 'on-ipvlan', PING);
    expect(a.addresses.map((x) => [x.verdict, x.decidedBy?.kind === 'lower' ? x.decidedBy.cause : x.decidedBy?.kind])).toEqual([['blocked', 'host-isolation'], ['blocked', 'host-isolation']]);
  });

  it('topology names mode and flag', () => {
    const t = buildTopology(buildWorld([childHost('ipvlan')]), PING);
    expect(t.hosts[0]!.networks.find((n) => n.name === 'lan-ipvlan')!.flags).toEqual(['ipvlan l2 bridge on lan0', 'lab-h1 cannot reach it (parent isolation: no shim)']);
  });
});

describe('a real Docker macvlan network (attach/macvlan-host.json)', () => {
  const s = parseSnapshot(JSON.parse(attachText('macvlan-host.json')));
  const world = buildWorld([s]);
  const h = world.hosts[0]!;

  it('attaches each endpoint as the kernel and Docker say', () => {
    // The host end of both's veth, as the kernel named it when the fixture was captured.
    const both = s.docker!.containers.find((c) => c.name === 'both')!;
    const veth = s.links!.sandboxes.find((x) => x.containerId === both.id)!.interfaces.find((i) => i.name === 'eth0')!.hostVeth!.name;
    expect(veth).toMatch(/^veth/);
    expect(attachments(container(h, 'web-mv'))).toEqual([['eth0', '10.77.0.128', { kind: 'macvlan', parent: 'eth0', mode: 'bridge' }]]);
    expect(attachments(container(h, 'both')).map(([iface, , a]) => [iface, a])).toEqual([
      ['eth0', { kind: 'bridge-port', bridge: 'docker0', hostVeth: veth }],
      ['eth1', { kind: 'macvlan', parent: 'eth0', mode: 'bridge' }],
    ]);
    expect(attachments(container(h, 'side'))).toEqual([['eth0', '10.77.0.128', { kind: 'container-netns', owner: 'web-mv', via: { kind: 'macvlan', parent: 'eth0', mode: 'bridge' } }]]);
  });

  it('puts only bridge ports on docker0, and finds no foreign port', () => {
    expect([...h.endpointsOnBridge].map(([b, list]) => [b, list.map((e) => e.ipText).sort()])).toEqual([['docker0', ['172.17.0.2', '172.17.0.3']]]);
    expect(foreignPorts(s)).toEqual(new Map());
  });

  it('why towards the macvlan endpoint: blocked from a bridge, reachable from a sibling child — as probed when captured', () => {
    // Probed in the lab: c-br gets no reply (the host cannot reach its own children), both is answered.
    const verdicts = (from: string) => why(world, from, 'web-mv', PING).addresses.map((x) => [x.verdict, x.verdict === 'reachable' ? null : x.decidedBy?.code]);
    expect(verdicts('c-br')).toEqual([['blocked', 'parent-isolation']]);
    expect(verdicts('both')).toEqual([['reachable', null]]);
  });

  it('doctor finds nothing to say about a macvlan subnet on the parent\'s own route', () => {
    expect(doctor(s)).toEqual([]);
  });

  it('topology shows lan-mv with its driver, its three endpoints and no bridged port', () => {
    const t = buildTopology(world, PING);
    expect(t.hosts[0]!.networks.find((n) => n.name === 'lan-mv')).toMatchObject({ bridge: null, flags: ['macvlan bridge on eth0', 'macvlan-host cannot reach it (parent isolation: no shim)'], count: 3 });
    expect(t.hosts[0]!.bridgedPorts).toEqual([]);
  });
});
