// Runs inside a lab host's network namespace (via nsenter): one HTTP request, or a load run, printed as JSON.
import { load } from '../../bench/load.js';

const [mode, url, a, b, c] = process.argv.slice(2);
if (mode === 'load') {
  const init: RequestInit = c ? JSON.parse(c) : {};
  process.stdout.write(JSON.stringify(await load(url as string, Number(a), Number(b), init)));
} else {
  const init: RequestInit = a ? JSON.parse(a) : {};
  try {
    const res = await fetch(url as string, { ...init, signal: AbortSignal.timeout(20_000) });
    process.stdout.write(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ status: 0, headers: {}, body: String((error as { cause?: unknown }).cause ?? error) }));
  }
}
