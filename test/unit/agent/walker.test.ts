// The walker thread answers exactly what the main thread would (every kind of walk, errors and deadlines included),
// on captured snapshots: the thread's entry is bundled from source here, as the build bundles it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { buildApp } from '../../../agent/app.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { inThreadWalker, threadWalker } from '../../../agent/walker.js';
import type { Walker } from '../../../agent/walker.js';
import type { WalkQuestion } from '../../../agent/answers.js';
import { ResolveError } from '../../../rules/query/resolve.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { untouchableHost } from '../recording-host.js';
import { REPO } from '../fixtures.js';

const load = (p: string) => parseSnapshot(JSON.parse(readFileSync(join(REPO, p), 'utf8')));
const seed = load('examples/seed-host.json');
const reach = [load('test/fixtures/captured/reach/h1.json'), load('test/fixtures/captured/reach/h2.json')];

let file = '';
let thread: Walker;
const here = inThreadWalker();

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-walker-'));
  file = join(dir, 'agent-walker.mjs');
  await build({ entryPoints: [join(REPO, 'agent/walker-thread.ts')], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'warning', banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" } });
  thread = threadWalker(file);
}, 60_000);
afterAll(() => thread.close());

describe('the walker thread', () => {
  it('answers every kind of walk with the very text the main thread writes (seed host)', async () => {
    const st = SnapshotStore.fixed(seed).current!;
    const questions: WalkQuestion[] = [
      { kind: 'why', from: 'alpine-01', to: 'redis-1' },
      { kind: 'why', from: 'alpine-01', to: 'redis-2', port: '6379/tcp', family: 'ipv4' },
      { kind: 'fixes', from: 'alpine-01', to: 'redis-1' },
      { kind: 'matrix' },
      { kind: 'matrix', port: '6379' },
      { kind: 'grid' },
      { kind: 'map', format: 'dot' },
      { kind: 'map', format: 'json' },
      { kind: 'snapshot', host: 0 },
    ];
    for (const q of questions) expect((await thread.answer(st, q)).toString(), JSON.stringify(q)).toBe((await here.answer(st, q)).toString());
    expect(await thread.reach(st)).toEqual(await here.reach(st));
  }, 60_000);

  it('a new state is sent before the walk asked of it: two captured hosts, then the seed again', async () => {
    const two = SnapshotStore.saved(reach).current!;
    const one = SnapshotStore.fixed(seed).current!;
    const m = (await thread.answer(two, { kind: 'matrix' })).toString();
    expect(m).toBe((await here.answer(two, { kind: 'matrix' })).toString());
    expect(JSON.parse(m).pairs.length).toBeGreaterThan(0);
    expect((await thread.answer(one, { kind: 'matrix' })).toString()).toBe((await here.answer(one, { kind: 'matrix' })).toString());
    expect(await thread.reach(two)).toEqual(await here.reach(two));
    // Each host's snapshot by its place among those served: the second is h2's.
    expect(JSON.parse((await thread.answer(two, { kind: 'snapshot', host: 1 })).toString()).name).toBe(reach[1]!.name);
  }, 60_000);

  it('an unknown name is the same ResolveError (message and hint) as on the main thread', async () => {
    const st = SnapshotStore.fixed(seed).current!;
    const q: WalkQuestion = { kind: 'why', from: 'alpine-01', to: 'no-such' };
    const mine = await here.answer(st, q).catch((e: unknown) => e as ResolveError);
    const theirs = await thread.answer(st, q).catch((e: unknown) => e as ResolveError);
    expect(mine).toBeInstanceOf(ResolveError);
    expect(theirs).toBeInstanceOf(ResolveError);
    expect({ message: theirs.message, hint: theirs.hint }).toEqual({ message: mine.message, hint: mine.hint });
  });

  it("a walk past its deadline ends on the thread with the caller's own deadline error", async () => {
    const st = SnapshotStore.fixed(seed).current!;
    await expect(thread.answer(st, { kind: 'matrix', port: '80' }, { at: performance.now() - 1, error: () => new Error('the deadline') })).rejects.toThrow('the deadline');
  });

  it('an idle thread ends, and the next walk starts another with the world sent again', async () => {
    const w = threadWalker(file, 50);
    const st = SnapshotStore.fixed(seed).current!;
    const q: WalkQuestion = { kind: 'why', from: 'alpine-01', to: 'redis-1' };
    const first = await w.answer(st, q);
    expect(w.alive).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.alive).toBe(false);
    expect((await w.answer(st, q)).toString()).toBe(first.toString());
    expect(w.started).toBe(2);
    await w.close();
  });

  it('through the app: /v1/why, /v1/fixes, /metrics and a 404 are the same with the thread as in-thread', async () => {
    const mk = async (walker?: Walker) => {
      const store = SnapshotStore.fixed(seed);
      const ledger = new ChangeLedger(mkdtempSync(join(tmpdir(), 'netdiag-agent-')));
      const metrics = createMetrics(store, ledger, walker);
      return buildApp({ store, metrics, ledger, walker, token: null, stateDir: '', host: untouchableHost(), hostName: seed.name });
    };
    const [a, b] = [await mk(thread), await mk()];
    // The reachability series come from the walker, after the first scrape started it.
    const series = async (x: typeof a) => {
      for (let i = 0; i < 100; i++) {
        const body = (await x.inject('/metrics')).body;
        if (body.includes('netdiag_network_pairs_reachable{')) return body.split('\n').filter((l) => l.startsWith('netdiag_network_pairs'));
        await new Promise((r) => setTimeout(r, 20));
      }
      return [];
    };
    const [sa, sb] = [await series(a), await series(b)];
    expect(sa.length).toBeGreaterThan(0);
    expect(sa).toEqual(sb);
    for (const url of ['/v1/why?from=alpine-01&to=redis-1', '/v1/why?from=alpine-01&to=nope']) {
      const [x, y] = [await a.inject(url), await b.inject(url)];
      expect({ status: x.statusCode, body: x.body }, url).toEqual({ status: y.statusCode, body: y.body });
    }
    const fixes = { method: 'POST' as const, url: '/v1/fixes', headers: { 'content-type': 'application/json' }, payload: { from: 'alpine-01', to: 'redis-1' } };
    const [fx, fy] = [await a.inject(fixes), await b.inject(fixes)];
    expect(fx.statusCode).toBe(200);
    expect(fx.json()).toEqual(fy.json());
    expect(fx.json().fixes.length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  }, 60_000);
});
