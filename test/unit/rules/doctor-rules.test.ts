// doctor on Docker's rules and the firewalls beside them, on snapshots derived from the captured ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../../collectors/nft-json.js';
import { doctor } from '../../../rules/doctor/doctor.js';
import { dockerBackend } from '../../../rules/doctor/firewalls.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, mobyDir } from '../fixtures.js';
import { nftBackendHost, seedHost } from '../derive.js';

const codes = (s: HostSnapshot) => doctor(s).map((f) => f.code);

describe('Docker\'s rules missing', () => {
  it('on the iptables backend: networks exist, no rule names their bridges (after an iptables-restore)', () => {
    const s = seedHost();
    expect(dockerBackend(s)).toBe('iptables');
    expect(codes(s)).not.toContain('docker-rules-missing');
    for (const t of s.firewall!.tables) for (const c of t.chains) c.rules = c.rules.filter((r) => !/docker0|br-/.test(r.text));
    const f = doctor(s).find((x) => x.code === 'docker-rules-missing');
    expect(f?.title).toMatch(/bridge, net-redis|net-redis/);
    expect(f?.fix).toMatch(/restart dockerd/);
  });
  it('on the nftables backend: the docker-bridges table gone (a flush ruleset)', () => {
    const s = nftBackendHost('docker29-user-defined-bridge.nft.json');
    expect(dockerBackend(s)).toBe('nftables');
    expect(codes(s)).not.toContain('docker-rules-missing');
    s.nftables = { ...s.nftables!, tables: [], chains: [], rules: [], sets: [] };
    s.docker!.firewallBackend = 'nftables';
    expect(doctor(s).find((x) => x.code === 'docker-rules-missing')?.evidence).toEqual([
      'network bridge on docker0: no isolation, no forward accepts, no MASQUERADE',
      'network bridge1 on bridge1: no isolation, no forward accepts, no MASQUERADE, no DNAT for 8080/tcp (c1 0.0.0.0:8080->80/tcp)',
      'Docker reports its firewall backend: nftables',
      'no table ip docker-bridges',
    ]);
  });
});

describe('the nftables backend\'s pitfalls', () => {
  it('an iptables FORWARD policy DROP left from an iptables-backend run', () => {
    const s = nftBackendHost('docker29-user-defined-bridge.nft.json');
    s.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')!.policy = 'DROP';
    expect(codes(s)).toContain('iptables-forward-drop-on-nftables');
  });
  it('ip_forward off: Docker never turns it on there', () => {
    const s = nftBackendHost('docker29-user-defined-bridge.nft.json');
    s.sysctls!.values['net.ipv4.ip_forward'] = '0';
    expect(codes(s)).toContain('ip-forward-off-nftables');
  });
});

describe('another manager\'s table dropping forwarded traffic', () => {
  const ops = () => parseNftJson(readFileSync(join(CAPTURED, 'nft/ops-beside-iptables-nft.nft.json'), 'utf8'));
  it('a forward chain with policy drop that names no Docker bridge', () => {
    const s = seedHost();
    s.nftables = ops();
    expect(codes(s)).not.toContain('foreign-forward-drop');
    s.nftables.chains.find((c) => c.name === 'forward_ops')!.policy = 'drop';
    expect(doctor(s).find((f) => f.code === 'foreign-forward-drop')?.title).toMatch(/inet ops's forward chain forward_ops drops what it does not accept, and none of its rules names a Docker bridge/);
  });
});
