// Issue 29: Docker's rules wiped while dockerd runs, on lab-captured hosts (test/lab/capture.ts "capture wiped hosts"):
// firewalld started after dockerd, `iptables -t nat -F`, `nft flush ruleset`, and Docker 29's nftables backend before
// and after a flush. doctor names the missing rules per network and port and the cause; why says it in one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../../rules/doctor/doctor.js';
import { expectedBackends, missingDockerRules } from '../../../rules/doctor/docker-rules.js';
import { missingWords } from '../../../rules/doctor/wiped.js';
import { snapshotRules } from '../../../rules/meaning/host.js';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { nftBackendHost } from '../derive.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { adviseFixes } from '../../../rules/changes/fixes.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, mobyDir, REPO } from '../fixtures.js';

const host = (name: string): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'wiped', `${name}.json`), 'utf8')));
const wiped = (s: HostSnapshot) => doctor(s).find((f) => f.code === 'docker-rules-missing');
const http = { proto: 'tcp' as const, port: 80 };

const DOCKER0_ALL = 'network bridge on docker0: no isolation, no forward accepts, no MASQUERADE';
const REDIS_ALL = /^network net-redis on br-[0-9a-f]{12}: no isolation, no forward accepts, no MASQUERADE, no DNAT for 8080\/tcp \(redis-2 0\.0\.0\.0:8080->80\/tcp\)$/;

describe('firewalld started after dockerd (Docker 20.10, iptables-nft)', () => {
  const s = host('fw-after');
  it('the backend is told by the version: Docker\'s own rules, the usual evidence, are gone', () => {
    expect(expectedBackends(s)).toEqual({ backends: ['iptables'], basis: 'version' });
  });
  it('names every rule Docker writes for both networks and redis-2\'s port, and firewalld as the cause', () => {
    const f = wiped(s)!;
    expect(f.severity).toBe('error');
    expect(f.title).toMatch(/^Docker's iptables rules are missing for bridge, net-redis: .*\(firewalld removed them\)/);
    expect(f.evidence[0]).toBe(DOCKER0_ALL);
    expect(f.evidence[1]).toMatch(REDIS_ALL);
    expect(f.evidence).toContain('Docker 20.10.24+dfsg1 writes its rules with iptables (its nftables backend came later)');
    expect(f.evidence.find((e) => e.startsWith("firewalld's table inet firewalld"))).toMatch(/^firewalld's table inet firewalld \(handle (\d+)\) was created after ip filter \(handle 2\) that Docker's rules were in: firewalld started or reloaded after Docker$/);
    expect(f.evidence).toContain("iptables' nat table holds no rule at all");
    expect(f.evidence).toContain("iptables' filter table holds no rule at all");
    expect(f.evidence.some((e) => e.startsWith("filter FORWARD policy DROP (Docker sets it when it turns forwarding on) with none of Docker's chains left"))).toBe(true);
    expect(f.fix).toMatch(/^restart dockerd .*; from then on start firewalld before Docker/);
  });
  it('firewalld\'s forward drop is still reported, but its trusted-zone advice waits for Docker\'s rules', () => {
    const f = doctor(s).find((x) => x.code === 'foreign-forward-drop')!;
    expect(f.fix).toMatch(/^first bring Docker's rules back \(docker-rules-missing: restart dockerd/);
    expect(f.fix).not.toMatch(/^put the Docker bridges in a trusted zone/);
  });
  it('why adds one line after the verdict, for the pair\'s networks only', () => {
    const w = buildWorld([s]);
    const a = why(w, 'alpine-01', 'redis-1', http);
    expect(a.verdict).toBe('blocked');
    expect(a.dockerRules).toEqual({ code: 'docker-rules-missing', host: 'fw-after', networks: [{ name: 'bridge', missing: ['isolation', 'forward accepts', 'MASQUERADE'] }, { name: 'net-redis', missing: ['isolation', 'forward accepts', 'MASQUERADE', 'DNAT for 8080/tcp'] }] });
    // Two containers of one network: only that network is named.
    expect(why(w, 'redis-1', 'redis-2', http).dockerRules?.networks.map((n) => n.name)).toEqual(['net-redis']);
  });
});

describe('iptables -t nat -F (Docker 20.10)', () => {
  it('only what lived in nat is missing: MASQUERADE per network, DNAT per published port', () => {
    const s = host('nat-flushed');
    expect(expectedBackends(s).basis).toBe('rules');
    const f = wiped(s)!;
    expect(f.evidence[0]).toBe('network bridge on docker0: no MASQUERADE');
    expect(f.evidence[1]).toMatch(/^network net-redis on br-[0-9a-f]{12}: no MASQUERADE, no DNAT for 8080\/tcp \(redis-2 0\.0\.0\.0:8080->80\/tcp\)$/);
    expect(f.evidence).toContain("iptables' nat table holds no rule at all");
    expect(f.title).not.toMatch(/removed them\)/);
  });
});

describe('nft flush ruleset (Docker 20.10)', () => {
  it('every rule is missing, and the tables themselves are gone', () => {
    const f = wiped(host('flushed'))!;
    expect(f.evidence[0]).toBe(DOCKER0_ALL);
    expect(f.evidence[1]).toMatch(REDIS_ALL);
    expect(f.evidence).toContain('iptables has no nat table at all (a flush of the whole ruleset removes it)');
    expect(f.evidence).toContain('iptables has no filter table at all (a flush of the whole ruleset removes it)');
  });
});

describe('Docker 29\'s nftables backend (its docker-bridges table over the lab\'s dockerd)', () => {
  it('with its table in place nothing is missing: each network\'s isolation, accepts, MASQUERADE and the DNAT are in ip docker-bridges', () => {
    const s = host('nft29');
    expect(expectedBackends(s)).toEqual({ backends: ['nftables'], basis: 'rules' });
    expect(wiped(s)).toBeUndefined();
  });
  it('after nft flush ruleset every rule is named missing', () => {
    const f = wiped(host('nft29-flushed'))!;
    expect(f.evidence[0]).toBe(DOCKER0_ALL);
    expect(f.evidence[1]).toMatch(REDIS_ALL);
  });
});

describe('a host with Docker\'s rules in place', () => {
  it('the seed host: no finding, and why adds no line', () => {
    const s = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
    expect(wiped(s)).toBeUndefined();
    const a = why(buildWorld([s]), 'alpine-01', 'redis-1', http);
    expect(a.verdict).toBe('blocked');
    expect(a.dockerRules).toBeUndefined();
  });
});

// moby's own dumps for Docker 20.10–29 (iptables and the nftables backend) over the captured moby topology (bridge1 with
// c1 -p 8080:80, c0 on docker0): where the dump's scenario is the topology's, every expected rule is found — the
// layouts' DOCKER_WRITES hold for each version's layout, not only 20.10's.
describe('what Docker writes, found in each version\'s own layout', () => {
  const base = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'moby-topology/docker.json'), 'utf8')));
  const iptablesHost = (file: string, v: string) => {
    const s = structuredClone(base);
    s.firewall = { backend: 'nf_tables', version: null, tables: parseIptablesSave(readFileSync(join(mobyDir(), file), 'utf8')).tables, otherBackend: null, findings: [] };
    s.docker!.version = v;
    return s;
  };
  const same = ['user-defined-bridge', 'user-defined-bridge-noicc', 'user-defined-bridge-noproxy'];
  const iptables = [...['20', '27', '28', '29'].flatMap((v) => same.map((x) => [`docker${v}-${x}.iptables.txt`, `${v}.0.0`])), ['docker28.0.0-user-defined-bridge.iptables.txt', '28.0.0'], ['docker28.1-user-defined-bridge.iptables.txt', '28.1.0'], ['docker28-publish-loopback.iptables.txt', '28.0.0'], ['docker29-publish-loopback.iptables.txt', '29.0.0']];
  it.each(iptables)('%s: nothing missing', (file, v) => {
    const s = iptablesHost(file, v);
    expect(missingDockerRules(s, snapshotRules(s)).missing).toEqual([]);
  });
  it.each([...same, 'publish-loopback'].map((x) => `docker29-${x}.nft.json`))('%s (nftables backend): nothing missing', (file) => {
    const s = nftBackendHost(file);
    expect(missingDockerRules(s, snapshotRules(s))).toEqual({ missing: [], backends: ['nftables'], basis: 'rules' });
  });
  it('a routed network (gateway mode routed, 28+) is neither masqueraded nor DNATed: only a nat network\'s scenario expects them', () => {
    for (const [file, v] of [['docker28-gateway-routed.iptables.txt', '28.0.0'], ['docker29-gateway-routed.iptables.txt', '29.0.0']] as const) {
      const s = iptablesHost(file, v);
      expect(missingDockerRules(s, snapshotRules(s)).missing.map((m) => missingWords(m))).toEqual([['MASQUERADE', 'DNAT for 8080/tcp']]);
      s.docker!.networks.find((n) => n.name === 'bridge1')!.gatewayModeIpv4 = 'routed';
      expect(missingDockerRules(s, snapshotRules(s)).missing).toEqual([]);
    }
  });
  it('the same dump on a Docker that cannot have written it: its rules are still read where they are (the rules tell the backend)', () => {
    const s = iptablesHost('docker20-user-defined-bridge.iptables.txt', '29.0.0');
    expect(expectedBackends(s)).toEqual({ backends: ['iptables'], basis: 'rules' });
  });
});

describe('the backend that cannot be told', () => {
  it('a Docker 29 that does not report its backend, with nothing of its rules left: both layouts are checked, the rules named missing on either', () => {
    const s = host('nft29-flushed');
    s.docker!.version = '29.0.0';
    expect(expectedBackends(s)).toEqual({ backends: ['iptables', 'nftables'], basis: 'unknown' });
    const f = wiped(s)!;
    expect(f.title).toMatch(/^Docker's rules \(on either backend\) are missing for bridge, net-redis/);
    expect(f.evidence[0]).toBe(DOCKER0_ALL);
    expect(f.evidence).toContain('no table ip docker-bridges');
  });
});

describe('why\'s check reads only the pair\'s rules, and finds what doctor finds', () => {
  it.each(['fw-after', 'nat-flushed', 'flushed', 'nft29', 'nft29-flushed'])('%s', (name) => {
    const s = host(name);
    const full = missingDockerRules(s, snapshotRules(s)).missing.map((m) => [m.network.name, missingWords(m)]);
    const w = buildWorld([s]);
    const a = why(w, 'alpine-01', 'redis-2', { proto: 'tcp', port: 80 });
    const pair = a.dockerRules?.networks.map((n) => [n.name, n.missing]) ?? [];
    // Blocked (the FORWARD policy) or, with every rule flushed, reachable where Docker would isolate: said either way.
    expect(a.verdict).toBe(name === 'flushed' || name === 'nft29-flushed' ? 'reachable' : 'blocked');
    expect(pair).toEqual(full);
  });
});

describe('rules that were not collected', () => {
  it('are never called missing: without iptables-save\'s tables (or nft\'s, when that backend may be Docker\'s) nothing is said', () => {
    const a = host('fw-after');
    a.firewall = null;
    expect(wiped(a)).toBeUndefined();
    const b = host('nft29-flushed');
    b.docker!.version = '29.0.0';
    b.nftables = null;
    expect(wiped(b)).toBeUndefined();
  });
});

describe('fix on a host whose Docker rules are gone', () => {
  it('offers the dockerd restart, not a rule for one path among the ruins (firewalld after dockerd, nat flushed)', () => {
    for (const name of ['fw-after', 'flushed']) {
      const world = buildWorld([host(name)]);
      const answer = why(world, 'alpine-01', 'redis-1', { proto: 'icmp', port: null });
      const advice = adviseFixes(world, answer, { proto: 'icmp', port: null });
      expect(advice, name).toMatchObject({ status: 'no-fix', fixes: [] });
      expect(advice.advice, name).toMatch(/are missing on .*\(docker-rules-missing\): restart dockerd/);
    }
  });

  it('a host with Docker\'s rules in place gets the usual advice', () => {
    const world = buildWorld([parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')))]);
    const answer = why(world, 'alpine-01', 'redis-1', { proto: 'icmp', port: null });
    expect(adviseFixes(world, answer, { proto: 'icmp', port: null }).advice ?? '').not.toMatch(/docker-rules-missing/);
  });
});
