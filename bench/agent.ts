// Bench: the agent under load on a live lab host — latency percentiles and its resident memory.
import { readFileSync } from 'node:fs';
import type { Lab } from '../test/lab/lab.js';
import { seedScenario } from '../test/lab/scenarios.js';
import { report } from './report.js';

const REQUESTS = 10_000;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

export async function benchAgent(lab: Lab): Promise<void> {
  process.stderr.write('bench: starting an agent on the seed scenario…\n');
  const h = await seedScenario(lab, 'agent');
  // Refreshed every 15 s, as a deployed agent might be: a refresh may land during the load, and counts.
  // Without the per-client rate limit's effect (10,000 requests from one client): this measures the agent's own speed.
  const { daemon: agent } = await h.startAgent('bench-token-0123456789abcdef0123456789', { refresh: '15s', args: ['--rate-limit', '100000/s'] });
  const idle = rssMb(agent.pid);
  // Steady state, as a scraper sees it: each answer is computed once per snapshot, so one request first.
  const urls = ['/metrics', '/v1/why?from=alpine-01&to=redis-1', '/v1/matrix'].map((p) => `http://127.0.0.1:9700${p}`);
  for (const u of urls) await h.http(u);
  const [m, w, x] = [await h.load(urls[0]!, REQUESTS, 50), await h.load(urls[1]!, REQUESTS, 50), await h.load(urls[2]!, REQUESTS, 50)];
  const loaded = rssMb(agent.pid);
  await agent.stop();
  const row = (name: string, r: typeof m, goal?: number): [string, string, string] => [name, `p50 ${r.p50.toFixed(1)} ms`, `p99 ${r.p99.toFixed(1)} ms${goal ? ` (goal ≤ ${goal} ms${r.p99 <= goal ? '' : ', missed'})` : ''}, max ${r.max.toFixed(0)} ms; ${(r.requests / r.seconds).toFixed(0)} req/s; ${r.errors} errors`];
  report(`agent under load (${REQUESTS.toLocaleString('en')} requests each after one to warm it, concurrency 50, load generator on the same 2 cores)`, [
    row('GET /metrics', m, 20),
    row('GET /v1/why', w, 50),
    row('GET /v1/matrix', x),
    ['resident memory', `${loaded.toFixed(0)} MB`, `after the load (${idle.toFixed(0)} MB idle); goal ≤ 100 MB`],
  ]);
}
