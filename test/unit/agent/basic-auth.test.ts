// Issue 27: reads authenticated by basic_auth_users (bcrypt) or the bearer token, 401 asking for Basic otherwise;
// /metrics open with --public-metrics; Basic never authorises a change; a bcrypt compare never stalls /metrics.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuthUsers, parseBasic } from '../../../agent/basic-auth.js';
import { TOKEN, sleep, startWebAgent, writeWebConfig } from './web-agent.js';
import type { RunningAgent } from './web-agent.js';

// Cost 4 keeps most cases quick; the timing cases below use exporter-toolkit's usual 10 and a slow 12.
const ALICE = bcrypt.hashSync('alice-password', 4);
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('reads with basic_auth_users', () => {
  let a: RunningAgent;
  let file: string;
  beforeAll(async () => {
    file = writeWebConfig(`basic_auth_users:\n  alice: ${ALICE}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`);
    a = await startWebAgent(file);
  });
  afterAll(() => a.close());

  it('the right password reads, and names the client user:alice', async () => {
    const r = await fetch(`${a.url}/whoami`, { headers: basic('alice', 'alice-password') });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ client: 'user:alice' });
    expect((await fetch(`${a.url}/v1/status`, { headers: basic('alice', 'alice-password') })).status).toBe(200);
  });

  it.each([
    ['no credentials', {}, 'this agent needs credentials to read: Basic (a user of its web config) or the bearer token'],
    ['a wrong password', basic('alice', 'nope'), 'wrong user name or password'],
    ['an unknown user', basic('mallory', 'alice-password'), 'wrong user name or password'],
    ['a wrong bearer token', { authorization: 'Bearer not-the-token-at-all-000000000' }, 'wrong token'],
  ])('%s: 401 asking for Basic, with the web config\'s headers', async (_what, headers, message) => {
    for (const path of ['/v1/snapshot', '/metrics', '/ui', '/openapi.json', '/healthz', '/no/such/route']) {
      const r = await fetch(`${a.url}${path}`, { headers });
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="netdiag"');
      expect(r.headers.get('x-frame-options')).toBe('deny');
      expect(await r.json()).toEqual({ error: 'Unauthorized', message });
    }
  });

  it('a failed login is logged with the user and the remote address, never the password', async () => {
    await fetch(`${a.url}/v1/status`, { headers: basic('bob', 'hunter2-secret') });
    const rec = a.records.find((r) => r.msg === 'basic auth failed' && r.user === 'bob');
    expect(rec).toMatchObject({ user: 'bob', remote: '127.0.0.1', url: '/v1/status' });
    expect(JSON.stringify(a.records)).not.toContain('hunter2-secret');
  });

  it('the bearer token reads too (the CLI with --token-file), named token', async () => {
    const r = await fetch(`${a.url}/whoami`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ client: 'token' });
  });

  it('Basic credentials never authorise a change: the mutating route asks for the bearer token', async () => {
    const r = await fetch(`${a.url}/v1/rollback/fx-00000000`, { method: 'POST', headers: basic('alice', 'alice-password') });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect((await r.json()).message).toBe('a bearer token is required (Authorization: Bearer <token>)');
    const wrong = await fetch(`${a.url}/v1/rollback/fx-00000000`, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all-000000000' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).message).toBe('wrong token');
  });

  it('a user added to the web config reads after the reload (checked on requests too, at most once a second)', async () => {
    const bob = bcrypt.hashSync('bob-password', 4);
    expect((await fetch(`${a.url}/v1/status`, { headers: basic('bob', 'bob-password') })).status).toBe(401);
    await sleep(1100);
    writeFileSync(file, `${readFileSync(file, 'utf8').replace('basic_auth_users:\n', `basic_auth_users:\n  bob: ${bob}\n`)}`);
    await sleep(1100);
    expect((await fetch(`${a.url}/v1/status`, { headers: basic('bob', 'bob-password') })).status).toBe(200);
    expect(a.lines.join('\n')).toMatch(/reloaded \(http, 2 basic auth users\)/);
  });
});

describe('--public-metrics and no users', () => {
  it('--public-metrics: /metrics without credentials, every other read still needs them', async () => {
    const a = await startWebAgent(writeWebConfig(`basic_auth_users:\n  alice: ${ALICE}\n`), { publicMetrics: true });
    try {
      const m = await fetch(`${a.url}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toMatch(/^netdiag_web_config_last_reload_successful 1$/m);
      expect((await fetch(`${a.url}/v1/status`)).status).toBe(401);
    } finally {
      await a.close();
    }
  });

  it('without basic_auth_users reads are open, named by address; with no web config at all there is no reload gauge', async () => {
    const a = await startWebAgent(writeWebConfig(''));
    const none = await startWebAgent(null);
    try {
      expect(await (await fetch(`${a.url}/whoami`)).json()).toEqual({ client: 'ip:127.0.0.1' });
      expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^netdiag_web_config_last_reload_successful 1$/m);
      expect(await (await fetch(`${none.url}/metrics`)).text()).not.toMatch(/netdiag_web_config/);
    } finally {
      await a.close();
      await none.close();
    }
  });
});

describe('bcrypt cost', () => {
  it('an unknown user costs a compare like a known one (timing does not tell who exists); a right password is remembered', async () => {
    const users = new BasicAuthUsers(new Map([['alice', bcrypt.hashSync('pw', 10)]]));
    const time = async (f: () => Promise<boolean>) => {
      const t = performance.now();
      const ok = await f();
      return { ok, ms: performance.now() - t };
    };
    // The compare thread starts with the first compare: not part of what is timed.
    await users.verify('warm', 'up');
    const known = await time(() => users.verify('alice', 'wrong'));
    const unknown = await time(() => users.verify('nobody', 'wrong'));
    const right = await time(() => users.verify('alice', 'pw'));
    const again = await time(() => users.verify('alice', 'pw'));
    console.log(`bcrypt cost 10 (bcryptjs): wrong password ${known.ms.toFixed(0)} ms, unknown user ${unknown.ms.toFixed(0)} ms, right ${right.ms.toFixed(0)} ms, right again (cached) ${again.ms.toFixed(2)} ms`);
    expect([known.ok, unknown.ok, right.ok, again.ok]).toEqual([false, false, true, true]);
    expect(unknown.ms).toBeGreaterThan(known.ms / 3);
    expect(again.ms).toBeLessThan(right.ms / 5);
  });

  it('a slow compare (cost 12) does not stall /metrics: a scraper in another process keeps its pace', async () => {
    const a = await startWebAgent(writeWebConfig(`basic_auth_users:\n  alice: ${bcrypt.hashSync('pw', 12)}\n`), { publicMetrics: true });
    try {
      await fetch(`${a.url}/metrics`);
      // The scraper is its own process, as Prometheus is: in this one, its own half of each request would wait for
      // the compare's slices too.
      const scraper = spawn(process.execPath, ['-e', SCRAPER, `${a.url}/metrics`, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      scraper.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const finished = new Promise((r) => scraper.on('close', r));
      await sleep(300);
      const t0 = performance.now();
      const t0Wall = Date.now();
      const r = await fetch(`${a.url}/v1/status`, { headers: basic('alice', 'pw') });
      const loginMs = performance.now() - t0;
      await finished;
      const all = JSON.parse(out) as { at: number; ms: number }[];
      // The scrapes answered while the login was being checked (it started 300 ms in).
      const during = all.filter((x) => x.at >= t0Wall && x.at <= t0Wall + loginMs).map((x) => x.ms).sort((x, y) => x - y);
      const pct = (p: number) => during[Math.min(during.length - 1, Math.floor(during.length * p))] as number;
      console.log(`cost-12 login ${loginMs.toFixed(0)} ms; ${during.length} /metrics scrapes from another process during it: median ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, worst ${pct(1).toFixed(0)} ms`);
      expect(r.status).toBe(200);
      expect(loginMs).toBeGreaterThan(200);
      expect(during.length).toBeGreaterThan(20);
      // The compare runs on its own thread: scrapes keep their pace (bcryptjs's async compare on the main thread
      // held them for 300-450 ms here, a slice at each turn of the loop a scrape needs).
      expect(pct(0.5)).toBeLessThan(20);
      expect(pct(0.95)).toBeLessThan(Math.min(100, loginMs / 4));
    } finally {
      await a.close();
    }
  });
});

/** Scrapes URL one after another for MS milliseconds; prints each one's latency. */
const SCRAPER = `
const [url, ms] = process.argv.slice(1);
const out = [];
const end = Date.now() + Number(ms);
(async () => {
  while (Date.now() < end) {
    const t = performance.now();
    const r = await fetch(url);
    await r.text();
    out.push({ at: Date.now(), ms: performance.now() - t });
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('parseBasic', () => {
  it('reads user:password (the password may hold colons); anything else is not Basic', () => {
    expect(parseBasic(`Basic ${Buffer.from('a:b:c').toString('base64')}`)).toEqual({ user: 'a', password: 'b:c' });
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasic('Bearer abc')).toBeNull();
    expect(parseBasic(undefined)).toBeNull();
  });
});
