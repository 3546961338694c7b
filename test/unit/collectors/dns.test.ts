// The dns collector replayed from its own lab recording (dns1: dockerd 20.10, one container's resolver NAT rewritten as
// Docker 29's `ip docker-dns`): what it reads per container and on the host, and a namespace gone mid-collection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { parseResolvConf } from '../../../collectors/resolv-conf.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { CAPTURED, seedFailures } from '../fixtures.js';

const rec = Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'dns/dns1.recording.json'), 'utf8')));
const captured = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'dns/dns1.json'), 'utf8')));
const collect = (r: Recording) => collectSnapshot({ hostName: 'dns1', context: replayContext(r), now: () => new Date('2026-12-04T00:00:00Z') });

describe('dns collector (replayed)', async () => {
  const s = await collect(rec);
  const byName = (name: string) => s.dns!.sandboxes.find((x) => x.containerId === s.docker!.containers.find((c) => c.name === name)!.id)!;

  it('reads what the same collection wrote to dns1.json, with no errors', () => {
    expect(s.collectors.dns?.status).toBe('ok');
    expect(s.errors).toEqual([]);
    expect(s.dns).toEqual(captured.dns);
  });

  it('reads the host\'s resolv.conf and notes the absent systemd-resolved file', () => {
    expect(s.dns!.host.resolvConf).toMatchObject({ path: '/etc/resolv.conf', nameservers: ['10.255.255.53'] });
    expect(s.dns!.host.systemdResolvConf).toBeNull();
  });

  it('per container: resolv.conf from Docker\'s ResolvConfPath, --dns, and the resolver NAT of its namespace', () => {
    expect(byName('a1').resolvConf).toMatchObject({ nameservers: ['127.0.0.11'], options: ['ndots:0'] });
    expect(byName('a1').nat!.find((t) => t.name === 'nat')!.chains.map((c) => c.name)).toEqual(expect.arrayContaining(['DOCKER_OUTPUT', 'DOCKER_POSTROUTING']));
    expect(byName('a1').nft).toBeNull();
    expect(byName('dnsx').dnsServers).toEqual(['127.0.0.1']);
    // The default bridge: the host's server, no resolver rules, and no nft read (the iptables nat table is empty there, but resolv.conf does not name 127.0.0.11).
    expect(byName('c0').resolvConf!.nameservers).toEqual(['10.255.255.53']);
    expect(byName('c0').nft).toBeNull();
  });

  it('reads Docker 29\'s ip docker-dns table where the iptables nat table is empty and resolv.conf names 127.0.0.11', () => {
    const n1 = byName('n1');
    expect(n1.nat!.flatMap((t) => t.chains.flatMap((c) => c.rules))).toEqual([]);
    expect(n1.nft!.chains.map((c) => [c.name, c.hook, c.type])).toEqual([['dns-dnat', 'output', 'nat'], ['dns-snat', 'postrouting', 'nat']]);
    const keys = Object.keys(rec.commands).filter((k) => k.includes(' nft -j list table ip docker-dns'));
    // Only n1's namespace was asked: the nft process is spent where iptables holds no resolver rules.
    expect(keys).toHaveLength(1);
  });

  it('a namespace gone mid-collection: that container\'s DNS rules are an error entry and its 127.0.0.11 answer says they could not be read', async () => {
    const a1 = s.docker!.containers.find((c) => c.name === 'a1')!;
    const copy = structuredClone(rec);
    const key = Object.keys(copy.commands).find((k) => k.startsWith(`nsenter --net=${a1.sandboxKey} iptables-save`))!;
    copy.commands[key] = seedFailures().nsenterVanishedSandbox;
    const t = await collect(copy);
    expect(t.collectors.dns?.status).toBe('partial');
    expect(t.errors.filter((e) => e.collector === 'dns')).toEqual([expect.objectContaining({ subject: 'a1', message: expect.stringMatching(/^container a1 stopped during collection/) })]);
    const answer = why(buildWorld([t]), 'a1', '127.0.0.11', parseFlow('53/udp'));
    expect(answer.verdict).toBe('unknown');
    expect(answer.addresses[0]!.decidedBy).toMatchObject({ kind: 'missing-data', missing: 'dns-rules' });
    expect(answer.addresses[0]!.decidedBy!.reason).toMatch(/could not be read/);
  });

  it('parses resolv.conf as moby does: nameservers in order, the last search, options accumulated', () => {
    const text = rec.files['/etc/resolv.conf']!;
    expect(parseResolvConf('/etc/resolv.conf', text).nameservers).toEqual(['10.255.255.53']);
    const docker = Object.entries(rec.files).find(([p, v]) => p.endsWith('/resolv.conf') && v?.includes('127.0.0.11'))![1]!;
    expect(parseResolvConf('x', docker)).toEqual({ path: 'x', nameservers: ['127.0.0.11'], search: [], options: ['ndots:0'] });
  });
});
