// IPv6 on captured dual-stack hosts: what the collectors read, and doctor's IPv6 findings (lab: Docker 20.10 --ipv6).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { droppedByChain, networkReachability } from '../../../rules/metrics/host-counts.js';
import { doctor } from '../../../rules/doctor/doctor.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { eachPair } from '../../../rules/matrix/matrix.js';
import { buildHost, buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import type { MatrixPair } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

/** v6open: dockerd --ipv6 without ip6tables; v6tables: the same with --experimental --ip6tables. */
const captured = (name: 'v6open' | 'v6tables'): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'ipv6', `${name}.json`), 'utf8')));
const codes = (s: HostSnapshot) => doctor(s).map((f) => f.code);

describe('IPv6 collection on a real dual-stack host', () => {
  const s = captured('v6open');
  it('reads the containers\' IPv6 addresses, prefix and gateway from the Docker API', () => {
    const b4 = s.docker!.containers.find((c) => c.name === 'b4')!.endpoints[0]!;
    expect(b4.ipv6).toMatch(/^fd00:2::/);
    expect(b4.ipv6PrefixLen).toBe(64);
    expect(b4.ipv6Gateway).toBe('fd00:2::1');
    expect(s.docker!.networks.filter((n) => n.ipv6).map((n) => n.name).sort()).toEqual(['bridge', 'net6']);
  });
  it('reads IPv6 routes on the host and inside IPv6 containers, kept apart from IPv4 by family', () => {
    const host6 = s.routes!.routes.filter((r) => r.family === 'inet6');
    expect(host6.map((r) => r.dst)).toEqual(expect.arrayContaining(['fd00:1::/64', 'fd00:2::/64']));
    expect(s.routes!.routes.filter((r) => r.family === 'inet').every((r) => !r.dst.includes(':'))).toBe(true);
    const b4 = s.docker!.containers.find((c) => c.name === 'b4')!;
    const inside = s.routes!.sandboxes.find((x) => x.containerId === b4.id)!.routes;
    expect(inside.some((r) => r.family === 'inet6' && r.dst === '::/0' && r.gateway === 'fd00:2::1')).toBe(true);
    expect(inside.some((r) => r.family === 'inet' && r.dst === '0.0.0.0/0' && r.gateway === '172.30.0.1')).toBe(true);
    expect(inside.filter((r) => r.family === 'inet').every((r) => !r.dst.includes(':') && !(r.gateway ?? '').includes(':'))).toBe(true);
    const eth0 = s.links!.sandboxes.find((x) => x.containerId === b4.id)!.interfaces.find((i) => i.name === 'eth0')!;
    expect(eth0.addresses.map((a) => a.local)).toEqual(expect.arrayContaining(['172.30.0.2', 'fd00:2::2']));
  });
  it('reads the IPv6 forwarding and router-advertisement settings, per interface too', () => {
    expect(s.sysctls!.values['net.ipv6.conf.all.forwarding']).toBe('1');
    expect(s.sysctls!.values['net.ipv6.conf.docker0.accept_ra']).toMatch(/^[012]$/);
  });
  it('reads ip6tables: empty without --ip6tables, Docker\'s chains with it', () => {
    expect(s.firewall!.tables6).toEqual([]);
    const t = captured('v6tables').firewall!.tables6!;
    const chains = t.find((x) => x.name === 'filter')!.chains;
    expect(chains.map((c) => c.name)).toEqual(expect.arrayContaining(['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2']));
    expect(chains.find((c) => c.name === 'FORWARD')!.policy).toBe('DROP');
  });
});

describe('doctor on IPv6', () => {
  it('without ip6tables: the two IPv6 networks are not isolated, and every container port is open over IPv6', () => {
    const f = doctor(captured('v6open'));
    const iso = f.find((x) => x.code === 'ipv6-not-isolated')!;
    expect(iso.severity).toBe('error');
    expect(iso.title).toContain('bridge ↔ net6');
    expect(iso.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/^network net6 on br-.*fd00:2::\/64$/), 'net.ipv6.conf.all.forwarding = 1']));
    expect(iso.fix).toMatch(/"ip6tables": true/);
    expect(f.map((x) => x.code)).toContain('ipv6-unfiltered');
  });
  it('with ip6tables: none of it', () => {
    const c = codes(captured('v6tables'));
    expect(c).not.toContain('ipv6-not-isolated');
    expect(c).not.toContain('ipv6-unfiltered');
  });
  it('IPv6 forwarding off: the kernel forwards no IPv6 between bridges, so nothing to report', () => {
    const s = captured('v6open');
    s.sysctls!.values['net.ipv6.conf.all.forwarding'] = '0';
    expect(codes(s)).not.toContain('ipv6-not-isolated');
  });
  it('an operator\'s ip6tables FORWARD policy DROP closes it without Docker\'s chains', () => {
    const s = captured('v6open');
    s.firewall!.tables6 = captured('v6tables').firewall!.tables6!.map((t) => ({ ...t, chains: t.chains.filter((c) => !c.name.startsWith('DOCKER')).map((c) => ({ ...c, rules: [] })) }));
    expect(codes(s)).not.toContain('ipv6-not-isolated');
  });
  it('ip6tables unread (no permission): never guessed either way', () => {
    const s = captured('v6open');
    s.firewall!.tables6 = null;
    expect(codes(s).filter((c) => c.startsWith('ipv6'))).toEqual([]);
  });
  it('an IPv6 subnet the host does not route (IPv6 disabled on the bridge)', () => {
    const s = captured('v6tables');
    expect(codes(s)).not.toContain('ipv6-subnet-unrouted');
    const br = s.docker!.networks.find((n) => n.name === 'net6')!.bridge!;
    s.routes!.routes = s.routes!.routes.filter((r) => !(r.family === 'inet6' && r.dev === br));
    s.sysctls!.values[`net.ipv6.conf.${br}.disable_ipv6`] = '1';
    const f = doctor(s).find((x) => x.code === 'ipv6-subnet-unrouted')!;
    expect(f.title).toContain('fd00:2::/64');
    expect(f.evidence).toContain(`net.ipv6.conf.${br}.disable_ipv6 = 1`);
    expect(f.fix).toContain(`disable_ipv6=0`);
  });
  it('with ip6tables, a non-Docker bridge with a global IPv6 address under FORWARD DROP', () => {
    const s = captured('v6tables');
    expect(codes(s)).not.toContain('ip6-forward-drop-foreign-bridge');
    const docker0 = s.links!.interfaces.find((i) => i.name === 'docker0')!;
    s.links!.interfaces.push({ ...docker0, name: 'virbr0' });
    const f = doctor(s).find((x) => x.code === 'ip6-forward-drop-foreign-bridge')!;
    expect(f.title).toContain('virbr0');
    // Docker 20.10 makes no DOCKER-USER chain in ip6tables: the fix must not name one.
    expect(f.fix).toMatch(/ip6tables -I FORWARD -i virbr0 -j ACCEPT/);
  });
});

describe('why and matrix on a dual-stack host: every address of B, each family through its own rule set', () => {
  const ping = parseFlow(undefined);
  it('without ip6tables: IPv4 isolated by iptables, IPv6 reachable, and the summary says so in words', () => {
    const w = why(buildWorld([captured('v6open')]), 'b4', 'a4', ping);
    const [v4, v6] = w.addresses;
    expect(v4!.ip).toBe('172.17.0.2');
    expect(v4!.family).toBe('ipv4');
    expect(v4!.verdict).toBe('blocked');
    expect(v4!.decidedBy?.chain).toBe('DOCKER-ISOLATION-STAGE-2');
    expect(v4!.decidedBy?.ip6tables).toBeUndefined();
    expect(v6!.ip).toMatch(/^fd00:1::/);
    expect(v6!.family).toBe('ipv6');
    expect(v6!.source).toBe('fd00:2::2');
    expect(v6!.verdict).toBe('reachable');
    expect(w.verdict).toBe('reachable');
    expect(w.families).toEqual({ ipv4: 'blocked', ipv6: 'reachable' });
    expect(v4!.decidedBy?.code).toBe('isolation');
    // The families disagree, so there is a summary (its words are built from the two verdicts and the code above).
    expect(w.summary).not.toBeNull();
    // The walk crossed the host as IPv6: its forwarding switch, ICMPv6 echo, no IPv4 rule in the way.
    const steps = v6!.request.flatMap((h) => h.steps);
    expect(steps.some((x) => x.type === 'chain' && x.decidedBy !== null)).toBe(false);
  });
  it('with ip6tables: IPv6 is isolated too, decided by ip6tables and cited as such', () => {
    const w = why(buildWorld([captured('v6tables')]), 'b4', 'a4', ping);
    const v6 = w.addresses.find((a) => a.family === 'ipv6')!;
    expect(v6.verdict).toBe('blocked');
    expect(v6.decidedBy?.chain).toBe('DOCKER-ISOLATION-STAGE-2');
    expect(v6.decidedBy?.ip6tables).toBe(true);
    expect(v6.decidedBy).toMatchObject({ kind: 'rule', code: 'isolation', table: 'filter', index: expect.any(Number) });
    // Cited with the tool that lists it: "filter … rule N" alone would send the reader to iptables. The citation is the product.
    expect(v6.decidedBy?.reason).toMatch(/^ip6tables filter DOCKER-ISOLATION-STAGE-2 rule \d+ /);
    expect(w.families).toEqual({ ipv4: 'blocked', ipv6: 'blocked' });
    expect(w.summary).toBeNull();
  });
  it('-6 and -4 restrict the answer to one family', () => {
    const world = buildWorld([captured('v6open')]);
    expect(why(world, 'b4', 'a4', ping, [6]).addresses.map((a) => a.family)).toEqual(['ipv6']);
    expect(why(world, 'b4', 'a4', ping, [6]).verdict).toBe('reachable');
    expect(why(world, 'b4', 'a4', ping, [4]).verdict).toBe('blocked');
    expect(why(world, 'b4', 'a4', ping, [4]).summary).toBeNull();
  });
  it('ICMPv6 echo is protocol 58: an ip6tables rule for -p icmp does not match it, -p ipv6-icmp --icmpv6-type does', () => {
    // The ip6tables host's rule set with its isolation taken out: only the rules added here can decide.
    const s = captured('v6tables');
    const filter = s.firewall!.tables6!.find((t) => t.name === 'filter')!;
    const fwd = filter.chains.find((c) => c.name === 'FORWARD')!;
    fwd.rules = fwd.rules.filter((r) => !r.text.includes('ISOLATION'));
    fwd.rules.forEach((r, i) => (r.index = i + 1));
    fwd.rules.unshift({ index: 1, text: '-A FORWARD -p icmp -j DROP', packets: 0, bytes: 0 });
    fwd.rules.forEach((r, i) => (r.index = i + 1));
    expect(why(buildWorld([s]), 'b4', 'a4', ping, [6]).verdict).toBe('reachable');
    fwd.rules.unshift({ index: 1, text: '-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP', packets: 0, bytes: 0 });
    fwd.rules.forEach((r, i) => (r.index = i + 1));
    const w = why(buildWorld([s]), 'b4', 'a4', ping, [6]);
    expect(w.verdict).toBe('blocked');
    expect(w.addresses[0]!.decidedBy?.text).toContain('--icmpv6-type 128');
  });
  it('matrix: every address of both families, each with its verdict', () => {
    const pairs: MatrixPair[] = [];
    eachPair(buildWorld([captured('v6tables')]), ping, (p) => pairs.push({ ...p, addresses: [...p.addresses] }));
    const b4b5 = pairs.find((p) => p.from === 'b4' && p.to === 'b5')!;
    expect(b4b5.verdict).toBe('reachable');
    expect(b4b5.addresses.map((a) => [a.ip, a.verdict])).toEqual([['172.30.0.3', 'reachable'], ['fd00:2::3', 'reachable']]);
    const b4a4 = pairs.find((p) => p.from === 'b4' && p.to === 'a4')!;
    expect(b4a4.addresses.map((a) => a.verdict)).toEqual(['blocked', 'blocked']);
    const open: MatrixPair[] = [];
    eachPair(buildWorld([captured('v6open')]), ping, (p) => open.push({ ...p, addresses: [...p.addresses] }));
    expect(open.find((p) => p.from === 'b4' && p.to === 'a4')!.addresses.map((a) => a.verdict)).toEqual(['blocked', 'reachable']);
  });
  it('an IPv4-only namespace answers as before: no IPv6 entries at all', () => {
    const s = captured('v6open');
    for (const c of s.docker!.containers) for (const e of c.endpoints) e.ipv6 = null;
    for (const sb of s.links!.sandboxes) for (const i of sb.interfaces) i.addresses = i.addresses.filter((a) => a.family === 'inet');
    const w = why(buildWorld([s]), 'b4', 'a4', ping);
    expect(w.addresses.map((a) => a.verdict)).toEqual(['blocked']);
    expect(w.families).toEqual({ ipv4: 'blocked', ipv6: null });
  });
});

describe('metrics on a dual-stack host: a family label where the series means something different per family', () => {
  it('network reachability per family: isolated over IPv4, open over IPv6 without ip6tables', () => {
    const open = [...networkReachability(buildWorld([captured('v6open')])).values()];
    const pick = (rows: typeof open, family: string) => rows.find((r) => r.from === 'net6' && r.to === 'bridge' && r.family === family);
    expect(pick(open, 'ipv4')).toMatchObject({ reachable: 0, total: 2 });
    expect(pick(open, 'ipv6')).toMatchObject({ reachable: 2, total: 2 });
    const closed = [...networkReachability(buildWorld([captured('v6tables')])).values()];
    expect(pick(closed, 'ipv6')).toMatchObject({ reachable: 0, total: 2 });
  });
  it('drop counters come from iptables and ip6tables each under its own family', () => {
    const chains = [...droppedByChain(buildHost(captured('v6tables'))).values()].map((v) => `${v.family} ${v.chain}`);
    expect(chains).toContain('ipv4 DOCKER-ISOLATION-STAGE-2');
    expect(chains).toContain('ipv6 DOCKER-ISOLATION-STAGE-2');
  });
});
