// Bench: the agent as deployed (the binary, its #! node flags) serving saved snapshots at three sizes — the captured
// seed host and synthetic hosts of 150 and 500 containers (`agent --snapshot`: walks measured without Docker) —
// /metrics at concurrency 50 idle and while each kind of walk runs, its resident memory, and one refresh's cost.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../test/lab/lab.js';
import { WALKER_IDLE_MS } from '../agent/walker.js';
import type { LoadResult } from './load.js';
import { benchRefresh } from './refresh.js';
import { report } from './report.js';
import { metricsDuringWalks } from './stall.js';
import { syntheticHost } from './synthetic.js';
import { benchLoad, wrkPath } from './wrk.js';

/** The idle load: this many scrapes from node's generator, or this long from wrk (~20 times as many scrapes, for the same cost to the generator). */
const REQUESTS = 10_000;
const SECONDS = 3;
const GOAL_P99 = 5;
const GOAL_MAX_WALK = 20;
const GOAL_RSS = 64;

/** The binary measured: the build's own, or another (NETDIAG_BENCH_BIN: an older build, for before/after). */
const BIN = process.env.NETDIAG_BENCH_BIN ?? join(REPO, 'dist/netdiag.mjs');
/** NODE_OPTIONS for the agent only (NETDIAG_BENCH_AGENT_NODE_OPTIONS), as a systemd unit's Environment= would give it. */
const AGENT_NODE_OPTIONS = process.env.NETDIAG_BENCH_AGENT_NODE_OPTIONS ?? '';
/** The unit operators install: the agent is started with its Environment= lines, as systemd starts it (NETDIAG_BENCH_UNIT: another build's unit, for before/after). */
const UNIT = process.env.NETDIAG_BENCH_UNIT ?? join(REPO, 'deploy/systemd/netdiag-agent.service');

/** The unit's Environment=NAME=VALUE lines (one assignment each, as ours are written). */
export function unitEnvironment(unit = UNIT): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of readFileSync(unit, 'utf8').matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/gm)) env[m[1] as string] = m[2] as string;
  return env;
}

/** CPU time (user + system, ms) a process has used, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) * 10;
};

export interface Size {
  name: string;
  file: string;
  /** A blocked pair (why and fixes walk it). */
  from: string;
  to: string;
}

export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

export const latency = (r: LoadResult) => `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms`;

export const goal = (what: string, value: number, limit: number) => `${what} ≤ ${limit} ms${value <= limit ? ', met' : ', missed'}`;

/** The node flags the binary's #! line gives (`env -S node …`), so it runs as users run it. */
function flagsOf(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  return (/^#!\/usr\/bin\/env -S node (.*)$/.exec(first)?.[1] ?? '').split(' ').filter(Boolean);
}

export interface Agent {
  pid: number;
  base: string;
  stop(): Promise<void>;
}

/** `netdiag agent --snapshot FILE` on a free port, without a rate limit (one client measures speed here). */
async function startAgent(file: string): Promise<Agent> {
  const env = { ...process.env, ...unitEnvironment(), NODE_OPTIONS: AGENT_NODE_OPTIONS };
  const child = spawn(process.execPath, [...flagsOf(BIN), BIN, 'agent', '--snapshot', file, '--listen', '127.0.0.1:0', '--rate-limit', '100000/s'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const base = await new Promise<string>((resolve, reject) => {
    const seen = (b: Buffer) => {
      out += b.toString();
      const m = /on https?:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}): ${out.slice(0, 500)}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid as number,
    base,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The sizes: the captured seed host, and synthetic hosts of 150 and 500 containers (every container with rules of its own). */
export function sizes(): Size[] {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-agent-'));
  const synth = (networks: number, per: number): Size => {
    const file = join(dir, `synthetic-${networks * per}.json`);
    writeFileSync(file, JSON.stringify(syntheticHost(networks, per, 'collapse', { pairRules: true })));
    return { name: `${networks * per} containers (synthetic, ${networks} networks)`, file, from: 'c0-0', to: 'c1-3' };
  };
  return [{ name: 'seed host (3 containers, captured)', file: join(REPO, 'examples/seed-host.json'), from: 'alpine-01', to: 'redis-1' }, synth(5, 30), synth(10, 50)];
}

async function until(what: string, fn: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const t0 = performance.now();
  while (!(await fn().catch(() => false))) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `refresh`: also time one refresh on 500 containers (in-process, with this build's code). */
export async function benchAgent(opts: { refresh?: boolean } = {}): Promise<void> {
  const rows: [string, string, string][] = [];
  const busy = loadavg()[0] ?? 0;
  const wrk = wrkPath();
  if (!wrk) process.stderr.write(`bench: wrk is not ${process.env.NETDIAG_BENCH_LOAD === 'node' ? 'used (NETDIAG_BENCH_LOAD=node)' : 'installed (apt-get install wrk)'}: the load comes from node's generator, which takes more of the 2 cores from the agent\n`);
  for (const size of sizes()) {
    process.stderr.write(`bench: the agent on the ${size.name}…\n`);
    const agent = await startAgent(size.file);
    try {
      // Idle: the reachability series computed (the walk every refresh starts), nothing asked yet.
      await until('the reachability series', async () => (await (await fetch(`${agent.base}/metrics`)).text()).includes('netdiag_network_pairs_reachable'));
      await new Promise((r) => setTimeout(r, 1000));
      const idleRss = rssMb(agent.pid);
      // What one scrape costs each side in CPU: the agent's p99 at c50 is about the queue ahead of a scrape times its
      // cost, and the load generator's own CPU is taken from the same 2 cores.
      const agent0 = cpuMs(agent.pid);
      const idle = await benchLoad(wrk, `${agent.base}/metrics`, 50, { requests: REQUESTS, seconds: SECONDS });
      const agentUs = ((cpuMs(agent.pid) - agent0) * 1000) / idle.requests;
      const genUs = idle.generatorCpuMs === null ? null : (idle.generatorCpuMs * 1000) / idle.requests;
      // The same idle load from node's generator beside wrk's: what the generator's own cost does to the figure.
      const byNode = wrk ? await benchLoad(null, `${agent.base}/metrics`, 50, { requests: REQUESTS, seconds: SECONDS }) : null;
      const walks = await metricsDuringWalks(agent.base, size, wrk);
      const whyHit = await benchLoad(wrk, `${agent.base}/v1/why?from=${size.from}&to=${size.to}`, 50, { requests: REQUESTS, seconds: SECONDS });
      await new Promise((r) => setTimeout(r, 1000));
      const loadedRss = rssMb(agent.pid);
      // Once the walker thread has ended (idle for WALKER_IDLE_MS): what the agent holds between walks.
      await new Promise((r) => setTimeout(r, WALKER_IDLE_MS + 1000));
      const settledRss = rssMb(agent.pid);
      const worst = Math.max(...walks.map((w) => w.scrapes.max));
      rows.push(
        [`${size.name}: GET /metrics idle`, latency(idle), `${goal('p99', idle.p99, GOAL_P99)}; ${(idle.requests / idle.seconds).toFixed(0)} req/s; ${idle.errors} errors; CPU per scrape: agent ${agentUs.toFixed(0)} µs, load generator (${idle.generator}) ${genUs === null ? 'not told' : `${genUs.toFixed(0)} µs`}`],
        ...(byNode ? [[`  … from node's generator instead`, latency(byNode), `${(byNode.requests / byNode.seconds).toFixed(0)} req/s; ${byNode.errors} errors; its CPU per scrape ${(((byNode.generatorCpuMs ?? 0) * 1000) / byNode.requests).toFixed(0)} µs`] as [string, string, string]] : []),
        ...walks.map((w): [string, string, string] => [`  … while ${w.walk} (${w.ms.toFixed(0)} ms)`, latency(w.scrapes), `${goal('max', w.scrapes.max, GOAL_MAX_WALK)}; ${w.scrapes.requests} scrapes, ${w.scrapes.errors} errors`]),
        [`  GET /v1/why (remembered)`, latency(whyHit), `${(whyHit.requests / whyHit.seconds).toFixed(0)} req/s; ${whyHit.errors} errors`],
        [`  resident memory`, `${idleRss.toFixed(0)} MB idle`, `${loadedRss.toFixed(0)} MB 1 s after the load, ${settledRss.toFixed(0)} MB ${(WALKER_IDLE_MS / 1000 + 1).toFixed(0)} s later, the walker thread ended (goal ≤ ${GOAL_RSS} MB${Math.min(loadedRss, settledRss) <= GOAL_RSS ? (loadedRss <= GOAL_RSS ? ', met' : ', met once the walker ended') : ', missed'}); worst /metrics during a walk ${worst.toFixed(0)} ms`],
      );
    } finally {
      await agent.stop();
    }
  }
  const unitEnv = Object.entries(unitEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ');
  report(
    `agent /metrics at concurrency 50 (${wrk ? `${SECONDS} s` : `${REQUESTS.toLocaleString('en')} scrapes`} idle; during each walk until it ends), served from saved snapshots by ${BIN === join(REPO, 'dist/netdiag.mjs') ? 'this build' : BIN} started as the systemd unit starts it (node ${flagsOf(BIN).join(' ')}${unitEnv ? `, ${unitEnv} from ${UNIT.replace(`${REPO}/`, '')}` : ''}${AGENT_NODE_OPTIONS ? `, NODE_OPTIONS=${AGENT_NODE_OPTIONS}` : ''}); the load: ${wrk ? `wrk (${wrk}, one thread, C)` : 'this bench process (wrk not installed: apt-get install wrk)'}, another process than the agent's, 50 kept-alive connections each sending its next request when the last is answered (a closed loop: a stall delays the requests in flight, not those a fixed-rate scraper would have sent meanwhile, so p99 under-counts stalls and max does not), sharing the 2 cores (load average ${busy.toFixed(1)} when it started)`,
    rows,
  );
  if (opts.refresh ?? true) await benchRefresh();
}
