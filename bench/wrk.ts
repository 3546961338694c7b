// The agent bench's load from wrk (Debian's `wrk`, C, one thread) when it is installed: at concurrency 50 on 2 cores
// the generator takes CPU from the agent it measures, and node's own generator (load.ts) costs about half what a scrape
// costs the agent, and its event loop's delays are counted as the agent's latency. Absent, the bench says so and uses load.ts.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from './load.js';
import type { LoadResult } from './load.js';

export interface GeneratedLoad extends LoadResult {
  /** What made the load: `wrk` or `node` (load.ts). */
  generator: 'wrk' | 'node';
  /** The generator's own CPU (user + system, ms) over the run; null when it cannot be told. */
  generatorCpuMs: number | null;
}

/**
 * wrk's path, or null when it is not installed or NETDIAG_BENCH_LOAD=node asks for node's generator (to compare the
 * two, or where wrk is missing on purpose).
 */
export function wrkPath(): string | null {
  if (process.env.NETDIAG_BENCH_LOAD === 'node') return null;
  // PATH searched here, as `command -v` would, without a shell.
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      accessSync(join(dir, 'wrk'), constants.X_OK);
      return join(dir, 'wrk');
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

// wrk's summary as one line, and its own CPU read from /proc/self/stat (clock ticks: utime, stime) as it ends. No
// request() or response() hook: either would run Lua for every request and make wrk as costly as what it replaces.
const DONE_LUA = `done = function(summary, latency, requests)
  local f = io.open("/proc/self/stat"); local s = f:read("*a"); f:close()
  local i, ut, st = 0, -1, -1
  for w in s:match("%) (.*)"):gmatch("%S+") do i = i + 1; if i == 12 then ut = w elseif i == 13 then st = w end end
  local e = summary.errors
  io.write(string.format("NETDIAG-WRK %d %d %d %d %d %d %d %d %d %d %s %s\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, ut, st))
end
`;
let script: string | null = null;

/**
 * GET `url` from `concurrency` kept-alive connections, each sending its next request when the last is answered (a
 * closed loop, like load.ts; latency from a request's write to its response's last byte), for `seconds` or until `until`
 * settles (wrk is then interrupted and prints what it measured). A stall delays the requests in flight, not those a
 * fixed-rate client would have sent meanwhile (coordinated omission): p99 under-counts a stall, max does not.
 */
export async function wrkLoad(wrk: string, url: string, concurrency: number, opts: { seconds?: number; until?: Promise<unknown> }): Promise<GeneratedLoad> {
  if (!script) {
    script = join(mkdtempSync(join(tmpdir(), 'netdiag-wrk-')), 'done.lua');
    writeFileSync(script, DONE_LUA);
  }
  const seconds = opts.until ? 3600 : (opts.seconds ?? 5);
  // One thread: one core at most, as load.ts. A scrape stalled for seconds is still measured (wrk's default is 2 s, and
  // a request past it is left out of the latencies).
  const child = spawn(wrk, ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '60s', '-s', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void opts.until?.then(
    () => child.kill('SIGINT'),
    () => child.kill('SIGINT'),
  );
  const code = await exited;
  const m = /^NETDIAG-WRK (.*)$/m.exec(out);
  if (!m) throw new Error(`wrk (exit ${code}) printed no summary: ${out.slice(0, 500)}`);
  const [requests, durationUs, p50, p99, max, connect, read, write, status, timeout, utime, stime] = (m[1] as string).split(' ').map(Number) as number[];
  const errors = (connect ?? 0) + (read ?? 0) + (write ?? 0) + (status ?? 0) + (timeout ?? 0);
  const ok = (requests ?? 0) - (status ?? 0);
  return {
    url,
    requests: requests ?? 0,
    errors,
    // wrk counts statuses of 400 and over, not each code.
    statuses: { 'below 400': ok, '400 or over': status ?? 0 },
    p50: (p50 ?? 0) / 1000,
    p99: (p99 ?? 0) / 1000,
    max: (max ?? 0) / 1000,
    seconds: (durationUs ?? 0) / 1e6,
    generator: 'wrk',
    generatorCpuMs: utime! >= 0 && stime! >= 0 ? (utime! + stime!) * 10 : null,
  };
}

/**
 * The agent bench's load on `url` at `concurrency`: from wrk (`wrk`: its path) for `seconds` or until `until`, else
 * from node's generator (null) for `requests` or until `until`; with the generator's own CPU either way.
 */
export async function benchLoad(wrk: string | null, url: string, concurrency: number, opts: { requests: number; seconds: number; until?: Promise<unknown> }): Promise<GeneratedLoad> {
  if (wrk) return wrkLoad(wrk, url, concurrency, opts);
  const cpu0 = process.cpuUsage();
  const r = await load(url, opts.until ? 1_000_000 : opts.requests, concurrency, {}, opts.until);
  const cpu = process.cpuUsage(cpu0);
  return { ...r, generator: 'node', generatorCpuMs: (cpu.user + cpu.system) / 1000 };
}
