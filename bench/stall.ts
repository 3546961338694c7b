// Bench: the agent's /metrics while each kind of walk runs (matrix, grid, map, why, fixes), each asked for the first
// time (nothing remembered): scrapes at concurrency 50 from the bench process for as long as the walk takes.
import { load } from './load.js';
import type { LoadResult } from './load.js';

export interface DuringWalk {
  walk: string;
  /** How long the walk's own request took. */
  ms: number;
  scrapes: LoadResult;
}

export async function metricsDuringWalks(base: string, pair: { from: string; to: string }): Promise<DuringWalk[]> {
  const q = `from=${encodeURIComponent(pair.from)}&to=${encodeURIComponent(pair.to)}`;
  const walks: [string, () => Promise<Response>][] = [
    ['the matrix is walked', () => fetch(`${base}/v1/matrix`)],
    ['the grid is walked', () => fetch(`${base}/v1/grid`)],
    ['the map is laid out (svg)', () => fetch(`${base}/v1/map?format=svg`)],
    ['why is walked (fixes included)', () => fetch(`${base}/v1/why?${q}`)],
    ['fixes are searched', () => fetch(`${base}/v1/fixes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: pair.from, to: pair.to }) })],
  ];
  const out: DuringWalk[] = [];
  for (const [walk, ask] of walks) {
    let ms = 0;
    const asked = (async () => {
      // The scrapes start first: the walk lands among them, as it would among Prometheus's.
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      const r = await ask();
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${walk}: ${r.status}`);
      ms = performance.now() - t0;
    })();
    const scrapes = await load(`${base}/metrics`, 1_000_000, 50, {}, asked);
    await asked;
    out.push({ walk, ms, scrapes });
  }
  return out;
}
