// Docker API responses captured live from dockerd 20.10 (moby firewall study) turned into snapshot parts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerInspect, NetworksResponse } from '../../../collectors/docker-api.js';
import { toContainer, toNetwork } from '../../../collectors/docker.js';
import { mobyDir } from '../fixtures.js';

const load = (f: string) => JSON.parse(readFileSync(join(mobyDir(), f), 'utf8')).response;

describe('containers in every network mode (docker20-api-container-inspect-netmodes.json)', () => {
  const containers = (load('docker20-api-container-inspect-netmodes.json') as unknown[]).map((c) => toContainer(ContainerInspect.parse(c)));
  const byName = new Map(containers.map((c) => [c.name, c]));

  it.each([
    ['c1', 'default', 'bridge', ['bridge']],
    ['c3', 'host', 'host', ['host']],
    ['c4', 'none', 'none', ['none']],
    ['c5', 'bridge1', 'network', ['bridge1']],
  ])('%s: NetworkMode %s is %s with endpoints %j', (name, mode, kind, networks) => {
    const c = byName.get(name)!;
    expect(c.networkMode).toBe(mode);
    expect(c.networkModeKind).toBe(kind);
    expect(c.endpoints.map((e) => e.network)).toEqual(networks);
  });

  it('container:<id> mode has no sandbox of its own and names the container it shares with', () => {
    const c2 = byName.get('c2')!;
    expect(c2.networkModeKind).toBe('container');
    expect(c2.sandboxKey).toBeNull();
    expect(c2.sharesNetnsWith).toMatch(/^[0-9a-f]{64}$/);
    expect(containers.some((c) => c.id === c2.sharesNetnsWith)).toBe(true);
  });

  it('bridge endpoints carry address, prefix, gateway and MAC; host and none carry none', () => {
    expect(byName.get('c1')!.endpoints[0]).toMatchObject({ ip: expect.stringMatching(/^172\.17\./), prefixLen: 16, gateway: '172.17.0.1', mac: expect.stringMatching(/^02:42:/) });
    expect(byName.get('c3')!.endpoints[0]).toMatchObject({ ip: null, prefixLen: null, gateway: null });
  });
});

describe('networks (docker20-api-networks-list.json)', () => {
  const networks = NetworksResponse.parse(load('docker20-api-networks-list.json')).map(toNetwork);

  it('names bridge devices: docker0 from options, br-<12 hex> for user networks, none for other drivers', () => {
    const bridge = networks.find((n) => n.name === 'bridge')!;
    expect(bridge).toMatchObject({ bridge: 'docker0', isDefaultBridge: true });
    // 20.10 reports the default bridge's subnet without a gateway.
    expect(bridge.subnets).toEqual([{ subnet: '172.17.0.0/16', gateway: null, ipRange: null, auxAddresses: {} }]);
    // This capture's user network was created with -o com.docker.network.bridge.name=bridge1.
    const user = networks.find((x) => x.driver === 'bridge' && !x.isDefaultBridge)!;
    expect(user.options['com.docker.network.bridge.name']).toBe('bridge1');
    expect(user.bridge).toBe('bridge1');
    const unnamed = toNetwork(NetworksResponse.parse([{ ...load('docker20-api-networks-list.json').find((n: { Name: string }) => n.Name === user.name), Options: {} }])[0]!);
    expect(unnamed.bridge).toBe(`br-${user.id.slice(0, 12)}`);
    expect(networks.find((n) => n.name === 'host')!.bridge).toBeNull();
  });

  it('fills Docker\'s defaults for options a user network does not report', () => {
    const user = networks.find((n) => n.driver === 'bridge' && !n.isDefaultBridge)!;
    expect(user).toMatchObject({ icc: true, masquerade: true, gatewayModeIpv4: 'nat', internal: false });
  });
});
