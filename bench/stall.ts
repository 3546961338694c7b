// Bench: the agent's /metrics while each kind of walk runs (matrix, grid, map, why, fixes), each asked for the first
// time (nothing remembered): scrapes at concurrency 50 (wrk, or the bench process) for as long as the walk takes, the walk
// asked by curl.
import { execFile } from 'node:child_process';
import { benchLoad } from './wrk.js';
import type { GeneratedLoad } from './wrk.js';

export interface DuringWalk {
  walk: string;
  /** How long the walk's own request took. */
  ms: number;
  scrapes: GeneratedLoad;
}

/** `wrk`: wrk's path (the load from it), or null (from node's generator). */
export async function metricsDuringWalks(base: string, pair: { from: string; to: string }, wrk: string | null): Promise<DuringWalk[]> {
  const q = `from=${encodeURIComponent(pair.from)}&to=${encodeURIComponent(pair.to)}`;
  const walks: [string, string[]][] = [
    ['the matrix is walked', [`${base}/v1/matrix`]],
    ['the grid is walked', [`${base}/v1/grid`]],
    ['the map is laid out (svg)', [`${base}/v1/map?format=svg`]],
    ['why is walked (fixes included)', [`${base}/v1/why?${q}`]],
    ['fixes are searched', ['-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify({ from: pair.from, to: pair.to }), `${base}/v1/fixes`]],
  ];
  const out: DuringWalk[] = [];
  for (const [walk, args] of walks) {
    let ms = 0;
    const asked = (async () => {
      // The scrapes start first: the walk lands among them, as it would among Prometheus's.
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      // Asked by another process (curl): reading a 26 MB matrix here would stall the load generator, not the agent.
      const status = await new Promise<string>((resolve, reject) => execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '300', ...args], (e, stdout) => (e ? reject(e) : resolve(stdout))));
      if (status !== '200') throw new Error(`${walk}: ${status}`);
      ms = performance.now() - t0;
    })();
    const scrapes = await benchLoad(wrk, `${base}/metrics`, 50, { requests: 1_000_000, seconds: 3600, until: asked });
    await asked;
    out.push({ walk, ms, scrapes });
  }
  return out;
}
