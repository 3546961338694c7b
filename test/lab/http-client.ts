// Runs inside a lab host's network namespace (via nsenter): one HTTP request, a load run, a load measured while a
// burst runs, or raw requests on raw sockets (the bytes exactly as given, optionally dripped byte by byte), as JSON.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { load } from '../../bench/load.js';

/** One raw request: its bytes (base64), sent at once or one byte every `byteDelayMs`. */
export interface RawRequest {
  data: string;
  byteDelayMs?: number;
  timeoutMs?: number;
}
/** What came back: the status line's code (0: none), how long until the server closed, and how it ended. */
export interface RawResult {
  status: number;
  ms: number;
  end: 'closed' | 'timeout' | 'error';
  head: string;
}

function rawOnce(target: URL, r: RawRequest): Promise<RawResult> {
  return new Promise((resolve) => {
    const data = Buffer.from(r.data, 'base64');
    const t0 = performance.now();
    const socket = net.connect(Number(target.port || 80), target.hostname);
    let buf = '';
    let done = false;
    let drip: NodeJS.Timeout | undefined;
    const finish = (end: RawResult['end']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(drip);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(buf)?.[1] ?? 0), ms: performance.now() - t0, end, head: buf.slice(0, 400) });
    };
    const timer = setTimeout(() => finish('timeout'), r.timeoutMs ?? 20_000);
    socket.on('connect', () => {
      if (!r.byteDelayMs) return void socket.write(data);
      let i = 0;
      drip = setInterval(() => {
        if (i < data.length && socket.writable) socket.write(data.subarray(i, ++i));
      }, r.byteDelayMs);
    });
    socket.on('data', (d) => void (buf += d.toString('latin1')));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish(buf ? 'closed' : 'error'));
  });
}

async function raw(url: string, file: string, concurrency: number): Promise<RawResult[]> {
  const target = new URL(url);
  const reqs = JSON.parse(readFileSync(file, 'utf8')) as RawRequest[];
  const out: RawResult[] = new Array(reqs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < reqs.length) {
        const i = next++;
        out[i] = await rawOnce(target, reqs[i] as RawRequest);
      }
    }),
  );
  return out;
}

const [mode, url, a, b, c, d, e] = process.argv.slice(2);
if (mode === 'load') {
  const init: RequestInit = c ? JSON.parse(c) : {};
  process.stdout.write(JSON.stringify(await load(url as string, Number(a), Number(b), init)));
} else if (mode === 'during') {
  // A burst against `url` (a requests at concurrency b) while `c` is measured at concurrency d for as long as it lasts.
  const burst = load(url as string, Number(a), Number(b), e ? JSON.parse(e) : {});
  const measured = load(c as string, 1_000_000, Number(d), {}, burst);
  process.stdout.write(JSON.stringify({ burst: await burst, measured: await measured }));
} else if (mode === 'raw') {
  process.stdout.write(JSON.stringify(await raw(url as string, a as string, Number(b ?? 1))));
} else {
  const init: RequestInit = a ? JSON.parse(a) : {};
  try {
    const res = await fetch(url as string, { ...init, signal: AbortSignal.timeout(20_000) });
    process.stdout.write(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ status: 0, headers: {}, body: String((error as { cause?: unknown }).cause ?? error) }));
  }
}
