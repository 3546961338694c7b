// Bench: one refresh of the agent on 500 containers after the collection (the snapshot bench times that): the world
// built, the metrics observed and rendered, reachability walked — and the longest the main thread was held meanwhile
// (what a scrape arriving then waits), with the walks on the walker thread and, beside it, in-thread as before.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ChangeLedger } from '../actuation/ledger.js';
import { createMetrics } from '../agent/metrics.js';
import { SnapshotStore } from '../agent/snapshot-store.js';
import { inThreadWalker, threadWalker, walkerFile } from '../agent/walker.js';
import type { Walker } from '../agent/walker.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

const ROUNDS = 3;

async function refreshCost(walker: Walker, text: string): Promise<{ refresh: number; render: number; reach: number; held: number }> {
  const store = new SnapshotStore(async () => JSON.parse(text));
  const metrics = createMetrics(store, new ChangeLedger(mkdtempSync(join(tmpdir(), 'netdiag-bench-ledger-'))), walker);
  store.onRefresh((s, _kept, world) => metrics.observeRefresh(s, world));
  const r: { refresh: number; render: number; reach: number; held: number }[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let t0 = performance.now();
    await store.refresh();
    const refresh = performance.now() - t0;
    t0 = performance.now();
    await metrics.registry.metrics();
    const render = performance.now() - t0;
    t0 = performance.now();
    await walker.reach(store.current!);
    const reach = performance.now() - t0;
    h.disable();
    // The first round warms the code up; it is not counted.
    if (i > 0) r.push({ refresh, render, reach, held: h.max / 1e6 });
  }
  await walker.close();
  return { refresh: median(r.map((x) => x.refresh)), render: median(r.map((x) => x.render)), reach: median(r.map((x) => x.reach)), held: Math.max(...r.map((x) => x.held)) };
}

export async function benchRefresh(): Promise<void> {
  const text = JSON.stringify(syntheticHost(10, 50, 'collapse', { pairRules: true }));
  const file = walkerFile();
  const rows: [string, string, string][] = [];
  for (const [name, walker] of [...(file ? [['walker thread', threadWalker(file)] as const] : []), ['in-thread (before)', inThreadWalker()] as const]) {
    const c = await refreshCost(walker, text);
    rows.push([name, `${c.held.toFixed(0)} ms held`, `the main thread's longest turn (a scrape waits that long at most); world built + metrics observed ${c.refresh.toFixed(0)} ms, /metrics rendered ${c.render.toFixed(0)} ms, reachability ${c.reach.toFixed(0)} ms (${name === 'walker thread' ? 'on the thread: world sent, built, walked' : 'sliced on the main thread'})`]);
  }
  report(`one refresh on 500 containers (synthetic, after the collection; median of ${ROUNDS}, the longest turn the worst of them)`, rows);
}
