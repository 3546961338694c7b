// Docker's embedded DNS on snapshots captured in the lab (test/fixtures/captured/dns: dockerd 20.10's iptables resolver
// rules, one container's rewritten as Docker 29's `ip docker-dns`, a --dns override, the default bridge, a DOCKER-USER
// drop of the forwarder) and on the seed snapshot, which predates the DNS collector.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { resolveContainer } from '../../../rules/query/resolve.js';
import { upstreamServers } from '../../../rules/dns/upstreams.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { WhyAnswer } from '../../../snapshot/contract.js';
import { CAPTURED } from '../fixtures.js';
import { seedHost } from '../derive.js';

const load = (name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'dns', `${name}.json`), 'utf8')));
const dns53 = (proto: 'udp' | 'tcp') => parseFlow(`53/${proto}`);
const ping = parseFlow(undefined);

describe('127.0.0.11:53 from a container (dns1)', () => {
  const s = load('dns1');
  const world = buildWorld([s]);
  const resolverSocket = (name: string, proto: 'udp' | 'tcp') => {
    const c = s.docker!.containers.find((x) => x.name === name)!;
    return s.sockets!.sandboxes.find((x) => x.containerId === c.id)!.sockets.find((k) => k.proto === proto && k.address === '127.0.0.11')!;
  };

  it.each([
    ['a1', 'udp', 'nat', 'DOCKER_OUTPUT'],
    ['a1', 'tcp', 'nat', 'DOCKER_OUTPUT'],
    ['ab', 'udp', 'nat', 'DOCKER_OUTPUT'],
    // Docker 29's nftables backend: the same redirect from `table ip docker-dns`.
    ['n1', 'udp', 'docker-dns', 'dns-dnat'],
    ['n1', 'tcp', 'docker-dns', 'dns-dnat'],
  ] as const)('%s over %s: redirected by %s %s to dockerd\'s socket, and the answer comes back from :53', (from, proto, table, chain) => {
    const a = why(world, from, '127.0.0.11', dns53(proto));
    expect(a.verdict).toBe('reachable');
    const x = a.addresses[0]!;
    expect(x.decidedBy).toMatchObject({ kind: 'rule', table, chain, code: 'dns', owner: 'docker' });
    const sock = resolverSocket(from, proto);
    // The socket is dockerd's: no process of the container holds it.
    expect(sock.process).toBeNull();
    const steps = x.request.flatMap((h) => h.steps);
    expect(steps).toContainEqual(expect.objectContaining({ type: 'nat', kind: 'DNAT', from: '127.0.0.11:53', to: `127.0.0.11:${sock.port}` }));
    expect(steps).toContainEqual(expect.objectContaining({ type: 'socket', result: 'listening', socket: `127.0.0.11:${sock.port}`, process: null }));
    expect(x.reply.flatMap((h) => h.steps)).toContainEqual(expect.objectContaining({ type: 'nat', kind: 'un-DNAT', from: `127.0.0.11:${sock.port}`, to: '127.0.0.11:53' }));
    expect(a.dns.resolver).toMatchObject({ verdict: 'reachable', socket: `127.0.0.11:${sock.port}` });
    expect(WhyAnswer.safeParse(a).success).toBe(true);
  });

  it('on the default bridge nothing redirects it: nothing listens on 127.0.0.11:53 there', () => {
    const a = why(world, 'c0', '127.0.0.11', dns53('udp'));
    expect(a.verdict).toBe('blocked');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'socket', code: 'nothing-listens', address: '127.0.0.11', port: 53 });
    expect(a.dns.steps[0]).toMatchObject({ kind: 'resolv-conf', verdict: 'blocked' });
    // The advice is Docker's: its resolver exists only on user-defined networks.
    expect(a.dns.note).toMatch(/docker network connect app c0\)$/);
  });

  it('says where dockerd forwards what it does not know: 20.10 queries the host\'s non-loopback server from the container, and this host has no route', () => {
    const a = why(world, 'a1', '127.0.0.11', dns53('udp'));
    expect(a.dns.upstreams).toEqual([expect.objectContaining({ address: '10.255.255.53', from: 'container', source: 'host-resolv-conf', verdict: 'blocked' })]);
    expect(a.dns.upstreams[0]!.reason).toMatch(/no route to 10\.255\.255\.53/);
    expect(a.dns.steps.map((x) => [x.kind, x.verdict])).toEqual([['resolv-conf', 'reachable'], ['resolver', 'reachable'], ['answer', 'reachable'], ['forward', 'blocked']]);
  });

  it('--dns 127.0.0.1 is queried from the container\'s own loopback, where nothing listens', () => {
    const dnsx = resolveContainer(world, 'dnsx');
    expect(upstreamServers(dnsx)).toEqual([{ address: '127.0.0.1', from: 'container', source: 'dns-option' }]);
    const a = why(world, 'dnsx', '127.0.0.11', dns53('udp'));
    expect(a.dns.upstreams[0]).toMatchObject({ address: '127.0.0.1', verdict: 'blocked' });
    expect(a.dns.upstreams[0]!.reason).toMatch(/nothing listens on 127\.0\.0\.1:53\/udp in dnsx/);
  });
});

describe('names by way of Docker\'s resolver (dns1)', () => {
  const world = buildWorld([load('dns1')]);
  it.each([
    // A name, an alias, a container on the second network of a container on two, the nftables resolver.
    ['a1', 'a2', true, 'net-a'],
    ['a1', 'cache', true, 'net-a'],
    ['ab', 'b1', true, 'net-b'],
    ['n1', 'a1', true, 'net-a'],
    ['a1', 'b1', false, null],
    ['c0', 'c1', false, null],
  ] as const)('%s → %s resolves: %s', (from, to, resolves, network) => {
    const a = why(world, from, to, ping);
    expect(a.dns.resolves).toBe(resolves);
    expect(a.dns.network).toBe(network);
    if (resolves) {
      const b = resolveContainer(world, to);
      expect(a.dns.addresses).toEqual(b.endpoints.filter((e) => e.network?.name === network).map((e) => e.ipText));
      expect(a.dns.resolver).toMatchObject({ verdict: 'reachable' });
      expect(a.dns.steps.map((x) => x.kind)).toEqual(['resolv-conf', 'resolver', 'answer']);
    }
  });

  it('the default bridge: resolv.conf names the host\'s server, not 127.0.0.11, and no resolver is walked', () => {
    const a = why(world, 'c0', 'c1', ping);
    expect(a.dns.resolver).toBeNull();
    expect(a.dns.steps.at(-1)).toMatchObject({ kind: 'answer', verdict: 'blocked' });
    expect(a.dns.steps[0]!.text).toMatch(/10\.255\.255\.53/);
  });
});

/** The seed as a netdiag from before the dns collector wrote it: the same host, its dns part absent (null). */
const withoutDns = () => ({ ...seedHost(), dns: null });

describe('a snapshot from before the DNS collector (the seed, its dns part absent)', () => {
  const world = buildWorld([withoutDns()]);
  it('127.0.0.11:53 is unknown, naming the container\'s DNS rules as not collected', () => {
    const a = why(world, 'redis-1', '127.0.0.11', dns53('udp'));
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'missing-data', missing: 'dns-rules' });
    expect(a.addresses[0]!.decidedBy!.reason).toMatch(/^the container's DNS rules were not collected/);
    expect(a.dns.steps.find((x) => x.kind === 'forward')).toMatchObject({ verdict: 'unknown' });
  });

  it('a name keeps what Docker\'s DNS would answer (resolves), with the way to the resolver unknown and said', () => {
    const a = why(world, 'redis-1', 'redis-2', ping);
    expect(a.dns).toMatchObject({ resolves: true, via: 'embedded-dns', network: 'net-redis' });
    expect(a.dns.resolver).toMatchObject({ verdict: 'unknown' });
    expect(a.dns.note).toMatch(/the way to Docker's resolver is unknown/);
  });
});

describe('doctor on DNS', () => {
  it('dns1: the default bridge without names, and the forwarder with no route or nothing listening', () => {
    const f = doctorAll([load('dns1')]);
    const dns = f.filter((x) => x.code.startsWith('dns-'));
    expect(dns.map((x) => x.code).sort()).toEqual(['dns-default-bridge', 'dns-upstream-unreachable', 'dns-upstream-unreachable', 'dns-upstream-unreachable']);
    // The default bridge's containers ask their resolv.conf's server themselves: the same missing route, said for them.
    expect(dns.find((x) => x.title.startsWith('containers on the default bridge'))!.evidence).toContain('containers: c0, c1');
    const bridge = dns.find((x) => x.code === 'dns-default-bridge')!;
    expect(bridge.title).toMatch(/^c0, c1 are on the default bridge/);
    expect(bridge.fix).toMatch(/docker network connect app c0/);
    const noRoute = dns.find((x) => x.code === 'dns-upstream-unreachable' && x.title.startsWith("Docker's DNS forwarder") && x.evidence.some((e) => e.includes('10.255.255.53')))!;
    expect(noRoute.evidence).toContain('containers: a1, a2, ab, b1, n1');
    expect(noRoute.fix).toMatch(/^dns1 has no route to 10\.255\.255\.53/);
    const override = dns.find((x) => x.code === 'dns-upstream-unreachable' && x.evidence.includes('containers: dnsx'))!;
    expect(override.fix).toMatch(/--dns 127\.0\.0\.1/);
  });

  it('dns2: an administrator\'s DOCKER-USER drop of port 53 stops the forwarder, and the fix accepts it before that rule', () => {
    const f = doctorAll([load('dns2')]).filter((x) => x.code.startsWith('dns-'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'dns-upstream-unreachable', severity: 'error' });
    expect(f[0]!.evidence[0]).toMatch(/filter DOCKER-USER rule 2 drops it/);
    expect(f[0]!.fix).toMatch(/^let the forwarder's queries through before filter DOCKER-USER rule 2: iptables -I DOCKER-USER -s 172\.18\.0\.0\/16 -d 10\.255\.255\.53 -p udp --dport 53 -j ACCEPT/);
  });

  it('the seed without its dns part (no DNS collected): no DNS finding is guessed', () => {
    // Said as not checked (info), never a finding guessed.
    expect(doctorAll([withoutDns()]).filter((x) => x.code.startsWith('dns-')).map((x) => [x.code, x.severity])).toEqual([['dns-not-collected', 'info']]);
  });
});

// moby's upstream rules (sandbox_dns_unix.go, internal/resolvconf) on dns1 derived in code: the host's resolv.conf and
// Docker's version changed, everything else as captured. The lab host has no resolver and no default route.
describe('where dockerd forwards, by its version and the host\'s files (dns1 derived)', () => {
  const derived = (nameservers: string[], version = '20.10.24+dfsg1', systemd: string[] | null = null) => {
    const s = load('dns1');
    s.dns!.host.resolvConf = { path: '/etc/resolv.conf', nameservers, search: [], options: [] };
    s.dns!.host.systemdResolvConf = systemd && { path: '/run/systemd/resolve/resolv.conf', nameservers: systemd, search: [], options: [] };
    s.docker!.version = version;
    return s;
  };
  const servers = (s: ReturnType<typeof load>, name = 'a1') => upstreamServers(resolveContainer(buildWorld([s]), name));

  it('20.10: a loopback server (systemd-resolved\'s stub without its file) is queried from the host\'s namespace, where nothing listens on it', () => {
    const s = derived(['127.0.0.53']);
    expect(servers(s)).toEqual([{ address: '127.0.0.53', from: 'host', source: 'host-resolv-conf' }]);
    const f = doctorAll([s]).find((x) => x.code === 'dns-upstream-unreachable' && x.title.startsWith("Docker's DNS forwarder"))!;
    expect(f.evidence[0]).toMatch(/^127\.0\.0\.53 \(host-resolv-conf, queried from the host's namespace\): from dns1's namespace: nothing listens on 127\.0\.0\.53:53\/udp/);
    expect(f.fix).toMatch(/start the resolver there \(systemd-resolved for 127\.0\.0\.53\)/);
  });

  it('only the stub listed and systemd-resolved\'s file present: the embedded resolver still queries the stub, from the host\'s namespace (dockerd reads /etc/resolv.conf for user networks)', () => {
    expect(servers(derived(['127.0.0.53'], '20.10.24', ['10.255.255.53']))).toEqual([{ address: '127.0.0.53', from: 'host', source: 'host-resolv-conf' }]);
  });

  it('from 28.0 every server of the host\'s files is queried from the host\'s namespace', () => {
    expect(servers(derived(['10.255.255.53'], '28.0.1'))).toEqual([{ address: '10.255.255.53', from: 'host', source: 'host-resolv-conf' }]);
  });

  it('20.10 with no nameserver: Google\'s fallback from the container\'s namespace, said by doctor', () => {
    const s = derived([]);
    expect(servers(s)).toEqual([{ address: '8.8.8.8', from: 'container', source: 'default' }, { address: '8.8.4.4', from: 'container', source: 'default' }]);
    expect(doctorAll([s]).map((x) => x.code)).toContain('dns-default-upstream');
  });

  it('28.0 with no nameserver: no upstream at all, an error', () => {
    const s = derived([], '28.2.2');
    expect(servers(s)).toEqual([]);
    const f = doctorAll([s]).find((x) => x.code === 'dns-no-upstream')!;
    expect(f).toMatchObject({ severity: 'error' });
    expect(f.evidence).toContain('/etc/resolv.conf: no nameserver');
  });

  it('20.10 reads IPv4 servers only; --dns always wins, from the container', () => {
    expect(servers(derived(['fd00::53', '10.255.255.53']))).toEqual([{ address: '10.255.255.53', from: 'container', source: 'host-resolv-conf' }]);
    expect(servers(derived(['10.255.255.53']), 'dnsx')).toEqual([{ address: '127.0.0.1', from: 'container', source: 'dns-option' }]);
  });
});
