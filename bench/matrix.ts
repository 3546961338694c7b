// Bench: `netdiag matrix` end to end (a process, from snapshot files, JSON streamed to /dev/null) at three sizes,
// with its peak resident memory; a host where nothing can be shared; a fleet of 100 hosts; and beside them what
// walking pair by pair, or probing the pairs for real, would cost.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorld } from '../rules/model/build.js';
import { countPairs, eachPair } from '../rules/matrix/matrix.js';
import { walkFlow } from '../rules/walk/flow.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { REPO, nodeFlags } from '../test/lab/lab.js';
import { median, report } from './report.js';
import { syntheticHost } from './synthetic.js';

/** The binary measured: the build's own, or another (NETDIAG_BENCH_BIN: an older build, for before/after). */
const BIN = process.env.NETDIAG_BENCH_BIN ?? join(REPO, 'dist/netdiag.mjs');

/** The CLI as a user runs it, 3 times: median wall time and the largest peak RSS (reported by the child at exit). */
export async function cliMatrix(files: string[], args: string[] = ['--json'], bin = BIN): Promise<{ ms: number; rssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-rss-'));
  // A preload that writes the process's peak RSS (kB) to a file when it exits.
  const preload = join(dir, 'rss.cjs');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(join(dir, 'rss'))}, String(process.resourceUsage().maxRSS)));\n`);
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const out = openSync('/dev/null', 'w');
      const child = spawn(process.execPath, [...nodeFlags(), '--require', preload, bin, 'matrix', ...args, ...files.flatMap((f) => ['--snapshot', f])], { stdio: ['ignore', out, 'inherit'], timeout: 600_000 });
      child.on('exit', (code, signal) => (code === 0 || code === 3 ? resolve() : reject(new Error(`matrix ${signal ? `killed by ${signal}` : `exited ${code}`}`))));
      closeSync(out);
    });
    times.push(performance.now() - t0);
    rss = Math.max(rss, Number(readFileSync(join(dir, 'rss'), 'utf8')) / 1024);
  }
  rmSync(dir, { recursive: true, force: true });
  return { ms: median(times), rssMb: rss };
}

export function write(dir: string, snapshots: HostSnapshot[]): string[] {
  return snapshots.map((s, i) => {
    const f = join(dir, `h${i}.json`);
    writeFileSync(f, JSON.stringify(s));
    return f;
  });
}

/** The bench's fleet: hosts × 50 containers (5 networks of 10), on one LAN. */
export const fleetOf = (hosts: number): HostSnapshot[] => Array.from({ length: hosts }, (_, i) => syntheticHost(5, 10, `host${i}`, { lan: `10.60.0.${i + 1}`, subnetBase: 100 + (i % 150) }));

export async function benchMatrix(probeSeconds: { blocked: number; reachable: number } | null): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-'));
  const rows: [string, string, string][] = [];
  try {
    // Three sizes: 10, 100 and 1,000 containers, 20 to a network (the last is the goal's 50 networks).
    let at1000 = { ms: 0, rssMb: 0 };
    for (const [nets, per] of [[1, 10], [5, 20], [50, 20]] as const) {
      const n = nets * per;
      const r = await cliMatrix(write(join(dir), [syntheticHost(nets, per)]));
      if (n === 1000) at1000 = r;
      const pairs = n * (n - 1);
      rows.push([`netdiag matrix --json, ${n.toLocaleString('en')} containers on ${nets} network${nets === 1 ? '' : 's'}`, `${r.ms.toFixed(0)} ms`, `${pairs.toLocaleString('en')} pairs; peak RSS ${r.rssMb.toFixed(0)} MB${n === 1000 ? `; goal ≤ 1000 ms${r.ms <= 1000 ? '' : ', missed'}, streamed` : ''}`]);
    }
    const nd = await cliMatrix(write(dir, [syntheticHost(50, 20)]), ['--format', 'ndjson']);
    rows.push(['  the same, --format ndjson', `${nd.ms.toFixed(0)} ms`, `peak RSS ${nd.rssMb.toFixed(0)} MB`]);
    // Pair by pair, without sharing walks: time a sample and scale (the full million would take minutes).
    const world = buildWorld([syntheticHost(50, 20)]);
    const cs = world.hosts[0]!.containers;
    const sample = 2000;
    const t4 = performance.now();
    for (let i = 0; i < sample; i++) {
      const a = cs[i % cs.length]!;
      const b = cs[(i * 7 + 13) % cs.length]!;
      if (a !== b) walkFlow(world, { kind: 'container', container: a }, b.endpoints[0]!.ip, { proto: 'icmp', port: null }, 0, false);
    }
    const perWalk = (performance.now() - t4) / sample;
    rows.push(['  one walk per pair (no sharing), in process', `${((perWalk * 999_000) / 1000).toFixed(1)} s`, `${(perWalk * 1000).toFixed(0)} µs per walk × 999,000 pairs (measured on ${sample} walks); ${((perWalk * 999_000) / at1000.ms).toFixed(0)}× netdiag matrix`]);
    if (probeSeconds) {
      let reachable = 0;
      eachPair(world, { proto: 'icmp', port: null }, (p) => void (p.verdict === 'reachable' && reachable++));
      const probe = reachable * probeSeconds.reachable + (999_000 - reachable) * probeSeconds.blocked;
      rows.push(['  probing the same pairs for real (sequential)', `${(probe / 3600).toFixed(1)} h`, `${reachable.toLocaleString('en')} reachable × ${(probeSeconds.reachable * 1000).toFixed(0)} ms + ${(999_000 - reachable).toLocaleString('en')} blocked × ${(probeSeconds.blocked * 1000).toFixed(0)} ms (measured in the lab); ${(probe / (at1000.ms / 1000)).toFixed(0)}× netdiag matrix`]);
    }
    // Nothing to share: every container with DOCKER-USER rules of its own (150 containers, 300 rules naming pairs).
    const lone = await cliMatrix(write(dir, [syntheticHost(5, 30, 'collapse', { pairRules: true })]));
    rows.push(['netdiag matrix --json, 150 containers, each with rules of its own', `${lone.ms.toFixed(0)} ms`, `22,350 pairs, no two containers alike; goal ≤ 1000 ms${lone.ms <= 1000 ? '' : ', missed'}; peak RSS ${lone.rssMb.toFixed(0)} MB`]);
    // A fleet: 10, 30 and 100 hosts × 50 containers (5 networks of 10), one snapshot file each, on one LAN.
    for (const hosts of [10, 30, 100]) {
      const f = await cliMatrix(write(dir, fleetOf(hosts)), ['--format', 'ndjson']);
      const n = hosts * 50;
      const pairs = n * (n - 1);
      rows.push([`netdiag matrix --format ndjson, a fleet of ${hosts} hosts × 50 containers`, `${f.ms.toFixed(0)} ms`, `${pairs.toLocaleString('en')} pairs from ${hosts} snapshot files${hosts === 100 ? `; goal ≤ 1000 ms${f.ms <= 1000 ? '' : ', missed'}` : ''}; peak RSS ${f.rssMb.toFixed(0)} MB`]);
      rows.push(['  one walk per pair (no sharing), in process', `${((perWalk * pairs) / 1000 / 60).toFixed(1)} min`, `${(perWalk * 1000).toFixed(0)} µs per walk (as above) × ${pairs.toLocaleString('en')} pairs; ${((perWalk * pairs) / f.ms).toFixed(0)}× netdiag matrix`]);
      if (probeSeconds) {
        // The lab's probe times for the fleet's reachable and blocked pairs (counted by class pairs, as plans do).
        const reachable = countPairs(buildWorld(fleetOf(hosts)), { proto: 'icmp', port: null }, () => true).counts.reachable;
        const probe = reachable * probeSeconds.reachable + (pairs - reachable) * probeSeconds.blocked;
        rows.push(['  probing the same pairs for real (sequential)', `${(probe / 86_400).toFixed(0)} days`, `${reachable.toLocaleString('en')} reachable × ${(probeSeconds.reachable * 1000).toFixed(0)} ms + ${(pairs - reachable).toLocaleString('en')} blocked × ${(probeSeconds.blocked * 1000).toFixed(0)} ms; ${(probe / (f.ms / 1000)).toFixed(0)}× netdiag matrix`]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report('matrix, synthetic hosts (process end to end, output to /dev/null, median of 3)', rows);
}
