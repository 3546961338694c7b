// `why A B` by name places A and B without Docker's container list (scope-direct.ts): the same containers, the same
// snapshot and so the same answers as the list's placing, for every pair; whatever only the list can place falls back
// to it. Replayed from captured recordings (the seed host; dns1: eight containers on three networks, one on two).
// The recordings hold each container's inspection by ID and the network list: Docker's answers to an inspection by
// name and to GET /networks/{id} are derived from them as dockerd gives them (the same inspection; the network's
// endpoints from its containers' NetworkSettings, addresses with their prefix length, as a captured GET /networks/{id}
// in shared/fixtures/moby shows them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { questionScope } from '../../../collectors/scope.js';
import type { CollectOptions } from '../../../collectors/run.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseFlow } from '../../../rules/query/flow.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, mobyDir, seedRecording } from '../fixtures.js';

interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string };
  NetworkSettings: { Networks: Record<string, { NetworkID: string; EndpointID: string; MacAddress: string; IPAddress: string; IPPrefixLen: number; GlobalIPv6Address: string; GlobalIPv6PrefixLen: number }> | null };
}

/** The recording as the daemon would also answer by name and per network; which calls were made. */
function withDockerAnswers(rec: Recording): { rec: Recording; calls: string[] } {
  const out = structuredClone(rec);
  const inspections = Object.entries(rec.docker).filter(([k]) => k.startsWith('inspectContainer ')).map(([, v]) => v as Inspect);
  for (const c of inspections) out.docker[`inspectContainer ${c.Name.replace(/^\//, '')}`] = c;
  for (const n of rec.docker.listNetworks as { Id: string; Name: string }[]) {
    const endpoints = inspections.flatMap((c) =>
      Object.values(c.NetworkSettings.Networks ?? {})
        .filter((e) => e.NetworkID === n.Id && c.State.Status === 'running')
        .map((e) => [c.Id, { Name: c.Name.replace(/^\//, ''), EndpointID: e.EndpointID, MacAddress: e.MacAddress, IPv4Address: e.IPAddress ? `${e.IPAddress}/${e.IPPrefixLen}` : '', IPv6Address: e.GlobalIPv6Address ? `${e.GlobalIPv6Address}/${e.GlobalIPv6PrefixLen}` : '' }] as const),
    );
    out.docker[`inspectNetwork ${n.Id}`] ??= { ...n, Containers: Object.fromEntries(endpoints) };
  }
  const calls: string[] = [];
  const ctx = replayContext(out);
  const docker = { ...ctx.docker };
  for (const m of ['listContainers', 'inspectContainer', 'inspectNetwork'] as const) {
    docker[m] = ((id?: string) => {
      calls.push(id ? `${m} ${id}` : m);
      return (ctx.docker[m] as (id?: string) => Promise<unknown>)(id);
    }) as never;
  }
  (out as unknown as { ctx: unknown }).ctx = { ...ctx, docker };
  return { rec: out, calls };
}

const dns1 = () => Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'dns/dns1.recording.json'), 'utf8')));

/** As why collects for a ping by name; `list`: the list's placing (scope.ts), as before this module. */
async function asWhy(base: Recording, words: string[], list: boolean): Promise<{ snap: HostSnapshot; calls: string[] }> {
  const { rec, calls } = withDockerAnswers(base);
  const ssp = rec.commands['ss -Htlunp'];
  // `ss -Htlun` is `ss -Htlunp` without its users:(…) column: derived from the captured output, as ss prints it.
  if (ssp) rec.commands['ss -Htlun'] = { ...ssp, stdout: ssp.stdout.replace(/\s+users:\(\(.*\)\)/g, '') };
  const placed = questionScope(words);
  const scope = list ? ((l: unknown[]) => placed(l)) : placed;
  const opts: CollectOptions = { hostName: 'h', context: (rec as unknown as { ctx: CollectOptions['context'] }).ctx, scope, namesOfAskedOnly: true, socketProcesses: false, otherBackend: false, now: () => new Date('2026-12-05T00:00:00Z') };
  return { snap: await collectSnapshot(opts), calls };
}

/** A snapshot without its timings (which no two collections share). */
const timeless = (s: HostSnapshot) => ({ ...s, durationMs: 0, collectors: Object.fromEntries(Object.entries(s.collectors).map(([k, v]) => [k, { ...v, durationMs: 0 }])) });

describe('a question placed without Docker\'s container list', () => {
  it('the network endpoints derived for the replay are shaped as a captured GET /networks/{id}', () => {
    const captured = JSON.parse(readFileSync(join(mobyDir(), 'docker20-api-network-inspect-bridge1.json'), 'utf8')).response;
    const { rec } = withDockerAnswers(seedRecording());
    const derived = Object.entries(rec.docker).find(([k]) => k.startsWith('inspectNetwork '))![1] as { Containers: Record<string, object> };
    for (const e of Object.values(derived.Containers)) expect(Object.keys(e).sort()).toEqual(Object.keys(Object.values(captured.Containers as Record<string, object>)[0]!).sort());
  });

  for (const [host, rec] of [['seed', seedRecording()], ['dns1', dns1()]] as const) {
    it(`${host}: for every pair by name, the list is not asked, and the snapshot is the list's placing's, word for word`, async () => {
      const names = (rec.docker.listContainers as { Names: string[] }[]).map((c) => c.Names[0]!.replace(/^\//, '')).sort();
      let pairs = 0;
      for (const a of names) {
        for (const b of [...names, 'host']) {
          if (a === b) continue;
          const direct = await asWhy(rec, [a, b], false);
          const listed = await asWhy(rec, [a, b], true);
          expect(direct.calls, `${a} → ${b}`).not.toContain('listContainers');
          expect(listed.calls).toContain('listContainers');
          expect(direct.snap.scope, `${a} → ${b}`).not.toBeNull();
          expect(timeless(direct.snap), `${a} → ${b}`).toEqual(timeless(listed.snap));
          pairs++;
        }
      }
      expect(pairs).toBe(names.length * names.length);
    });
  }

  it('and so the answer is the whole host\'s', async () => {
    const whole = buildWorld([await collectSnapshot({ hostName: 'h', context: replayContext(dns1()), now: () => new Date('2026-12-05T00:00:00Z') })]);
    const names = whole.hosts[0]!.containers.map((c) => c.name).sort();
    for (const flow of [parseFlow(undefined), parseFlow('80/tcp')]) {
      for (const a of names) {
        for (const b of names) {
          if (a === b) continue;
          const { snap } = await asWhy(dns1(), [a, b], false);
          expect(why(buildWorld([snap]), a, b, flow), `${a} → ${b}`).toEqual(why(whole, a, b, flow));
        }
      }
    }
  });

  it('what only the list can place (an address, an ID prefix, a name Docker does not know) asks the list, as before', async () => {
    const rec = seedRecording();
    const ip = (rec.docker[Object.keys(rec.docker).find((k) => k.startsWith('inspectContainer '))!] as Inspect);
    const address = Object.values(ip.NetworkSettings.Networks ?? {})[0]!.IPAddress;
    for (const words of [[address, 'redis-1'], [ip.Id.slice(0, 6), 'redis-1'], ['nosuch', 'redis-1'], [`${ip.Id}`, 'redis-1']]) {
      const direct = await asWhy(rec, words, false);
      const listed = await asWhy(rec, words, true);
      expect(direct.calls, words.join(' ')).toContain('listContainers');
      expect(timeless(direct.snap), words.join(' ')).toEqual(timeless(listed.snap));
    }
  });

  it('--json (the pair\'s networks whole) is the list\'s to place', () => {
    expect(questionScope(['a', 'b'], { pairNetworks: true }).direct).toBeUndefined();
    expect(questionScope(['a', 'b']).direct).toBeTypeOf('function');
  });
});
