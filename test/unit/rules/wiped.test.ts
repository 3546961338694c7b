// Issue 29: Docker's rules wiped while dockerd runs, on lab-captured hosts (test/lab/capture.ts "capture wiped hosts"):
// firewalld started after dockerd, `iptables -t nat -F`, `nft flush ruleset`, and Docker 29's nftables backend before
// and after a flush. doctor names the missing rules per network and port and the cause; why says it in one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../../rules/doctor/doctor.js';
import { expectedBackends } from '../../../rules/doctor/docker-rules.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

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
