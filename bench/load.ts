// A bounded HTTP load: N requests at concurrency C against one URL, with latencies and errors counted. Like wrk, a
// fixed request on each kept-alive connection and a minimal response reader (status line, Content-Length): the
// generator shares the 2 cores with the agent it measures, and node's HTTP client (or fetch) costs it several times
// more CPU per request, which would be counted as the agent's latency.
import net from 'node:net';

export interface LoadResult {
  url: string;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
}

/** One connection sending requests one after another, each timed from write to the last byte of its response. */
function connection(target: URL, request: Buffer, take: () => boolean, done: (status: number | string, ms: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(target.port || 80), target.hostname);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let started = 0;
    const next = () => {
      if (!take()) {
        socket.end();
        return resolve();
      }
      started = performance.now();
      socket.write(request);
    };
    socket.on('connect', next);
    socket.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
        if (!Number.isFinite(length)) {
          done('no content-length', performance.now() - started);
          socket.destroy();
          return resolve();
        }
        if (buf.length < end + 4 + length) return;
        done(Number(head.slice(9, 12)), performance.now() - started);
        buf = buf.subarray(end + 4 + length);
        next();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      done(e.code ?? e.message, performance.now() - started);
      resolve();
    });
    socket.setTimeout(30_000, () => socket.destroy(new Error('timeout')));
  });
}

/** `until`: when it settles, no more requests are started (a measurement for as long as something else runs). */
export async function load(url: string, requests: number, concurrency: number, init: RequestInit = {}, until?: Promise<unknown>): Promise<LoadResult> {
  let stopped = false;
  void until?.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  const target = new URL(url);
  const headers = Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const body = typeof init.body === 'string' ? init.body : '';
  const request = Buffer.from(`${init.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n${headers}${body ? `content-length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, () =>
      connection(
        target,
        request,
        () => !stopped && issued < requests && ++issued > 0,
        (status, ms) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (typeof status !== 'number' || status < 200 || status >= 300) errors++;
          latencies.push(ms);
        },
      ),
    ),
  );
  // Requests a broken connection never sent are errors too (those never started after `until` are not requests).
  if (stopped) requests = issued;
  errors += requests - latencies.length;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { url, requests, errors, statuses, p50: q(0.5), p99: q(0.99), max: q(1), seconds: (performance.now() - t0) / 1000 };
}
