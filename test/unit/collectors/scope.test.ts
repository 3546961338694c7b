// A collection for one question (`why A B` at a terminal): only A, B and what they share are inspected and entered,
// and the answer is the one the whole host gives. Replayed from the seed host's recording.
import { describe, expect, it } from 'vitest';
import { replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { questionScope } from '../../../collectors/scope.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { replay, seedRecording } from '../fixtures.js';

const scoped = (words: string[]) => collectSnapshot({ hostName: 'lab-h1', context: replayContext(seedRecording()), scope: questionScope(words), now: () => new Date('2026-11-22T00:00:00Z') });

describe('collection scoped to a question', () => {
  it('inspects and enters only the two containers named, and says so', async () => {
    const s = await scoped(['alpine-01', 'redis-1']);
    expect(s.docker!.containers.map((c) => c.name)).toEqual(['alpine-01', 'redis-1']);
    expect(s.links!.sandboxes).toHaveLength(2);
    expect(s.sockets!.sandboxes).toHaveLength(2);
    expect(s.scope).toEqual(['alpine-01', 'redis-1']);
    expect(s.errors).toEqual([]);
  });
  it('reads IPv6 tables and routes only when the question has IPv6 in it (the host may)', async () => {
    const full = await replay();
    expect(full.firewall!.tables6).not.toBeNull();
    expect(full.routes!.routes.some((r) => r.family === 'inet6')).toBe(true);
    // The seed's containers have IPv4 only.
    const s = await scoped(['alpine-01', 'redis-1']);
    expect(s.firewall!.tables6).toBeNull();
    expect(s.routes!.routes.some((r) => r.family === 'inet6')).toBe(false);
    expect(s.routes!.routes.filter((r) => r.family === 'inet')).toEqual(full.routes!.routes.filter((r) => r.family === 'inet'));
    const host = await scoped(['alpine-01', 'host']);
    expect(host.firewall!.tables6).toEqual(full.firewall!.tables6);
    expect(host.routes!.routes).toEqual(full.routes!.routes);
    expect((await scoped(['nosuch', 'redis-1'])).firewall!.tables6).toEqual(full.firewall!.tables6);
  });
  it('/name (as docker inspect prints it) is placed too; a one-character ID prefix collects everything, and the model resolves it', async () => {
    expect((await scoped(['/alpine-01', 'redis-1'])).docker!.containers.map((c) => c.name)).toEqual(['alpine-01', 'redis-1']);
    const one = (await replay()).docker!.containers.find((c) => c.name === 'alpine-01')!.id[0]!;
    const short = await scoped([one, 'redis-1']);
    expect(short.docker!.containers.map((c) => c.name)).toEqual(['alpine-01', 'redis-1', 'redis-2']);
    expect(why(buildWorld([short]), one, 'redis-1', parseFlow(undefined)).from.name).toBe('alpine-01');
  });
  it('places containers by name, address or ID prefix, as the user may type them', async () => {
    const full = await replay();
    const redis2 = full.docker!.containers.find((c) => c.name === 'redis-2')!;
    const s = await scoped([redis2.endpoints[0]!.ip as string, redis2.id.slice(0, 6)]);
    expect(s.docker!.containers.map((c) => c.name)).toEqual(['redis-2']);
  });
  it('anything the list cannot place (a typo, an alias) collects everything, so the answer is the full one', async () => {
    expect((await scoped(['nosuch', 'redis-1'])).docker!.containers).toHaveLength(3);
    expect((await scoped(['nosuch', 'redis-1'])).scope).toBeNull();
  });
  it('a ping by name, as why collects it (the host\'s sockets without processes, names and sockets only in A\'s and B\'s namespaces): the whole host\'s answer, word for word', async () => {
    const rec = seedRecording();
    // `ss -Htlun` is `ss -Htlunp` without its users:(…) column: derived from the captured output, as ss prints it.
    const ssp = rec.commands['ss -Htlunp']!;
    rec.commands['ss -Htlun'] = { ...ssp, stdout: ssp.stdout.replace(/\s+users:\(\(.*\)\)/g, '') };
    const asWhy = (words: string[]) => collectSnapshot({ hostName: 'lab-h1', context: replayContext(rec), scope: questionScope(words), namesOfAskedOnly: true, socketProcesses: false, otherBackend: false, now: () => new Date('2026-11-22T00:00:00Z') });
    const whole = await replay();
    const s = await asWhy(['alpine-01', 'redis-1']);
    // What ss -p adds is gone, and only that.
    expect(whole.sockets!.host.some((x) => x.process !== null)).toBe(true);
    expect(s.sockets!.host).toEqual(whole.sockets!.host.map((x) => ({ ...x, process: null })));
    const full = buildWorld([whole]);
    const names = ['alpine-01', 'redis-1', 'redis-2'];
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        expect(why(buildWorld([await asWhy([a, b])]), a, b, parseFlow(undefined)), `${a} → ${b}`).toEqual(why(full, a, b, parseFlow(undefined)));
      }
    }
  });
  it('gives the same answers as the whole host, for every pair and flow', async () => {
    const full = buildWorld([await replay()]);
    const names = ['alpine-01', 'redis-1', 'redis-2'];
    for (const flow of [parseFlow(undefined), parseFlow('80/tcp'), parseFlow('8080/tcp')]) {
      for (const a of names) {
        for (const b of names) {
          if (a === b) continue;
          const part = buildWorld([await scoped([a, b])]);
          const x = why(part, a, b, flow);
          const y = why(full, a, b, flow);
          expect(x.addresses.map((v) => [v.ip, v.verdict, v.decidedBy?.reason]), `${a} → ${b} ${flow.port ?? 'ping'}`).toEqual(y.addresses.map((v) => [v.ip, v.verdict, v.decidedBy?.reason]));
        }
      }
    }
  });
});
