// Bench: `netdiag why` on a live lab host (collection included), beside the real probes it stands in for.
import { Lab } from '../test/lab/lab.js';
import { seedScenario } from '../test/lab/scenarios.js';
import { median, report } from './report.js';

export interface ProbeCost {
  blocked: number;
  reachable: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchWhy(lab: Lab): Promise<ProbeCost> {
  process.stderr.write('bench: starting the seed scenario for `why`…\n');
  const h = await seedScenario(lab, 'why');
  const redis1 = await h.ip('redis-1', 'net-redis');
  const redis2 = await h.ip('redis-2', 'net-redis');
  await h.netdiag(['why', 'alpine-01', 'redis-1']);
  const why: number[] = [];
  const blocked: number[] = [];
  const reachable: number[] = [];
  const nodeAlone: number[] = [];
  // Each kind measured in a run of its own: docker exec keeps dockerd busy for a while after it returns.
  await new Promise((r) => setTimeout(r, 2000));
  for (let i = 0; i < 7; i++) why.push(await timed(() => h.netdiag(['why', 'alpine-01', 'redis-1'])));
  for (let i = 0; i < 7; i++) nodeAlone.push(await timed(() => h.exec(process.execPath, ['-e', '0'])));
  for (let i = 0; i < 7; i++) blocked.push(await timed(() => h.probe('alpine-01', redis1)));
  for (let i = 0; i < 7; i++) reachable.push(await timed(() => h.probe('redis-1', redis2)));
  report('why on a live host (3 containers; wall, median of 7)', [
    ['netdiag why alpine-01 redis-1 (collect + explain + fixes)', `${median(why).toFixed(0)} ms`, `goal ≤ 500 ms; of which starting node alone: ${median(nodeAlone).toFixed(0)} ms`],
    ['docker exec ping, blocked pair (1 s timeout)', `${median(blocked).toFixed(0)} ms`, `${(median(blocked) / median(why)).toFixed(1)}× netdiag, and it says nothing about why`],
    ['docker exec ping, reachable pair', `${median(reachable).toFixed(0)} ms`, `${(median(reachable) / median(why)).toFixed(1)}× netdiag`],
  ]);
  return { blocked: median(blocked) / 1000, reachable: median(reachable) / 1000 };
}
