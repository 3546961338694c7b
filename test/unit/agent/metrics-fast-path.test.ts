// A plain GET /metrics on the agent's own server is answered before fastify's routing and hooks: the very response
// fastify's route gives (status, body, headers: the web config's, the security ones), and every scrape that needs more
// (a foreign Host, credentials to check, no text rendered yet, another method or URL) still goes through fastify.
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { buildApp } from '../../../agent/app.js';
import type { ReadAuth } from '../../../agent/auth.js';
import { BasicAuthUsers } from '../../../agent/basic-auth.js';
import { serverFactory } from '../../../agent/listener.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { untouchableHost } from '../recording-host.js';
import { REPO } from '../fixtures.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));

async function agent(auth?: ReadAuth) {
  const store = SnapshotStore.fixed(seed);
  const ledger = new ChangeLedger(mkdtempSync(join(tmpdir(), 'netdiag-agent-')));
  const metrics = createMetrics(store, ledger);
  metrics.observeRefresh(seed);
  const app = await buildApp({ store, metrics, ledger, token: null, stateDir: '', host: untouchableHost(), hostName: seed.name, auth }, { serverFactory: serverFactory({ web: null }) as never });
  // Counts the requests fastify saw: those the fast path answered never reach its hooks.
  let routed = 0;
  app.addHook('onResponse', async () => void routed++);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      r.on('error', reject);
      r.end();
    });
  return { app, get, routed: () => routed };
}

/** The headers fastify's inject shows (it has no date or connection: those are node's, on both paths alike). */
const comparable = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k)));

describe('GET /metrics before routing', () => {
  it('the first scrape waits for a render through fastify; then the same response without it', async () => {
    const a = await agent();
    const first = await a.get('/metrics');
    expect(first.status).toBe(200);
    expect(a.routed()).toBe(1);
    const fast = await a.get('/metrics');
    expect(a.routed()).toBe(1);
    const routed = await a.app.inject('/metrics');
    expect({ status: fast.status, body: fast.body, headers: comparable(fast.headers) }).toEqual({ status: routed.statusCode, body: routed.body, headers: comparable(routed.headers) });
    expect(fast.headers['x-content-type-options']).toBe('nosniff');
    expect(fast.body).toContain('netdiag_build_info');
    await a.app.close();
  });

  it("the web config's headers, an operator's own referrer-policy winning, as fastify sends them", async () => {
    const a = await agent({ publicMetrics: false, current: () => ({ users: null, headers: { 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' } }) });
    await a.get('/metrics');
    const fast = await a.get('/metrics');
    expect(a.routed()).toBe(1);
    const routed = await a.app.inject('/metrics');
    expect(comparable(fast.headers)).toEqual(comparable(routed.headers));
    expect(fast.headers['referrer-policy']).toBe('same-origin');
    expect(fast.headers['x-frame-options']).toBe('DENY');
    await a.app.close();
  });

  it('a foreign Host, credentials to check, another method or a query: fastify answers (403, 401, HEAD, 200)', async () => {
    const open = await agent();
    await open.get('/metrics');
    const n = open.routed();
    expect((await open.get('/metrics', { host: 'evil.example' })).status).toBe(403);
    expect((await open.get('/metrics', {}, 'HEAD')).status).toBe(200);
    expect((await open.get('/metrics?x=1')).status).toBe(200);
    expect(open.routed()).toBe(n + 3);
    await open.app.close();
    const users = new BasicAuthUsers(new Map([['prom', '$2y$04$abcdefghijklmnopqrstuuSx1LtOHkyNAs.8I7w6ww9hZQ0z5bE5S']]));
    const closed = await agent({ publicMetrics: false, current: () => ({ users, headers: {} }) });
    expect((await closed.get('/metrics')).status).toBe(401);
    expect((await closed.get('/metrics')).status).toBe(401);
    expect(closed.routed()).toBe(2);
    await closed.app.close();
    // --public-metrics: open without credentials, so answered before routing once rendered.
    const pub = await agent({ publicMetrics: true, current: () => ({ users, headers: {} }) });
    await pub.get('/metrics');
    expect((await pub.get('/metrics')).status).toBe(200);
    expect(pub.routed()).toBe(1);
    await pub.app.close();
  });
});
