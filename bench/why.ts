// Bench: `netdiag why` on a live lab host (collection included) at several sizes, beside the real probe it stands in
// for: the time must not grow with containers the question does not touch.
import type { LabHost } from '../test/lab/lab.js';
import { median } from './report.js';

export interface ProbeCost {
  blocked: number;
  reachable: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const runs = async (n: number, fn: () => Promise<unknown>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(fn));
  return out;
};

async function whyAt(h: LabHost): Promise<number> {
  // c0 on n1 and c1 on n2: a blocked pair (Docker's isolation), the question operators ask.
  await h.netdiag(['why', 'c0', 'c1']);
  return median(await runs(7, () => h.netdiag(['why', 'c0', 'c1'])));
}

/** Rows for the why report at this size; at 50 also the probes it stands in for (their cost feeds the matrix bench). */
export async function benchWhyAt(h: LabHost, size: number, at50: number | null): Promise<{ rows: [string, string, string][]; why: number; probes: ProbeCost | null }> {
  const why = await whyAt(h);
  if (size !== 50) return { rows: [[`netdiag why c0 c1, ${size} containers`, `${why.toFixed(0)} ms`, at50 ? `${(why / at50).toFixed(2)}× the time at 50` : 'the same question on a smaller host']], why, probes: null };
  const c1 = await h.ip('c1', 'n2');
  const c5 = await h.ip('c5', 'n1');
  const nodeAlone = median(await runs(7, () => h.exec(process.execPath, ['-e', '0'])));
  const blocked = median(await runs(7, () => h.probe('c0', c1)));
  const reachable = median(await runs(7, () => h.probe('c0', c5)));
  return {
    why,
    probes: { blocked: blocked / 1000, reachable: reachable / 1000 },
    rows: [
      [`netdiag why c0 c1, ${size} containers (collect + explain)`, `${why.toFixed(0)} ms`, `goal ≤ 250 ms${why <= 250 ? '' : ', missed'}; starting node alone: ${nodeAlone.toFixed(0)} ms`],
      ['  docker exec ping, blocked pair (1 s timeout)', `${blocked.toFixed(0)} ms`, `${(blocked / why).toFixed(1)}× netdiag (goal ≥ 4×${blocked / why >= 4 ? '' : ', missed'}), and it says nothing about why`],
      ['  docker exec ping, reachable pair', `${reachable.toFixed(0)} ms`, `${(reachable / why).toFixed(1)}× netdiag`],
    ],
  };
}
