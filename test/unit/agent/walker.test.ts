// The walker thread answers exactly what the main thread would (every kind of walk, errors and deadlines included),
// on captured snapshots: the thread's entry is bundled from source here, as the build bundles it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { buildApp } from '../../../agent/app.js';
import { REACH_RETRY_MS, createMetrics } from '../../../agent/metrics.js';
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

  it("the world's JSON is written once per snapshot state, not again at each thread start", async () => {
    const w = threadWalker(file, 50);
    const st = SnapshotStore.fixed(seed).current!;
    const other = SnapshotStore.saved(reach).current!;
    const q: WalkQuestion = { kind: 'why', from: 'alpine-01', to: 'redis-1' };
    const written = vi.spyOn(JSON, 'stringify');
    const ofWorld = (s: typeof st) => written.mock.calls.filter((c) => c[0] === s.snapshots).length;
    try {
      const first = (await w.answer(st, q)).toString();
      await new Promise((r) => setTimeout(r, 300));
      expect(w.alive).toBe(false);
      expect((await w.answer(st, q)).toString()).toBe(first);
      expect(w.started).toBe(2);
      expect(ofWorld(st)).toBe(1);
      // Another state is written for itself, and going back to the first writes nothing again.
      expect((await w.answer(other, { kind: 'matrix' })).toString()).toBe((await here.answer(other, { kind: 'matrix' })).toString());
      expect((await w.answer(st, q)).toString()).toBe(first);
      expect([ofWorld(st), ofWorld(other)]).toEqual([1, 1]);
    } finally {
      written.mockRestore();
      await w.close();
    }
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

// The main thread's side of the protocol, against a stand-in thread whose walks can hang (a step no slicing splits,
// stopped only by ending the thread) or end the thread: what the agent must do then does not depend on the model.
const STAND_IN = `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'world') return;
  if (m.type === 'text' && m.q.from === 'hang') for (;;);
  if (m.type === 'text' && m.q.from === 'die') process.exit(3);
  parentPort.postMessage({ id: m.id, value: new TextEncoder().encode(JSON.stringify(m.q)) });
});`;

describe('the walker when a walk goes wrong', () => {
  let standIn = '';
  beforeAll(() => {
    standIn = join(mkdtempSync(join(tmpdir(), 'netdiag-walker-stand-in-')), 'stand-in.mjs');
    writeFileSync(standIn, STAND_IN);
  });
  const st = () => SnapshotStore.fixed(seed).current!;

  it('a walk stuck past its deadline is answered with that deadline, the thread ended, and the walk queued behind it asked of a new one', async () => {
    const w = threadWalker(standIn, 5_000, 20);
    const stuck = w.answer(st(), { kind: 'why', from: 'hang', to: 'x' }, { at: performance.now() + 30, error: () => new Error('deadline of the stuck walk') });
    const behind = w.answer(st(), { kind: 'why', from: 'a', to: 'b' });
    await expect(stuck).rejects.toThrow('deadline of the stuck walk');
    expect(JSON.parse((await behind).toString())).toEqual({ kind: 'why', from: 'a', to: 'b' });
    expect(w.started).toBe(2);
    await w.close();
  });

  it('a thread that dies mid-walk fails the walks it held, and the next walk starts another', async () => {
    const w = threadWalker(standIn, 5_000);
    await expect(w.answer(st(), { kind: 'why', from: 'die', to: 'x' })).rejects.toThrow('the walker thread exited (3)');
    expect(w.alive).toBe(false);
    expect((await w.answer(st(), { kind: 'why', from: 'a', to: 'b' })).length).toBeGreaterThan(0);
    expect(w.started).toBe(2);
    await w.close();
  });

  it('a message that cannot cross is refused without leaving the thread held (it still idles out)', async () => {
    const w = threadWalker(standIn, 30);
    await expect(w.answer(st(), { kind: 'why', from: 'a', to: 'b', port: (() => 1) as never })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(w.alive).toBe(false);
    await w.close();
  });

  it('closing the walker answers the walks still pending instead of leaving their callers waiting', async () => {
    const w = threadWalker(standIn, 5_000);
    const stuck = w.answer(st(), { kind: 'why', from: 'hang', to: 'x' });
    const refused = expect(stuck).rejects.toThrow('the walker was closed');
    await new Promise((r) => setTimeout(r, 50));
    await w.close();
    await refused;
  });

  it('a world the thread cannot build fails the walks asked of it, and the thread answers the next good world', async () => {
    const w = threadWalker(file, 5_000);
    const good = st();
    const bad = { ...good, snapshots: [{ name: 'broken' }] } as unknown as typeof good;
    const err = await w.answer(bad, { kind: 'why', from: 'alpine-01', to: 'redis-1' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(w.alive).toBe(true);
    const q: WalkQuestion = { kind: 'why', from: 'alpine-01', to: 'redis-1' };
    expect((await w.answer(good, q)).toString()).toBe((await here.answer(good, q)).toString());
    expect(w.started).toBe(1);
    await w.close();
  }, 30_000);

  it("the metrics' reachability walk is asked again after it failed, not left absent for as long as the snapshot is served", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let calls = 0;
      const flaky: Walker = { ...here, reach: (s) => (++calls === 1 ? Promise.reject(new Error('the walker thread exited (1)')) : here.reach(s)) };
      const store = SnapshotStore.fixed(seed);
      const metrics = createMetrics(store, new ChangeLedger(mkdtempSync(join(tmpdir(), 'netdiag-agent-'))), flaky);
      const reachable = async () => (await metrics.registry.metrics()).includes('netdiag_network_pairs_reachable{');
      expect(await reachable()).toBe(false);
      await new Promise((r) => setTimeout(r, 10));
      expect(await reachable()).toBe(false);
      expect(calls).toBe(1);
      vi.setSystemTime(Date.now() + REACH_RETRY_MS + 1);
      await reachable();
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(2);
      expect(await reachable()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers beyond the memory budget are not remembered; those within it are', async () => {
    let walks = 0;
    const counting: Walker = { ...here, answer: (s, q, d) => (walks++, here.answer(s, q, d)) };
    const mk = (memoBytes: number) => {
      const store = SnapshotStore.fixed(seed);
      const ledger = new ChangeLedger(mkdtempSync(join(tmpdir(), 'netdiag-agent-')));
      return buildApp({ store, metrics: createMetrics(store, ledger, here), ledger, walker: counting, memoBytes, token: null, stateDir: '', host: untouchableHost(), hostName: seed.name });
    };
    const url = '/v1/why?from=alpine-01&to=redis-1';
    for (const [budget, expected] of [[1, 2], [1 << 20, 1]] as const) {
      walks = 0;
      const app = await mk(budget);
      const [a, b] = [await app.inject(url), await app.inject(url)];
      expect(a.statusCode).toBe(200);
      expect(b.body).toBe(a.body);
      expect(walks, `budget ${budget}`).toBe(expected);
      await app.close();
    }
  });
});
