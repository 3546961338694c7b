// Lab: the swarm collector on real hosts — a host before it joins a swarm is unchanged (no swarm part, no status, exit
// 0); in scenario A its snapshot holds every overlay, namespace and overlay port, and how long the collector takes.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { Recording } from '../../collectors/recording.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { swarmHosts, swarmScenario } from './swarm-scenario.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

async function snapshotOf(h: LabHost, extra: string[] = []): Promise<{ s: HostSnapshot; exitCode: number; stderr: string }> {
  const r = await h.netdiag(['snapshot', '--host-name', h.name, ...extra]);
  return { s: parseSnapshot(JSON.parse(r.stdout)), exitCode: r.exitCode, stderr: r.stderr };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe.skipIf(skip !== null)('swarm collector on a real two-host swarm', () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let before: Awaited<ReturnType<typeof snapshotOf>>;

  beforeAll(async () => {
    lab = await Lab.create();
    [h1, h2] = await swarmHosts(lab);
    await h1.run('br1', {});
    before = await snapshotOf(h1);
    await swarmScenario(h1, h2);
  }, 300_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('before the swarm: the snapshot is as it was (no swarm part, no swarm status, no error, exit 0)', () => {
    expect(before.exitCode).toBe(0);
    expect(before.stderr).toBe('');
    expect(before.s.swarm).toBeNull();
    expect(before.s.collectors.swarm).toBeUndefined();
    expect(before.s.errors).toEqual([]);
    expect(Object.values(before.s.collectors).every((c) => c.status === 'ok')).toBe(true);
  });

  it('in the swarm: both nodes read, with overlay ports for every overlay interface and no error', async () => {
    for (const h of [h1, h2]) {
      const { s, exitCode } = await snapshotOf(h);
      expect(exitCode).toBe(0);
      expect(s.errors).toEqual([]);
      expect(s.collectors.swarm?.status).toBe('ok');
      expect(s.swarm!.networks.map((n) => n.name)).toEqual(['ingress', 'ov1', 'ov2']);
      expect(s.swarm!.namespaces.map((n) => n.role).sort()).toEqual(['ingress-sbox', 'load-balancer', 'load-balancer', 'overlay', 'overlay', 'overlay']);
      const overlayIfaces = s.links!.sandboxes.flatMap((x) => x.interfaces).filter((i) => i.addresses.some((a) => a.local.startsWith('10.60.')));
      expect(overlayIfaces.length).toBeGreaterThan(0);
      expect(overlayIfaces.every((i) => i.overlayPort?.bridge === 'br0' && i.hostVeth === null)).toBe(true);
    }
  });

  it('timing on h1 (4 containers, 3 of them on overlays, 6 swarm namespaces): the collector and what it spawns', async () => {
    const runs: { swarm: number; total: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const { s } = await snapshotOf(h1);
      runs.push({ swarm: s.collectors.swarm!.durationMs, total: s.durationMs });
    }
    const dir = await mkdtemp(join(tmpdir(), 'netdiag-swarm-rec-'));
    await snapshotOf(h1, ['--record', join(dir, 'rec.json')]);
    const rec = Recording.parse(JSON.parse(await readFile(join(dir, 'rec.json'), 'utf8')));
    const swarmNs = Object.keys(rec.commands).filter((k) => /^nsenter --net=\S+\/(1-|lb_|ingress_sbox)/.test(k)).length;
    const sandboxSaves = Object.keys(rec.commands).filter((k) => k.startsWith('nsenter') && k.endsWith(' iptables-save -c')).length;
    console.log(`swarm collector on h1: median ${median(runs.map((r) => r.swarm))} ms (runs ${runs.map((r) => r.swarm).join(', ')}); whole snapshot median ${median(runs.map((r) => r.total))} ms; processes in swarm's namespaces ${swarmNs}, iptables-save -c in namespaces ${sandboxSaves}`);
    // One ip batch, fdb, iptables-save, nft and one grep for the /proc files per namespace: 5 × 6.
    expect(swarmNs).toBe(30);
    expect(median(runs.map((r) => r.swarm))).toBeLessThan(3_000);
  });
});
