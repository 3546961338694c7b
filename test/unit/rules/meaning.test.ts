// What a rule means, decided once at model build: owners and codes on captured rule sets, and the cases where the
// rule's text alone misleads (an administrator's rule shaped like Docker's, a bridge named by its network's options).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { meaningContext } from '../../../rules/meaning/context.js';
import { snapshotRules } from '../../../rules/meaning/host.js';
import { iptablesMeaning } from '../../../rules/meaning/iptables.js';
import type { RuleMeaning } from '../../../rules/meaning/types.js';
import { buildWorld } from '../../../rules/model/build.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { why } from '../../../rules/why/why.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { bridgeOf, nftBackendHost, seedHost, withRules } from '../derive.js';
import { CAPTURED, corpusDir, mobyDumps, REPO } from '../fixtures.js';

const ping = { proto: 'icmp', port: null } as const;

/** The seed host with a raw table (Docker 20.10 writes none) holding `rule` in PREROUTING. */
function withRaw(s: HostSnapshot, rule: string): HostSnapshot {
  s.firewall!.tables.push({ name: 'raw', chains: [{ name: 'PREROUTING', policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] }, { name: 'OUTPUT', policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] }] });
  return withRules(s, 'raw', 'PREROUTING', [rule]);
}

/** Every rule's meaning in a snapshot, as `table chain: text` → meaning (iptables' IPv4 rules and native nft rules). */
function meanings(s: HostSnapshot): Map<string, RuleMeaning> {
  const r = snapshotRules(s);
  const out = new Map<string, RuleMeaning>();
  for (const [ref, m] of r.meanings.byRule) out.set(`${ref.table} ${ref.chain}: ${ref.text}`, m);
  return out;
}

describe('the seed host (Docker 20.10, iptables): who wrote each rule', () => {
  const s = seedHost();
  const m = meanings(s);
  const redis = bridgeOf(s, 'net-redis');

  it('every rule of Docker\'s chains is Docker\'s; its isolation drops say so', () => {
    const docker = [...m].filter(([k]) => / DOCKER(-ISOLATION-STAGE-[12])?: /.test(k));
    expect(docker.length).toBeGreaterThan(4);
    for (const [, v] of docker) expect(v.owner).toBe('docker');
    expect(m.get(`filter DOCKER-ISOLATION-STAGE-2: -A DOCKER-ISOLATION-STAGE-2 -o ${redis} -j DROP`)).toMatchObject({ code: 'isolation', owner: 'docker', bridges: [redis] });
  });

  it('Docker\'s per-bridge rules in FORWARD, by the bridges its networks report; the bare RETURN of DOCKER-USER is Docker\'s', () => {
    for (const [k, v] of m) if (k.startsWith('filter FORWARD: ') && (k.includes(redis) || k.includes('docker0'))) expect(v.owner, k).toBe('docker');
    expect(m.get('filter DOCKER-USER: -A DOCKER-USER -j RETURN')).toMatchObject({ owner: 'docker' });
  });

  it('an administrator\'s rules: DOCKER-USER is theirs, a drop in FORWARD shaped like icc=false on a network with icc on is theirs too', () => {
    const t = withRules(withRules(seedHost(), 'filter', 'DOCKER-USER', ['-A DOCKER-USER -s 172.17.0.2/32 -j DROP']), 'filter', 'FORWARD', [`-A FORWARD -i ${redis} -o ${redis} -j DROP`]);
    const mm = meanings(t);
    expect(mm.get('filter DOCKER-USER: -A DOCKER-USER -s 172.17.0.2/32 -j DROP')).toMatchObject({ owner: 'admin', code: 'admin-rule', containers: [t.docker!.containers.find((c) => c.name === 'alpine-01')!.id] });
    expect(mm.get(`filter FORWARD: -A FORWARD -i ${redis} -o ${redis} -j DROP`)).toMatchObject({ owner: 'admin', code: 'rule' });
  });

  it('the same drop on a network Docker reports with icc off is Docker\'s icc-off', () => {
    const t = withRules(seedHost(), 'filter', 'FORWARD', [`-A FORWARD -i ${redis} -o ${redis} -j DROP`]);
    t.docker!.networks.find((n) => n.name === 'net-redis')!.icc = false;
    expect(meanings(t).get(`filter FORWARD: -A FORWARD -i ${redis} -o ${redis} -j DROP`)).toMatchObject({ owner: 'docker', code: 'icc-off' });
  });

  it('shapes close to Docker\'s are the administrator\'s when Docker\'s data says Docker did not write them', () => {
    const t = withRaw(seedHost(), '-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 22 -j DROP');
    t.docker!.version = '28.2.2';
    withRules(t, 'filter', 'FORWARD', ['-A FORWARD -i docker0 -o eth1 -p tcp -m tcp --dport 25 -j ACCEPT']);
    const mm = meanings(t);
    // No container publishes 22 on a loopback address: Docker's "DROP REMOTE LOOPBACK" is not this one.
    expect(mm.get('raw PREROUTING: -A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 22 -j DROP')).toMatchObject({ owner: 'admin' });
    expect(mm.get('filter FORWARD: -A FORWARD -i docker0 -o eth1 -p tcp -m tcp --dport 25 -j ACCEPT')).toMatchObject({ owner: 'admin' });
  });

  it('netdiag\'s own rules carry their fix ID', () => {
    const t = withRules(seedHost(), 'filter', 'DOCKER-USER', ['-A DOCKER-USER -s 172.17.0.2/32 -d 172.18.0.2/32 -p icmp -m comment --comment netdiag:fx-12345678 -j ACCEPT']);
    const r = snapshotRules(t).meanings;
    expect(r.netdiagRules).toEqual([{ id: 'fx-12345678', ruleset: 'iptables', table: 'filter', chain: 'DOCKER-USER' }]);
  });
});

describe('why and fix read the meaning: text shaped like Docker\'s is not Docker\'s', () => {
  it('an administrator\'s raw PREROUTING drop on Docker 20.10 (which writes no raw rules) is theirs, not isolation', () => {
    const s = seedHost();
    const redis = bridgeOf(s, 'net-redis');
    const t = withRaw(s, `-A PREROUTING -d 172.18.0.2/32 ! -i ${redis} -j DROP`);
    const w = buildWorld([t]);
    const a = why(w, 'alpine-01', 'redis-1', ping);
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'rule', table: 'raw', chain: 'PREROUTING', code: 'rule', owner: 'admin' });
    // Removing it alone leaves Docker's isolation: what works is joining the network, and nothing of Docker's is offered.
    const kinds = fixesFor(w, a, ping).map((f) => f.kind);
    expect(kinds).toContain('network-connect');
    expect(kinds).not.toContain('edit-docker-chain');
  });

  it('the same rule on Docker 28 is Docker\'s direct-access drop, isolation to a packet from another Docker bridge', () => {
    const s = seedHost();
    const redis = bridgeOf(s, 'net-redis');
    const t = withRaw(s, `-A PREROUTING -d 172.18.0.2/32 ! -i ${redis} -j DROP`);
    t.docker!.version = '28.2.2';
    const d = why(buildWorld([t]), 'alpine-01', 'redis-1', ping).addresses[0]!.decidedBy;
    expect(d).toMatchObject({ kind: 'rule', table: 'raw', code: 'isolation', owner: 'docker' });
  });

  it('an administrator\'s same-bridge drop is not Docker\'s icc=false', () => {
    const s = seedHost();
    const redis = bridgeOf(s, 'net-redis');
    const w = buildWorld([withRules(s, 'filter', 'FORWARD', [`-A FORWARD -i ${redis} -o ${redis} -j DROP`])]);
    const a = why(w, 'redis-1', 'redis-2', ping);
    expect(a.verdict).toBe('blocked');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'rule', chain: 'FORWARD', code: 'rule', owner: 'admin' });
    expect(fixesFor(w, a, ping).find((f) => f.kind === 'remove-rule')).toBeDefined();
  });

  it('a network whose bridge is named by its options gets the same codes, owners and kinds of fix as one named by Docker', () => {
    const s = seedHost();
    const old = bridgeOf(s, 'net-redis');
    const custom = parseSnapshot(JSON.parse(JSON.stringify(s).replaceAll(old, 'lan-custom0')));
    custom.docker!.networks.find((n) => n.name === 'net-redis')!.options['com.docker.network.bridge.name'] = 'lan-custom0';
    const answers = [s, custom].map((x) => {
      const w = buildWorld([x]);
      const a = why(w, 'alpine-01', 'redis-1', ping);
      const d = a.addresses[0]!.decidedBy!;
      return { code: d.code, owner: 'owner' in d ? d.owner : null, chain: 'chain' in d ? d.chain : null, fixes: fixesFor(w, a, ping).map((f) => [f.kind, f.discouraged]) };
    });
    expect(answers[0]).toMatchObject({ code: 'isolation', owner: 'docker' });
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('Docker 29\'s nftables tables and other managers', () => {
  it('docker-bridges is Docker\'s, each rule told by the comment Docker writes, its bridge by its chain\'s name', () => {
    const m = meanings(nftBackendHost('docker29-user-defined-bridge.nft.json'));
    const byComment = (chain: string, code: string) => [...m].filter(([k, v]) => k.startsWith(`docker-bridges ${chain}:`) && v.code === code);
    expect(byComment('raw-PREROUTING', 'direct-access').length).toBeGreaterThan(0);
    for (const [, v] of byComment('filter-forward-in__bridge1', 'unpublished-port')) expect(v).toMatchObject({ owner: 'docker', isolatesOtherBridges: true, bridges: ['bridge1'] });
    expect(byComment('filter-forward-in__bridge1', 'unpublished-port').length).toBe(1);
    // The ICC rule accepts a network's own traffic when icc is on: that is no icc-off.
    expect(byComment('filter-forward-in__bridge1', 'icc-off')).toEqual([]);
    for (const [, v] of m) expect(v.owner).toBe('docker');
  });

  it('other managers own their chains, whatever those chains drop (corpus: kube-proxy, tailscale)', () => {
    const ctx = meaningContext(seedHost());
    for (const [file, chain, manager] of [['003-k8s-flannel-libvirt-centos7-save.txt', 'KUBE-FIREWALL', 'kube-proxy'], ['017-tailscale-14900-legacy-warning-S.txt', 'ts-forward', 'tailscale']] as const) {
      const dump = parseIptablesSave(readFileSync(join(corpusDir(), file), 'utf8'));
      const rules = dump.tables.flatMap((t) => t.chains.filter((c) => c.name === chain).flatMap((c) => c.rules.map((r) => [t.name, r.text] as const)));
      expect(rules.length).toBeGreaterThan(0);
      for (const [table, text] of rules) expect(iptablesMeaning(table, chain, parseRule(text), ctx)).toMatchObject({ owner: 'manager', manager });
    }
  });
});

describe('every rule Docker writes is Docker\'s: moby\'s layouts from 20.10 to 29 and every captured host', () => {
  // The seed's second host, as the operators' notes left it: their cross-host recipe and a logging rule.
  const ADMINS = ['filter -A FORWARD -s 10.99.0.0/24 -j ACCEPT', 'filter -A DOCKER-USER -s 10.99.0.0/24 -j LOG', 'filter -A DOCKER-USER -s 10.99.0.0/24 -d 192.168.200.0/24 -j ACCEPT'];

  it.each(mobyDumps().map((d) => [d.name, d.text]))('%s (rules alone, without Docker\'s API)', (_, text) => {
    const s = seedHost();
    s.docker = null;
    s.firewall = { ...s.firewall!, tables: parseIptablesSave(text).tables, tables6: null };
    const others = [...snapshotRules(s).meanings.byRule].filter(([, m]) => m.owner !== 'docker').map(([ref]) => `${ref.table} ${ref.text}`);
    expect(others.filter((x) => !ADMINS.includes(x))).toEqual([]);
  });

  const captured = ['examples/seed-host.json', ...readdirSync(CAPTURED, { recursive: true }).map(String).filter((f) => /^(reach|ipv6|moby-topology|attach)\/[^/]+\.json$/.test(f) && !f.includes('ip-')).map((f) => `test/fixtures/captured/${f}`)];
  it.each(captured)('%s (with Docker\'s API)', (file) => {
    const s = parseSnapshot(JSON.parse(readFileSync(join(REPO, file), 'utf8')));
    const m = snapshotRules(s).meanings.byRule;
    expect(m.size).toBeGreaterThan(10);
    expect([...m].filter(([, x]) => x.owner !== 'docker').map(([ref]) => ref.text)).toEqual([]);
  });
});
