// The whole collection replayed from the seed recording: schema, round trip, and what the seed host must show.
import { describe, expect, it } from 'vitest';
import { HostSnapshot, parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { replay } from '../fixtures.js';

describe('snapshot of the seed host (replayed)', async () => {
  const s = await replay();

  it('passes the schema and survives a JSON round trip unchanged', () => {
    expect(HostSnapshot.safeParse(s).success).toBe(true);
    expect(parseSnapshot(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(s.schema).toBe('netdiag/snapshot@1');
  });

  it('has every collector ok and no errors', () => {
    expect(s.errors).toEqual([]);
    expect(Object.values(s.collectors).map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('holds the default bridge and net-redis with effective options', () => {
    const bridge = s.docker!.networks.find((n) => n.name === 'bridge')!;
    const redis = s.docker!.networks.find((n) => n.name === 'net-redis')!;
    expect(bridge).toMatchObject({ bridge: 'docker0', isDefaultBridge: true, icc: true, masquerade: true, internal: false });
    expect(redis).toMatchObject({ bridge: `br-${redis.id.slice(0, 12)}`, isDefaultBridge: false, icc: true, gatewayModeIpv4: 'nat' });
    expect(redis.subnets[0]?.subnet).toBe('172.18.0.0/16');
  });

  it('attaches each container endpoint to its network bridge through its veth', () => {
    const byName = new Map(s.docker!.containers.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['alpine-01', 'redis-1', 'redis-2']);
    for (const c of s.docker!.containers) {
      const sandbox = s.links!.sandboxes.find((x) => x.containerId === c.id)!;
      for (const ep of c.endpoints) {
        const net = s.docker!.networks.find((n) => n.id === ep.networkId)!;
        const iface = sandbox.interfaces.find((i) => i.addresses.some((a) => a.local === ep.ip))!;
        expect(iface.bridge).toBe(net.bridge);
        const veth = s.links!.interfaces.find((i) => i.ifindex === iface.hostVeth!.ifindex)!;
        expect(veth).toMatchObject({ kind: 'veth', master: net.bridge, name: iface.hostVeth!.name });
      }
    }
    expect(byName.get('redis-2')!.ports).toEqual([
      { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
      { containerPort: 80, protocol: 'tcp', hostIp: '::', hostPort: 8080 },
    ]);
  });

  it('has the isolation chains, FORWARD policy DROP and ip_forward 1', () => {
    const filter = s.firewall!.tables.find((t) => t.name === 'filter')!;
    const texts = (c: string) => filter.chains.find((x) => x.name === c)!.rules.map((r) => r.text);
    const br = s.docker!.networks.find((n) => n.name === 'net-redis')!.bridge;
    expect(texts('DOCKER-ISOLATION-STAGE-1')).toEqual(expect.arrayContaining([`-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`, '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2']));
    expect(texts('DOCKER-ISOLATION-STAGE-2')).toEqual(expect.arrayContaining([`-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`, '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP']));
    expect(filter.chains.find((c) => c.name === 'FORWARD')!.policy).toBe('DROP');
    expect(s.sysctls!.values['net.ipv4.ip_forward']).toBe('1');
    expect(s.sysctls!.values['net.bridge.bridge-nf-call-iptables']).toBe('1');
  });

  it('holds each container\'s own routes', () => {
    const alpine = s.docker!.containers.find((c) => c.name === 'alpine-01')!;
    const routes = s.routes!.sandboxes.find((x) => x.containerId === alpine.id)!.routes;
    expect(routes.find((r) => r.dst === '0.0.0.0/0')).toMatchObject({ gateway: '172.17.0.1', dev: 'eth0' });
  });
});
