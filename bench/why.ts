// Bench: `netdiag why` on a live lab host (collection included) at several sizes, as people and scripts call it — at a
// terminal, piped, with --json, and answered by this host's agent — beside the real probe it stands in for: the time
// must not grow with containers the question does not touch.
import { readFileSync } from 'node:fs';
import type { LabHost } from '../test/lab/lab.js';
import { NETDIAG_BIN, nodeFlags } from '../test/lab/lab.js';
import { median, timed } from './report.js';

export interface ProbeCost {
  blocked: number;
  reachable: number;
}

const GOAL_MS = 150;
const GOAL_RATIO = 7;
const RUNS = 7;

/**
 * CPU (user + system) of this process's children waited for so far, in ms (Linux's 100 ticks a second): around one
 * run, what that run cost whatever else the machine runs. On a 2-core machine shared by other sessions the wall time
 * is mostly waiting for a core; the CPU of the same runs says what a change saved.
 */
function childCpuMs(): number {
  const f = (readFileSync('/proc/self/stat', 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

const runs = async (n: number, fn: () => Promise<unknown>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(fn));
  return out;
};

/** A command line for `script -c` (a shell word each). */
const shellLine = (words: string[]) => words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');

/** `why c0 c1` in one mode; each must succeed as the question does (exit 1: blocked). */
function whyIn(h: LabHost, mode: 'terminal' | 'piped' | 'json' | 'agent', o: BenchOptions): () => Promise<unknown> {
  const bin = o.bin ?? NETDIAG_BIN;
  // c0 on n1 and c1 on n2: a blocked pair (Docker's isolation), the question operators ask.
  const args = ['why', 'c0', 'c1', ...(mode === 'json' ? ['--json'] : []), ...(mode === 'agent' ? [] : ['--no-agent'])];
  const check = (r: { exitCode: number; stdout: string; stderr: string }) => {
    if (r.exitCode !== 1) throw new Error(`netdiag ${args.join(' ')} (${mode}) exited ${r.exitCode}: ${r.stderr.trim()}`);
    if (mode === 'agent' && !r.stderr.includes('answered by the local agent')) throw new Error(`the agent did not answer: ${r.stderr.trim()}`);
    if (mode === 'terminal' && !r.stdout.includes('\u001b[')) throw new Error('script gave netdiag no terminal (no colour in its output)');
  };
  // At a terminal: util-linux script gives it a pty (stdout a TTY, as typed); -e passes the exit code back.
  if (mode === 'terminal') return async () => check(await h.exec('script', ['-qec', shellLine([process.execPath, ...nodeFlags(), bin, ...args]), '/dev/null'], 60_000));
  // Asked of the agent by name: when it does not answer, netdiag says why on stderr (and collects). Another build asks
  // the same agent (this build's) where it listens by default.
  if (mode === 'agent') return o.bin ? async () => check(await h.exec(process.execPath, [...nodeFlags(), bin, ...args], 60_000)) : async () => check(await h.netdiag(args, 60_000, { NETDIAG_AGENT: 'http://127.0.0.1:9700' }));
  return async () => check(await h.exec(process.execPath, [...nodeFlags(), bin, ...args], 60_000));
}

export interface BenchOptions {
  /** Another build of netdiag (an earlier commit's dist/netdiag.mjs, for figures before a change), asking this build's agent. */
  bin?: string;
  /** An earlier build run by turns with this one, in every mode (the agent's: on the same agent, 21 runs each). */
  alongside?: string;
}

/** NETDIAG_BENCH_WHY_MODES=agent,json…: only these modes (one helper's figure while iterating); default all four. */
const modes = (process.env.NETDIAG_BENCH_WHY_MODES ?? 'terminal,piped,json,agent').split(',');

const verdict = (ms: number, probe: number | null) => {
  const ratio = probe === null ? null : probe / ms;
  const missed = ms > GOAL_MS || (ratio !== null && ratio < GOAL_RATIO);
  return `${ratio === null ? '' : `${ratio.toFixed(1)}× a blocked probe; `}goal ≤ ${GOAL_MS} ms, ≥ ${GOAL_RATIO}×${missed ? ', missed' : ''}`;
};

/**
 * Rows for the why report at this size; at 50 also the probes it stands in for (their cost feeds the matrix bench).
 * `probes`: the blocked probe measured at an earlier size (the same pair, the same 1 s timeout), for the ratio.
 */
export async function benchWhyAt(h: LabHost, size: number, probesBefore: ProbeCost | null, o: BenchOptions = {}): Promise<{ rows: [string, string, string][]; why: number; probes: ProbeCost | null }> {
  let probes = probesBefore;
  const extra: [string, string, string][] = [];
  if (!probes) {
    const c1 = await h.ip('c1', 'n2');
    const c5 = await h.ip('c5', 'n1');
    const blocked = median(await runs(RUNS, () => h.probe('c0', c1)));
    const reachable = median(await runs(RUNS, () => h.probe('c0', c5)));
    const nodeAlone = median(await runs(RUNS, () => h.exec(process.execPath, ['-e', '0'])));
    const ptyAlone = median(await runs(RUNS, () => h.exec('script', ['-qec', 'true', '/dev/null'])));
    probes = { blocked: blocked / 1000, reachable: reachable / 1000 };
    extra.push(
      ['  docker exec ping, blocked pair (1 s timeout)', `${blocked.toFixed(0)} ms`, 'and it says nothing about why'],
      ['  docker exec ping, reachable pair', `${reachable.toFixed(0)} ms`, ''],
      ['  starting node alone; script (a pty) alone', `${nodeAlone.toFixed(0)} ms`, `${ptyAlone.toFixed(0)} ms (the terminal figures include it)`],
    );
  }
  const blockedMs = probes.blocked * 1000;
  const rows: [string, string, string][] = [];
  let piped = 0;
  for (const mode of ['terminal', 'piped', 'json'] as const) {
    if (!modes.includes(mode)) continue;
    const label = `netdiag why c0 c1, ${size} containers, ${mode === 'json' ? '--json' : mode === 'terminal' ? 'at a terminal' : 'piped'}`;
    const fn = whyIn(h, mode, o);
    await fn();
    if (!o.alongside) {
      const ms = median(await runs(RUNS, fn));
      if (mode === 'piped') piped = ms;
      rows.push([label, `${ms.toFixed(0)} ms`, verdict(ms, blockedMs)]);
      continue;
    }
    // An earlier build by turns with this one: both see the same machine state.
    const old = whyIn(h, mode, { bin: o.alongside });
    await old();
    const [now, then]: [number[], number[]] = [[], []];
    for (let i = 0; i < RUNS; i++) {
      now.push(await timed(fn));
      then.push(await timed(old));
    }
    const ms = median(now);
    if (mode === 'piped') piped = ms;
    rows.push([label, `${ms.toFixed(0)} ms`, verdict(ms, blockedMs)], [`  the same, ${o.alongside}`, `${median(then).toFixed(0)} ms`, `this build ${(ms / median(then)).toFixed(2)}× its time`]);
  }
  // This host's agent holding a fresh snapshot (refreshed every 5 minutes and on Docker's events): asked, not collected.
  if (!modes.includes('agent')) return { rows: [...rows, ...extra], why: piped, probes };
  // Its first collection at 500 containers on a busy 2-core machine took longer than the lab's usual 30 s.
  const { daemon } = await h.startAgent('bench-token-0123456789abcdef0123456789', { refresh: '5m', readyMs: 180_000 });
  try {
    const fn = whyIn(h, 'agent', o);
    // The first answer for a snapshot is computed (and the agent may still be taking in Docker's events from the
    // host's growth): asked until it answers, at most 10 times; every later answer is the agent's memo.
    let first = 0;
    let why: unknown = null;
    for (let i = 0; i < 10; i++) {
      why = null;
      first = await timed(() => fn().catch((e: unknown) => (why = e)));
      if (why === null) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (why !== null) rows.push([`netdiag why c0 c1, ${size} containers, answered by the local agent`, 'not answered', String((why as Error).message ?? why)]);
    else {
      // A run the agent did not answer (it collected instead) is counted and said, not timed as the agent's. With
      // `alongside` (an earlier build), its runs alternate with this build's on the same agent: the same machine state.
      const builds = [{ label: '', fn }, ...(o.alongside ? [{ label: `, ${o.alongside}`, fn: whyIn(h, 'agent', { bin: o.alongside }) }] : [])];
      if (o.alongside) await builds[1]!.fn().catch(() => undefined);
      const times: number[][] = builds.map(() => []);
      const cpu: number[] = builds.map(() => 0);
      const missed: string[][] = builds.map(() => []);
      // Node alone, CPU only: what every build's CPU includes.
      let nodeCpu = 0;
      for (let i = 0; i < RUNS; i++) {
        const c0 = childCpuMs();
        await h.exec(process.execPath, [...nodeFlags(), '-e', '0']);
        nodeCpu += childCpuMs() - c0;
      }
      for (let i = 0; i < RUNS * (o.alongside ? 3 : 1); i++) {
        for (const [j, b] of builds.entries()) {
          let miss: unknown = null;
          const c0 = childCpuMs();
          const t = await timed(() => b.fn().catch((e: unknown) => (miss = e)));
          if (miss === null) {
            times[j]!.push(t);
            cpu[j]! += childCpuMs() - c0;
          } else missed[j]!.push(String((miss as Error).message ?? miss));
        }
      }
      for (const [j, b] of builds.entries()) {
        const ms = times[j]!.length > 0 ? median(times[j]!) : NaN;
        const ratio = j > 0 ? `; this build ${(median(times[0]!) / ms).toFixed(2)}× its time, ${(cpu[0]! / times[0]!.length / (cpu[j]! / times[j]!.length)).toFixed(2)}× its CPU` : '';
        const cpuText = `; CPU ${(cpu[j]! / times[j]!.length).toFixed(0)} ms a run (node alone ${(nodeCpu / RUNS).toFixed(0)} ms)`;
        rows.push([`netdiag why c0 c1, ${size} containers, answered by the local agent${b.label}`, `${ms.toFixed(0)} ms`, `${verdict(ms, blockedMs)}${cpuText}; the first ask for a snapshot ${first.toFixed(0)} ms${ratio}${missed[j]!.length > 0 ? `; ${missed[j]!.length} of ${times[j]!.length + missed[j]!.length} not answered: ${missed[j]![0]}` : ''}`]);
      }
    }
  } finally {
    await daemon.stop();
  }
  return { rows: [...rows, ...extra], why: piped, probes };
}
