// Bench: the agent's /metrics while a matrix that shares nothing is being walked (150 containers, each with
// DOCKER-USER rules of its own): scrapes must be answered between the matrix's slices, not after it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeLedger } from '../actuation/ledger.js';
import { buildApp } from '../agent/app.js';
import { createMetrics } from '../agent/metrics.js';
import { SnapshotStore } from '../agent/snapshot-store.js';
import type { HostMutator } from '../host/mutate.js';
import { execFile } from 'node:child_process';
import { REPO } from '../test/lab/lab.js';
import type { LoadResult } from './load.js';
import { report } from './report.js';
import { syntheticHost } from './synthetic.js';

export async function benchStall(): Promise<void> {
  const s = syntheticHost(5, 30, 'collapse', { pairRules: true });
  const store = SnapshotStore.fixed(s);
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-bench-ledger-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  // Read routes only: nothing here may change a host.
  const app = await buildApp({ store, metrics, ledger, token: null, stateDir, host: {} as HostMutator, hostName: s.name });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    // The first scrape starts the reachability walk (sliced); wait until it is in the text.
    for (let i = 0; i < 600 && !(await (await fetch(`${base}/metrics`)).text()).includes('netdiag_network_pairs_reachable'); i++) await new Promise((r) => setTimeout(r, 50));
    // The scraper is another process, as Prometheus is: in this one it would wait on the matrix's slices itself.
    const scraper = spawnScraper(`${base}/metrics`, 300, 5);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await fetch(`${base}/v1/matrix`).then((r) => r.arrayBuffer());
    const matrixMs = performance.now() - t0;
    const scrapes = await scraper;
    report('agent /metrics during a 150-container matrix that shares nothing (22,350 pairs, every container its own rules)', [
      ['GET /v1/matrix (walked in slices)', `${matrixMs.toFixed(0)} ms`, 'the request that asked waits for it; nobody else does'],
      ['GET /metrics meanwhile (300 scrapes, concurrency 5, another process)', `p99 ${scrapes.p99.toFixed(1)} ms`, `max ${scrapes.max.toFixed(0)} ms, p50 ${scrapes.p50.toFixed(1)} ms; goal: not behind the matrix (${(matrixMs / Math.max(scrapes.max, 0.1)).toFixed(0)}× shorter than it); ${scrapes.errors} errors`],
    ]);
  } finally {
    await app.close();
  }
}

/** The load generator in a process of its own (the lab's HTTP client), started before the matrix is asked for. */
function spawnScraper(url: string, requests: number, concurrency: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(REPO, 'dist/test/lab/http-client.js'), 'load', url, String(requests), String(concurrency)], { timeout: 120_000 }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as LoadResult)));
  });
}
