// Collection under failure: each problem becomes a clear error entry in a partial snapshot, never a crash.
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../../collectors/run.js';
import { dockerSource } from '../../../host/docker.js';
import { replayContext } from '../../../collectors/recording.js';
import type { Recording } from '../../../collectors/recording.js';
import { replay, seedFailures, seedRecording } from '../fixtures.js';

function withCommand(rec: Recording, match: (key: string) => boolean, result: { stdout: string; stderr: string; exitCode: number }, only = false): Recording {
  const copy = structuredClone(rec);
  const keys = Object.keys(copy.commands).filter(match);
  for (const k of only ? keys.slice(0, 1) : keys) copy.commands[k] = result;
  return copy;
}

const failures = seedFailures();
const seed = seedRecording();
const redis1 = (seed.docker.listContainers as { Id: string; Names: string[] }[]).find((c) => c.Names[0] === '/redis-1')!.Id;
const redis1Key = (seed.docker[`inspectContainer ${redis1}`] as { NetworkSettings: { SandboxKey: string } }).NetworkSettings.SandboxKey;

describe('bad input during collection', () => {
  it('no Docker socket: docker is absent with a clear message, the rest still report', async () => {
    const prev = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      const live = dockerSource(2000);
      const s = await collectSnapshot({ context: { ...replayContext(seed), docker: live } });
      expect(s.collectors.docker.status).toBe('absent');
      expect(s.docker).toBeNull();
      expect(s.errors.find((e) => e.collector === 'docker')).toMatchObject({
        message: 'Docker is not running or not installed: no socket at unix:///nonexistent/docker.sock',
        hint: expect.stringMatching(/start dockerd, or set DOCKER_HOST/),
      });
      // Sandboxes cannot be listed without Docker, but host links, routes, firewall and sysctls are all there.
      expect(s.links!.interfaces.length).toBeGreaterThan(0);
      expect(s.links!.sandboxes).toEqual([]);
      expect(s.firewall).not.toBeNull();
      expect(s.collectors.firewall.status).toBe('ok');
    } finally {
      if (prev === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = prev;
    }
  });

  it('permission denied on iptables-save: firewall failed, told to run as root', async () => {
    const s = await replay(withCommand(seed, (k) => k === 'iptables-save -c', failures.iptablesSaveAsNobody));
    expect(s.collectors.firewall.status).toBe('failed');
    expect(s.firewall).toBeNull();
    expect(s.errors).toEqual([{ collector: 'firewall', message: 'iptables-save: permission denied', hint: expect.stringMatching(/run netdiag as root/) }]);
    expect(s.collectors.links.status).toBe('ok');
  });

  it('permission denied entering container namespaces: links and routes partial, naming the containers', async () => {
    const s = await replay(withCommand(seed, (k) => k.startsWith('nsenter'), failures.nsenterAsNobody));
    expect(s.collectors.links.status).toBe('partial');
    expect(s.links!.sandboxes).toEqual([]);
    expect(s.links!.interfaces.length).toBeGreaterThan(0);
    const e = s.errors.filter((x) => x.collector === 'links');
    expect(e.map((x) => x.subject).sort()).toEqual(['alpine-01', 'redis-1', 'redis-2']);
    expect(e[0]!.message).toMatch(/Permission denied/);
  });

  it('iptables-save missing: firewall failed, told which package to install', async () => {
    const rec = structuredClone(seed);
    delete rec.commands['iptables-save -c'];
    const s = await replay(rec);
    expect(s.errors.find((e) => e.collector === 'firewall')).toMatchObject({ message: 'iptables-save not found' });
  });

  it('a container that exits mid-collection: its namespace is reported gone, the others are read', async () => {
    const s = await replay(withCommand(seed, (k) => k.startsWith(`nsenter --net=${redis1Key} `), failures.nsenterVanishedSandbox));
    // Two reads of its namespace: ip's batch (links, routes) and its resolver NAT (dns).
    expect(Object.keys(seed.commands).filter((k) => k.startsWith(`nsenter --net=${redis1Key} `))).toHaveLength(2);
    expect(s.links!.sandboxes).toHaveLength(2);
    expect(s.routes!.sandboxes).toHaveLength(2);
    expect(s.errors.filter((e) => e.subject === 'redis-1').map((e) => [e.collector, e.message])).toEqual([
      ['links', expect.stringMatching(/^container redis-1 stopped during collection/)],
      ['routes', expect.stringMatching(/^container redis-1 stopped during collection/)],
      ['dns', expect.stringMatching(/^container redis-1 stopped during collection/)],
    ]);
  });

  it('a container removed between list and inspect is skipped, not an error', async () => {
    const rec = structuredClone(seed);
    delete rec.docker[`inspectContainer ${redis1}`];
    const s = await replay(rec);
    expect(s.docker!.containers.map((c) => c.name)).toEqual(['alpine-01', 'redis-2']);
    expect(s.errors).toEqual([]);
  });

  it.each([
    ['ip -j -d addr show', 'links', /ip -j -d addr show printed output that is not JSON/],
    ['ip -j -4 route show table all', 'routes', /not JSON/],
    ['iptables-save -c', 'firewall', /iptables-save printed something netdiag cannot read: iptables-save line 1/],
  ] as const)('garbage from `%s`: %s failed with a message naming it', async (key, collector, message) => {
    const s = await replay(withCommand(seed, (k) => k === key, { stdout: 'Segmentation fault?\n{{{', stderr: '', exitCode: 0 }));
    expect(s.collectors[collector].status).toBe('failed');
    expect(s.errors.find((e) => e.collector === collector)!.message).toMatch(message);
    expect(Object.values(s.collectors).filter((c) => c.status === 'ok')).toHaveLength(8);
  });

  it('garbage from the Docker API: docker failed, saying which call', async () => {
    const rec = structuredClone(seed);
    rec.docker.listNetworks = { not: 'a list' };
    const s = await replay(rec);
    expect(s.errors.find((e) => e.collector === 'docker')!.message).toMatch(/unexpected Docker API response for GET \/networks/);
  });
});
