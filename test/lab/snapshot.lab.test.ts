// Lab: `netdiag snapshot` run inside a real host namespace with a real dockerd, on the seed scenario.
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { Lab, NETDIAG_BIN, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { EXIT } from '../../cli/exit-codes.js';
import { collectSnapshot } from '../../collectors/run.js';
import { Recording, replayContext } from '../../collectors/recording.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

describe.skipIf(skip !== null)('snapshot of a real seed host', () => {
  let lab: Lab;
  let h: LabHost;
  let s: HostSnapshot;

  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab);
    const r = await h.netdiag(['snapshot', '--host-name', 'h1']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    s = parseSnapshot(JSON.parse(r.stdout));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('passes the schema with every collector ok', () => {
    expect(s.name).toBe('h1');
    expect(s.errors).toEqual([]);
    expect(Object.values(s.collectors).every((c) => c.status === 'ok')).toBe(true);
    expect(s.docker!.version).toMatch(/^20\.10\./);
  });

  it('holds both bridges, and every endpoint on the right bridge through its veth', async () => {
    const redisNet = s.docker!.networks.find((n) => n.name === 'net-redis')!;
    const bridges = s.links!.interfaces.filter((i) => i.kind === 'bridge').map((i) => i.name).sort();
    expect(bridges).toEqual([redisNet.bridge, 'docker0'].sort());
    const expected: Record<string, string> = { 'alpine-01': 'docker0', 'redis-1': redisNet.bridge!, 'redis-2': redisNet.bridge! };
    for (const [name, bridge] of Object.entries(expected)) {
      const c = s.docker!.containers.find((x) => x.name === name)!;
      const [eth0] = s.links!.sandboxes.find((x) => x.containerId === c.id)!.interfaces;
      expect(eth0!.bridge).toBe(bridge);
      expect(eth0!.addresses.map((a) => a.local)).toContain(c.endpoints[0]!.ip);
      // Cross-check with the kernel's own view of the veth: `ip -j link show <veth>` in the host namespace.
      const veth = JSON.parse(await h.mustExec('ip', ['-j', 'link', 'show', eth0!.hostVeth!.name]))[0];
      expect(veth.master).toBe(bridge);
      expect(veth.ifindex).toBe(eth0!.hostVeth!.ifindex);
    }
  });

  it('holds DOCKER-ISOLATION-STAGE-1/2, FORWARD policy DROP and ip_forward 1', () => {
    const filter = s.firewall!.tables.find((t) => t.name === 'filter')!;
    const br = s.docker!.networks.find((n) => n.name === 'net-redis')!.bridge;
    const rules = (c: string) => filter.chains.find((x) => x.name === c)?.rules.map((r) => r.text) ?? [];
    for (const b of [br, 'docker0']) {
      expect(rules('DOCKER-ISOLATION-STAGE-1')).toContain(`-A DOCKER-ISOLATION-STAGE-1 -i ${b} ! -o ${b} -j DOCKER-ISOLATION-STAGE-2`);
      expect(rules('DOCKER-ISOLATION-STAGE-2')).toContain(`-A DOCKER-ISOLATION-STAGE-2 -o ${b} -j DROP`);
    }
    expect(filter.chains.find((c) => c.name === 'FORWARD')!.policy).toBe('DROP');
    expect(s.sysctls!.values['net.ipv4.ip_forward']).toBe('1');
    expect(s.firewall!.backend).toBe('nf_tables');
  });

  it('writes --out atomically, and says clearly when it cannot', async () => {
    const out = join(h.dir, 'snap.json');
    const ok = await h.netdiag(['snapshot', '--out', out, '--host-name', 'h1']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('');
    const bad = await h.netdiag(['snapshot', '--out', '/nonexistent-dir/snap.json']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('netdiag: cannot write /nonexistent-dir/snap.json: no such file or directory\n');
  });

  it('without privileges: a partial snapshot, one clear line per problem, no stack trace', async () => {
    // Root without capabilities (what a container without NET_ADMIN gets), and a Docker socket it may not open.
    const { uid, gid, mode } = await stat(h.socket);
    await chown(h.socket, 65534, 65534);
    await chmod(h.socket, 0o600);
    try {
      const r = await h.exec('setpriv', ['--bounding-set=-all', '--inh-caps=-all', 'env', `DOCKER_HOST=unix://${h.socket}`, process.execPath, NETDIAG_BIN, 'snapshot']);
      // Written, and said to be partial (4), not 0 as if every part had been read.
      expect(r.exitCode).toBe(EXIT.partial);
      const part = parseSnapshot(JSON.parse(r.stdout));
      expect(part.collectors.firewall.status).toBe('failed');
      expect(part.collectors.docker.status).toBe('failed');
      expect(part.collectors.sysctls.status).toBe('ok');
      expect(part.links!.interfaces.length).toBeGreaterThan(0);
      expect(r.stderr).toContain('netdiag: firewall: iptables-save: permission denied — run netdiag as root');
      expect(r.stderr).toContain(`netdiag: docker: permission denied on the Docker socket unix://${h.socket}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await chown(h.socket, uid, gid);
      await chmod(h.socket, mode & 0o777);
    }
  });

  it('without iptables-save on PATH: the firewall part says which package to install', async () => {
    const bin = join(h.dir, 'bin-no-iptables');
    await mkdir(bin, { recursive: true });
    for (const t of ['ip', 'nsenter']) {
      const path = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, t)).find((p) => existsSync(p))!;
      await symlink(path, join(bin, t));
    }
    const r = await h.netdiag(['snapshot'], 60_000, { PATH: bin });
    expect(r.exitCode).toBe(EXIT.partial);
    expect(r.stderr).toContain('netdiag: firewall: iptables-save not found — install the iptables package');
    const part = parseSnapshot(JSON.parse(r.stdout));
    expect(part.collectors.links.status).toBe('ok');
    expect(part.links!.sandboxes).toHaveLength(3);
  });

  it('with the daemon down: docker fails with one line saying so, the host is still described', async () => {
    const r = await h.netdiag(['snapshot'], 60_000, { DOCKER_HOST: `unix://${h.dir}/no-such.sock` });
    expect(r.exitCode).toBe(EXIT.partial);
    expect(r.stderr).toContain(`netdiag: docker: Docker is not running or not installed: no socket at unix://${h.dir}/no-such.sock`);
    expect(parseSnapshot(JSON.parse(r.stdout)).firewall!.tables.length).toBeGreaterThan(0);
  });
});

describe.skipIf(skip !== null)('snapshot of containers in every network mode', () => {
  let lab: Lab;
  let s: HostSnapshot;
  let rec: Recording;

  beforeAll(async () => {
    lab = await Lab.create();
    const h = await lab.host('modes');
    await h.run('web');
    await Promise.all([h.run('hostnet', { network: 'host' }), h.run('nonet', { network: 'none' }), h.run('sidecar', { network: 'container:web' })]);
    const recFile = join(h.dir, 'modes.recording.json');
    const r = await h.netdiag(['snapshot', '--record', recFile]);
    expect(r.exitCode).toBe(0);
    s = parseSnapshot(JSON.parse(r.stdout));
    rec = Recording.parse(JSON.parse(await readFile(recFile, 'utf8')));
  });

  it('is the snapshot its collectors make when they ask for every read themselves (no read started early)', async () => {
    // `netdiag snapshot` starts the host's programs, Docker's reads and each small host's namespace reads before the
    // collectors load; the same answers asked late, in the collectors' own order, must make the same snapshot.
    const late = await collectSnapshot({ hostName: s.name, now: () => new Date(s.collectedAt), context: replayContext(rec) });
    const same = (x: HostSnapshot) => JSON.stringify({ ...x, durationMs: 0, collectors: Object.keys(x.collectors).sort() });
    expect(same(late)).toBe(same(s));
    // What was read early was asked for: the namespaces of web and nonet, not those host mode or container:web share.
    const entered = Object.keys(rec.commands).filter((c) => c.startsWith('nsenter ')).map((c) => c.split(' ')[1]);
    expect(new Set(entered).size).toBe(2);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('reads each mode without errors', () => {
    expect(s.errors).toEqual([]);
    const kinds = Object.fromEntries(s.docker!.containers.map((c) => [c.name, c.networkModeKind]));
    expect(kinds).toEqual({ hostnet: 'host', nonet: 'none', sidecar: 'container', web: 'bridge' });
  });

  it('reads a sandbox for bridge and none containers only: host and container:X share another namespace', () => {
    const id = (n: string) => s.docker!.containers.find((c) => c.name === n)!.id;
    const read = s.links!.sandboxes.map((x) => x.containerId);
    expect(read.sort()).toEqual([id('web'), id('nonet')].sort());
    expect(s.docker!.containers.find((c) => c.name === 'sidecar')!.sharesNetnsWith).toBe(id('web'));
    // none: only loopback, which is not listed as an endpoint interface.
    expect(s.links!.sandboxes.find((x) => x.containerId === id('nonet'))!.interfaces).toEqual([]);
  });
});
