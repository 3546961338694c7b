// Docker's first reads asked before the collectors load: each handed out once, the same snapshot as asking late.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { earlyDockerSource } from '../../../host/early-docker.js';
import type { DockerSource } from '../../../host/docker.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { CAPTURED } from '../fixtures.js';

const dns1 = Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'dns/dns1.recording.json'), 'utf8')));
const inspected = Object.keys(dns1.docker).filter((k) => k.startsWith('inspectContainer ')).map((k) => k.slice('inspectContainer '.length));

/** The recorded daemon, counting what it is asked. */
function countingDocker(rec: Recording): { docker: DockerSource; asked: string[] } {
  const live = replayContext(rec).docker;
  const asked: string[] = [];
  const docker = { endpoint: live.endpoint } as DockerSource;
  for (const m of ['version', 'info', 'listNetworks', 'listContainers', 'inspectContainer', 'inspectNetwork', 'listServices'] as const) {
    (docker as unknown as Record<string, (id?: string) => Promise<unknown>>)[m] = (id?: string) => {
      asked.push(id ? `${m} ${id}` : m);
      return (live[m] as (id?: string) => Promise<unknown>)(id);
    };
  }
  return { docker, asked };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('earlyDockerSource', () => {
  it('asks the version, networks, info and list at once, and inspects every listed container before anyone asks', async () => {
    const { docker, asked } = countingDocker(dns1);
    const heard: { list: unknown[]; inspected: unknown[] } = { list: [], inspected: [] };
    earlyDockerSource(1000, docker, { list: (l) => heard.list.push(l), inspected: (i) => heard.inspected.push(i) });
    expect(asked).toEqual(['version', 'listNetworks', 'info', 'listContainers']);
    await settle();
    expect(asked.slice(4).sort()).toEqual(inspected.map((id) => `inspectContainer ${id}`).sort());
    expect(inspected.length).toBe(8);
    // Those waiting on them hear the list, then each inspection, as Docker gave them.
    expect(heard.list).toEqual([dns1.docker.listContainers]);
    expect(heard.inspected).toHaveLength(8);
    expect(heard.inspected).toContainEqual(dns1.docker[`inspectContainer ${inspected[0]}`]);
  });

  it('hands each early answer out once: a later call asks Docker again; GET /info and GET /networks are asked once', async () => {
    const { docker, asked } = countingDocker(dns1);
    const early = earlyDockerSource(1000, docker);
    await settle();
    const before = asked.length;
    expect(await early.listContainers()).toEqual(dns1.docker.listContainers);
    expect(await early.inspectContainer(inspected[0]!)).toEqual(dns1.docker[`inspectContainer ${inspected[0]}`]);
    expect(asked.length).toBe(before);
    await early.listContainers();
    await early.inspectContainer(inspected[0]!);
    expect(asked.slice(before)).toEqual(['listContainers', `inspectContainer ${inspected[0]}`]);
    await Promise.allSettled([early.info(), early.info()]);
    expect(asked.filter((a) => a === 'info')).toEqual(['info']);
    // The docker collector and a swarm node's swarm collector both read the networks: one GET, as without early reads.
    expect(await early.listNetworks()).toEqual(await early.listNetworks());
    expect(asked.filter((a) => a === 'listNetworks')).toEqual(['listNetworks']);
  });

  it('leaves a failed early read to the collector that asks: no unhandled rejection, the same error', async () => {
    const { docker } = countingDocker({ ...dns1, docker: {} });
    const early = earlyDockerSource(1000, docker);
    await settle();
    await expect(early.version()).rejects.toThrow(/not in the recording: version/);
  });

  it('collects the same snapshot as asking Docker when the collectors do', async () => {
    const at = { hostName: 'lab-dns1', now: () => new Date('2026-11-22T00:00:00Z') };
    const late = await collectSnapshot({ ...at, context: replayContext(dns1) });
    const { docker, asked } = countingDocker(dns1);
    const early = await collectSnapshot({ ...at, context: { ...replayContext(dns1), docker: earlyDockerSource(1000, docker) } });
    const strip = (s: typeof late) => JSON.stringify({ ...s, durationMs: 0, collectors: Object.keys(s.collectors) });
    expect(strip(early)).toBe(strip(late));
    expect(early.docker?.containers.length).toBe(8);
    // Nothing asked twice: every early answer was used.
    expect(asked.length).toBe(new Set(asked).size);
  });
});
