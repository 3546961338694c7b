// The agent under abuse, through app.inject on the captured seed host: the Host check (DNS rebinding), CSRF on POST
// routes, security headers and the page's CSP, the rate limit per client, the walk gate and deadline, URL and body sizes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildApp } from '../../../agent/app.js';
import type { GuardOptions } from '../../../agent/guards.js';
import { csrfRefusal, hostName, hostRefusal, pageCsp } from '../../../agent/guards.js';
import { LimitConfigError, RateLimiter, WalkGate, clientKey, defaultLimits, parseMaxWalks, parseRate } from '../../../agent/limits.js';
import type { LimitOptions } from '../../../agent/limits.js';
import { runSliced } from '../../../agent/sliced.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { untouchableHost } from '../recording-host.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';
import { mapPage } from '../../../present/map/page.js';
import { main } from '../../../cli/main.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
const TOKEN = 'a-token-of-sufficient-length-0123456789';

async function app(o: { guards?: GuardOptions; limits?: Partial<LimitOptions> } = {}): Promise<FastifyInstance> {
  const store = SnapshotStore.fixed(seed);
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  metrics.observeRefresh(seed);
  return buildApp({ store, metrics, ledger, token: TOKEN, stateDir, host: untouchableHost(), hostName: seed.name, ...(o.guards ? { guards: o.guards } : {}), ...(o.limits ? { limits: defaultLimits(o.limits) } : {}) });
}

const LOOPBACK: GuardOptions = { listenHost: '127.0.0.1', allowedHosts: [] };
const fixBody = JSON.stringify({ from: 'alpine-01', to: 'redis-1' });
const postFixes = (a: FastifyInstance, headers: Record<string, string> = {}, body = fixBody) => a.inject({ method: 'POST', url: '/v1/fixes', headers: { 'content-type': 'application/json', ...headers }, payload: body });

describe('the Host check: a DNS-rebinding page is refused on a loopback bind', () => {
  it.each(['/healthz', '/metrics', '/ui', '/v1/snapshot', '/v1/matrix', '/openapi.json'])('GET %s with Host: rebind.attacker.example:9700 is 403, naming the Host and --allowed-host', async (url) => {
    const a = await app({ guards: LOOPBACK });
    const r = await a.inject({ url, headers: { host: 'rebind.attacker.example:9700' } });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: 'Forbidden' });
    expect(r.json().message).toContain('"rebind.attacker.example"');
    expect(r.json().message).toContain('--allowed-host');
    // The refusal carries no answer of the route.
    expect(r.body).not.toContain('alpine-01');
    await a.close();
  });

  it('is the first check of all: a rebinding request to a mutating route gets 403, not 401 (it learns nothing of the token)', async () => {
    const a = await app({ guards: LOOPBACK });
    const r = await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000', headers: { host: 'rebind.attacker.example:9700' } });
    expect(r.statusCode).toBe(403);
    expect(r.headers['www-authenticate']).toBeUndefined();
    await a.close();
  });

  it.each(['localhost', 'localhost:9700', 'LOCALHOST:9700', 'netdiag.localhost:9700', '127.0.0.1:9700', '127.1.2.3', '[::1]:9700', 'localhost.:9700'])('Host %s is a loopback name: answered', async (host) => {
    const a = await app({ guards: LOOPBACK });
    expect((await a.inject({ url: '/healthz', headers: { host } })).statusCode).toBe(200);
    await a.close();
  });

  it('the listen address and --allowed-host names are answered; other names and 127.evil.example are not', async () => {
    const a = await app({ guards: { listenHost: '::1', allowedHosts: ['netdiag.proxy.example'] } });
    const status = async (host: string) => (await a.inject({ url: '/v1/status', headers: { host } })).statusCode;
    expect(await status('[::1]:9700')).toBe(200);
    expect(await status('netdiag.proxy.example')).toBe(200);
    expect(await status('NETDIAG.proxy.example:443')).toBe(200);
    expect(await status('proxy.example')).toBe(403);
    expect(await status('127.evil.example')).toBe(403);
    expect(await status('localhost.evil.example')).toBe(403);
    expect(await status('10.0.0.5:9700')).toBe(403);
    // A public page fetching http://0.0.0.0:9700 reaches loopback on Linux ("0.0.0.0 day"): not a name of this agent.
    expect(await status('0.0.0.0:9700')).toBe(403);
    expect(await status('127.0.0.1.nip.io')).toBe(403);
    await a.close();
  });

  it('beyond loopback any Host is answered, unless --allowed-host narrows it (to those names and addresses)', () => {
    expect(hostRefusal('netdiag-1.lan:9700', { listenHost: '0.0.0.0', allowedHosts: [] })).toBeNull();
    const narrowed = { listenHost: '0.0.0.0', allowedHosts: ['netdiag.example'] };
    expect(hostRefusal('netdiag.example:9700', narrowed)).toBeNull();
    expect(hostRefusal('192.168.1.20:9700', narrowed)).toBeNull();
    expect(hostRefusal('[fd00::20]:9700', narrowed)).toBeNull();
    expect(hostRefusal('rebind.attacker.example', narrowed)).toMatch(/not one of this agent's names \(netdiag.example\): give --allowed-host NAME/);
  });

  it('no Host, or one that is not a host name, is refused on loopback', () => {
    expect(hostRefusal(undefined, LOOPBACK)).toBe('the request has no Host header');
    expect(hostRefusal('a b', LOOPBACK)).toMatch(/is not a host name/);
    expect(hostRefusal('localhost:9700@evil.example', LOOPBACK)).toMatch(/is not a host name/);
    expect(hostName('[::1]:9700')).toBe('::1');
    expect(hostName('Example.COM.')).toBe('example.com');
  });
});

describe('CSRF: POST routes refuse cross-site browser requests and anything but JSON', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, 403, /cross-site request/],
    ['Sec-Fetch-Site: same-site (another port of localhost)', { 'sec-fetch-site': 'same-site' }, 403, /cross-site request \(Sec-Fetch-Site: same-site\)/],
    ['an Origin of another site', { origin: 'http://evil.example' }, 403, /page at "http:\/\/evil.example"/],
    ['an Origin of another port', { origin: 'http://localhost:3000' }, 403, /may not post/],
    ['an opaque Origin (null)', { origin: 'null' }, 403, /may not post/],
  ])('%s: 403', async (_what, headers, status, message) => {
    const a = await app();
    const r = await postFixes(a, headers as Record<string, string>);
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toMatch(message);
    await a.close();
  });

  it.each([
    ['Sec-Fetch-Site: same-origin and the page\'s own Origin', { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' }],
    ['Sec-Fetch-Site: none (typed by a person)', { 'sec-fetch-site': 'none' }],
    ['no browser headers (curl, the CLI)', {}],
    ['an Origin that matches Host without a port', { origin: 'http://localhost' }],
  ])('%s: answered', async (_what, headers) => {
    const a = await app();
    const r = await postFixes(a, headers as Record<string, string>);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().from).toBe('alpine-01');
    await a.close();
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('a body of %s (what a cross-site form may send unasked) is 415', async (type) => {
    const a = await app();
    const r = await postFixes(a, { 'content-type': type });
    expect(r.statusCode).toBe(415);
    expect(r.json()).toMatchObject({ error: 'Unsupported Media Type' });
    expect(r.json().message).toContain(type.split(';')[0]);
    await a.close();
  });

  it('a mutating route: cross-site with the right token is still 403; a bodiless rollback with no content type reaches the token check', async () => {
    const a = await app();
    const cross = await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000', headers: { authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'cross-site' } });
    expect(cross.statusCode).toBe(403);
    const plain = await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000' });
    expect(plain.statusCode).toBe(401);
    await a.close();
  });

  it('GET routes are not CSRF-checked (reads change nothing): a cross-site GET of /v1/status is answered', () => {
    expect(csrfRefusal({ method: 'GET', headers: { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' } })).toBeNull();
  });
});

describe('security headers', () => {
  it('every response: nosniff and no-referrer; /v1/* no-store; refusals too', async () => {
    const a = await app();
    for (const url of ['/v1/status', '/v1/matrix', '/metrics', '/healthz', '/nosuch']) {
      const r = await a.inject(url);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
      if (url.startsWith('/v1/')) expect(r.headers['cache-control'], url).toBe('no-store');
      if (url.startsWith('/v1/')) expect(r.headers['content-security-policy'], url).toBe("default-src 'none'; frame-ancestors 'none'");
    }
    const refused = await a.inject({ url: '/v1/status', headers: { host: 'evil.example' } });
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
    expect(refused.headers['cache-control']).toBe('no-store');
    await a.close();
  });

  it('/ui: never framed, and a CSP allowing exactly the page\'s own inline script and style (by hash), nothing remote', async () => {
    const a = await app();
    const r = await a.inject('/ui');
    expect(r.headers['x-frame-options']).toBe('DENY');
    const csp = String(r.headers['content-security-policy']);
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(r.body)?.[1] as string;
    const style = /<style>([\s\S]*?)<\/style>/.exec(r.body)?.[1] as string;
    expect(script.length).toBeGreaterThan(1000);
    expect(csp).toBe(`default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    // No inline style attributes or event handlers the CSP would block: the page's markup uses none.
    expect(r.body).not.toMatch(/\sstyle="|\son[a-z]+="/);
    await a.close();
  });

  it('the CSP follows the page: a read-only page and an applying one each get their own hashes; the JSON data block is not a script', () => {
    const ro = mapPage({ mode: 'live', title: 'netdiag', applyEnabled: false });
    expect(pageCsp(ro)).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(pageCsp(ro).match(/sha256-/g)).toHaveLength(2);
  });
});

describe('the rate limit per client on expensive routes', () => {
  it('parses --rate-limit: burst twice the per-second rate, at least 10; errors in one line', () => {
    expect(parseRate('5/s')).toEqual({ perSecond: 5, burst: 10, text: '5/s' });
    expect(parseRate('60/m')).toEqual({ perSecond: 1, burst: 10, text: '60/m' });
    expect(parseRate('50/s')).toMatchObject({ burst: 100 });
    for (const bad of ['fast', '5', '0/s', '5/h', '-1/s', '']) expect(() => parseRate(bad)).toThrow(LimitConfigError);
    expect(() => parseRate('fast')).toThrow('--rate-limit takes requests per second or minute, like 5/s or 60/m, not "fast"');
    expect(parseMaxWalks('3')).toBe(3);
    for (const bad of ['0', 'two', '1.5', '65']) expect(() => parseMaxWalks(bad)).toThrow(LimitConfigError);
  });

  it('a token bucket refills continuously: the burst, then one a second at 1/s, Retry-After the seconds until the next', () => {
    let t = 0;
    const rl = new RateLimiter(parseRate('60/m'), () => t);
    for (let i = 0; i < 10; i++) expect(rl.take('a')).toBeNull();
    expect(rl.take('a')).toBe(1);
    expect(rl.take('b')).toBeNull();
    t = 999;
    expect(rl.take('a')).toBe(1);
    t = 1000;
    expect(rl.take('a')).toBeNull();
    expect(rl.take('a')).toBe(1);
    const slow = new RateLimiter(parseRate('6/m'), () => 0);
    for (let i = 0; i < 10; i++) slow.take('c');
    expect(slow.take('c')).toBe(10);
  });

  it('/v1/matrix: the burst answered, then 429 with Retry-After and a JSON message; /metrics, probes, status, /ui, openapi never limited; another client unaffected', async () => {
    const a = await app({ limits: { rate: parseRate('5/s') } });
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await a.inject('/v1/matrix')).statusCode);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    const r = await a.inject('/v1/why?from=alpine-01&to=redis-1');
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.json()).toEqual({ error: 'Too Many Requests', message: expect.stringMatching(/^ip:127\.0\.0\.1 asked more than 5\/s \(burst 10\) of this agent's expensive routes: retry after \d+ s/) });
    // The mutating routes count too: no token guessing at full speed.
    expect((await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000' })).statusCode).toBe(429);
    for (const url of ['/metrics', '/healthz', '/readyz', '/v1/status', '/ui', '/openapi.json']) for (let i = 0; i < 15; i++) expect((await a.inject(url)).statusCode, url).toBe(200);
    expect((await a.inject({ url: '/v1/matrix', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    await a.close();
  });

  it('/openapi.json says which routes answer 429: the expensive ones, never /metrics or the probes', async () => {
    const a = await app();
    const doc = (await a.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const limited = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).filter(([, o]) => '429' in o.responses).map(([m]) => `${m} ${p}`)).sort();
    expect(limited).toEqual(['get /v1/grid', 'get /v1/grid/cell', 'get /v1/map', 'get /v1/matrix', 'get /v1/snapshot', 'get /v1/why', 'post /v1/fixes', 'post /v1/fixes/{id}/apply', 'post /v1/plans/apply', 'post /v1/rollback/{id}']);
    await a.close();
  });

  it('the key is the client identity tls-server sets (user:, cert:, token) when present, else the remote address', () => {
    expect(clientKey({ ip: '10.0.0.7' } as FastifyRequest)).toBe('ip:10.0.0.7');
    expect(clientKey({ ip: '10.0.0.7', netdiagClient: 'user:alice' } as unknown as FastifyRequest)).toBe('user:alice');
  });
});

describe('the walk gate and the deadline', () => {
  it('one walk at a time and no queue: a second walk while the map is drawn is 503 with Retry-After; a memo hit is answered', async () => {
    const a = await app({ limits: { rate: null, maxWalks: 1, walkQueue: 0 } });
    expect((await a.inject('/v1/matrix')).statusCode).toBe(200);
    // The file's first svg loads Graphviz (asynchronously): the only walk slot is held meanwhile.
    const map = a.inject('/v1/map');
    await new Promise((r) => setTimeout(r, 5));
    const [grid, memoHit, metrics] = await Promise.all([a.inject('/v1/grid'), a.inject('/v1/matrix'), a.inject('/metrics')]);
    expect(grid.statusCode).toBe(503);
    expect(grid.headers['retry-after']).toBe('2');
    expect(grid.json()).toEqual({ error: 'Service Unavailable', message: 'the agent is busy: 1 walks running and 0 waiting (at most 1 at once, --max-walks): try again shortly' });
    expect(memoHit.statusCode).toBe(200);
    expect(metrics.statusCode).toBe(200);
    expect((await map).statusCode).toBe(200);
    // The slot is free again, and a refused walk was not remembered as an answer.
    expect((await a.inject('/v1/grid')).statusCode).toBe(200);
    await a.close();
  });

  it('WalkGate: at most max at once, the queue in order, beyond it refused; a slot passes to the next in line', async () => {
    const g = new WalkGate(2, 1, 60_000);
    const order: string[] = [];
    const release: Record<string, () => void> = {};
    const job = (n: string) => g.run(() => new Promise<string>((r) => ((release[n] = () => r(n)), order.push(n))));
    const [x, y, z] = [job('x'), job('y'), job('z')];
    await expect(job('w')).rejects.toMatchObject({ statusCode: 503, retryAfter: 2 });
    expect(order).toEqual(['x', 'y']);
    expect(g.busy).toEqual({ running: 2, waiting: 1 });
    release.x!();
    await x;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['x', 'y', 'z']);
    release.y!();
    release.z!();
    expect(await Promise.all([y, z])).toEqual(['y', 'z']);
    expect(g.busy).toEqual({ running: 0, waiting: 0 });
  });

  it('a walk past its deadline stops between slices: /v1/matrix and /v1/grid answer 503 naming the deadline; /healthz still answers', async () => {
    const a = await app({ limits: { rate: null, walkDeadlineMs: 0 } });
    for (const url of ['/v1/matrix', '/v1/grid', '/v1/grid/cell?from=lab-h1/bridge&to=lab-h1/net-redis']) {
      const r = await a.inject(url);
      expect(r.statusCode, url).toBe(503);
      expect(r.json().message, url).toMatch(/^the answer was stopped after 0 s, the agent's deadline for one walk/);
    }
    expect((await a.inject('/healthz')).statusCode).toBe(200);
    await a.close();
  });

  it('runSliced checks the deadline after each step and closes the generator', async () => {
    let closed = false;
    function* steps() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await expect(runSliced(steps(), 8, undefined, { at: performance.now() + 20, error: () => new Error('deadline') })).rejects.toThrow('deadline');
    expect(closed).toBe(true);
  });
});

describe('sizes: URL 414, body 413, query values bounded', () => {
  it('a request target over 8 KB is 414; one just under is answered (as a 404 for an unknown name)', async () => {
    const a = await app();
    const long = await a.inject(`/v1/why?from=${'a'.repeat(8200)}&to=redis-1`);
    expect(long.statusCode).toBe(414);
    expect(long.json()).toMatchObject({ error: 'URI Too Long', message: expect.stringMatching(/answers at most 8192/) });
    const under = await a.inject(`/v1/why?from=${'a'.repeat(200)}&to=redis-1`);
    expect(under.statusCode).toBe(404);
    await a.close();
  });

  it('a body over 64 KB is 413 Payload Too Large', async () => {
    const a = await app();
    const r = await postFixes(a, {}, JSON.stringify({ from: 'x'.repeat(70_000), to: 'redis-1' }));
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ error: 'Payload Too Large' });
    await a.close();
  });

  it('a query value beyond its bound is 400 before any walk (names 256, ports 16)', async () => {
    const a = await app();
    const name = await a.inject(`/v1/why?from=${'a'.repeat(257)}&to=redis-1`);
    expect(name.statusCode).toBe(400);
    expect(name.json().message).toMatch(/from/);
    expect((await a.inject(`/v1/matrix?port=${'8'.repeat(17)}`)).statusCode).toBe(400);
    expect((await a.inject(`/v1/snapshot?host=${'h'.repeat(257)}`)).statusCode).toBe(400);
    await a.close();
  });
});

describe('the flags: --rate-limit, --max-walks (parse errors one line, exit 2)', () => {
  it.each([
    [['agent', '--rate-limit', 'fast', '--listen', '127.0.0.1:0'], /^netdiag: --rate-limit takes requests per second or minute, like 5\/s or 60\/m, not "fast"\n/],
    [['agent', '--max-walks', '0', '--listen', '127.0.0.1:0'], /^netdiag: --max-walks takes a whole number from 1 to 64, not "0"\n/],
    [['agent', '--snapshot', join(REPO, 'examples/seed-host.json'), '--rate-limit', '5/h'], /^netdiag: --rate-limit takes/],
  ])('netdiag %j', async (argv, message) => {
    let err = '';
    let out = '';
    const io = { isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    expect(await main(argv, io)).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

// Last in this file: it loads Graphviz, and the gate test above holds its only walk slot with the first (asynchronous) load.
describe('the map under the CSP', () => {
  it('the map the live page inlines (/v1/map svg) has no style attributes or event handlers the CSP would block', async () => {
    const a = await app();
    const r = await a.inject('/v1/map');
    expect(r.statusCode).toBe(200);
    // Opened on its own in a browser it runs nothing (the page inlines it under the page's own CSP).
    expect(r.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(r.body).toMatch(/^<svg/);
    expect(r.body).not.toMatch(/\sstyle="|\son[a-z]+="|<script|<style/);
    await a.close();
  });
});
