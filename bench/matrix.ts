// Bench: the engine alone — `matrix` over a synthetic host of 1,000 containers on 50 networks, walked pair by pair
// versus with shared walks for containers every rule treats alike; and what probing the same pairs would cost.
import { buildWorld } from '../rules/model/build.js';
import { matrix } from '../rules/matrix.js';
import type { MatrixStats } from '../rules/matrix.js';
import { walkFlow } from '../rules/walk/flow.js';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, nodeFlags } from '../test/lab/lab.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

/** The CLI end to end, as a user runs it: read the snapshot, walk, stream 100 MB of JSON to /dev/null. */
async function cliMatrix(file: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const out = openSync('/dev/null', 'w');
      const child = spawn(process.execPath, [...nodeFlags(), join(REPO, 'dist/cli/bin.js'), 'matrix', '--json', '--snapshot', file], { stdio: ['ignore', out, 'inherit'], timeout: 600_000 });
      child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`matrix ${signal ? `killed by ${signal} (10 min timeout)` : `exited ${code}`}`))));
      closeSync(out);
    });
    times.push(performance.now() - t0);
  }
  return times;
}

export async function benchMatrix(probeSeconds: { blocked: number; reachable: number } | null): Promise<void> {
  const s = syntheticHost(50, 20);
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-'));
  const file = join(dir, 'synthetic-1000.json');
  writeFileSync(file, JSON.stringify(s));
  const cli = await cliMatrix(file);
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const world = buildWorld([s]);
  const t1 = performance.now();
  const stats = {} as MatrixStats;
  const pairs = matrix(world, { proto: 'icmp', port: null }, stats);
  const t2 = performance.now();
  const json = JSON.stringify({ pairs });
  const t3 = performance.now();
  // Pair by pair, without sharing: time a sample and scale (the full million would take minutes).
  const cs = world.hosts[0]!.containers;
  const sample = 2000;
  const t4 = performance.now();
  for (let i = 0; i < sample; i++) {
    const a = cs[i % cs.length]!;
    const b = cs[(i * 7 + 13) % cs.length]!;
    if (a !== b) walkFlow(world, { kind: 'container', container: a }, b.endpoints[0]!.ip, { proto: 'icmp', port: null }, 0, false);
  }
  const perWalk = (performance.now() - t4) / sample;
  const total = t3 - t0;
  const rows: [string, string, string][] = [
    ['netdiag matrix --json --snapshot (process, end to end)', `${median(cli).toFixed(0)} ms`, `goal ≤ 2000 ms; median of 3, output to /dev/null`],
    ['  in process: model + walks + JSON.stringify', `${total.toFixed(0)} ms`, `${stats.pairs.toLocaleString('en')} pairs, ${stats.classes} classes, ${stats.walks.toLocaleString('en')} walks; build ${(t1 - t0).toFixed(0)} ms, walks ${(t2 - t1).toFixed(0)} ms, JSON ${(t3 - t2).toFixed(0)} ms (${(json.length / 1e6).toFixed(0)} MB)`],
    ['  one walk per pair (no sharing), in process', `${((perWalk * stats.pairs) / 1000).toFixed(1)} s`, `${(perWalk * 1000).toFixed(0)} µs per walk × ${stats.pairs.toLocaleString('en')} pairs (measured on ${sample} walks); ${((perWalk * stats.pairs) / total).toFixed(0)}× the shared walks`],
  ];
  if (probeSeconds) {
    const reachable = pairs.filter((p) => p.verdict === 'reachable').length;
    const probe = reachable * probeSeconds.reachable + (pairs.length - reachable) * probeSeconds.blocked;
    rows.push(['probing the same pairs for real (sequential)', `${(probe / 3600).toFixed(1)} h`, `${reachable.toLocaleString('en')} reachable × ${(probeSeconds.reachable * 1000).toFixed(0)} ms + ${(pairs.length - reachable).toLocaleString('en')} blocked × ${(probeSeconds.blocked * 1000).toFixed(0)} ms (measured on the lab host); ${(probe / (median(cli) / 1000)).toFixed(0)}× netdiag matrix`]);
  }
  report('matrix, synthetic host: 1,000 containers on 50 networks', rows);
}
