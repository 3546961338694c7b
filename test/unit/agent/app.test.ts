// Every agent route through app.inject, on the seed host captured in the lab.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { Journal } from '../../../actuation/journal.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { untouchableHost } from '../recording-host.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';
import { PLAN_APPLY_BODY_MAX } from '../../../snapshot/contract.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
const TOKEN = 'a-token-of-sufficient-length-0123456789';

async function app(opts: { token?: string | null; store?: SnapshotStore } = {}): Promise<FastifyInstance> {
  const store = opts.store ?? SnapshotStore.fixed(seed);
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  if (store.current) metrics.observeRefresh(store.current.snapshot);
  return buildApp({ store, metrics, ledger, token: opts.token === undefined ? TOKEN : opts.token, stateDir, host: untouchableHost(), hostName: seed.name });
}

describe('agent read routes', () => {
  it('GET /metrics is rendered once and shared: two scrapes in the same second get the very same text', async () => {
    const b = await app();
    const [x, y] = await Promise.all([b.inject('/metrics'), b.inject('/metrics')]);
    expect(x.body).toBe(y.body);
    await b.close();
  });

  it('GET /metrics shows a change applied or undone at once, not a second later (the ledger read again)', async () => {
    const store = SnapshotStore.fixed(seed);
    const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
    const ledger = new ChangeLedger(stateDir);
    const metrics = createMetrics(store, ledger);
    const b = await buildApp({ store, metrics, ledger, token: TOKEN, stateDir, host: untouchableHost(), hostName: seed.name });
    expect((await b.inject('/metrics')).body).toMatch(/^netdiag_changes_applied\{kind="fix"\} 0$/m);
    // What applying a fix journals, then the agent reading its journals again (as after every change it makes).
    const j = await Journal.open(stateDir, 'fx-12345678');
    await j.append({ event: 'start', kind: 'fix', id: 'fx-12345678', title: 't', steps: [{ kind: 'sysctl', host: seed.name, key: 'net.ipv4.ip_forward', value: '1' }], context: {} });
    await j.append({ event: 'step-begin', index: 0 });
    await j.append({ event: 'step-done', index: 0, changed: true, undo: { step: null } });
    await j.append({ event: 'applied', at: new Date().toISOString() });
    await ledger.load();
    expect((await b.inject('/metrics')).body).toMatch(/^netdiag_changes_applied\{kind="fix"\} 1$/m);
    await b.close();
  });

  let a: FastifyInstance;
  beforeAll(async () => {
    a = await app();
  });
  afterAll(() => a.close());

  it('GET /healthz and /readyz', async () => {
    expect((await a.inject('/healthz')).json()).toMatchObject({ status: 'ok', lastError: null });
    expect((await a.inject('/readyz')).statusCode).toBe(200);
  });

  it('GET /v1/snapshot: the snapshot, with its age', async () => {
    const r = await a.inject('/v1/snapshot');
    expect(r.statusCode).toBe(200);
    expect(Number(r.headers.age)).toBeGreaterThanOrEqual(0);
    expect(parseSnapshot(r.json()).name).toBe(seed.name);
  });

  it('GET /v1/why: the same answer as the CLI, with fixes', async () => {
    const r = await a.inject('/v1/why?from=alpine-01&to=redis-1');
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j.verdict).toBe('blocked');
    expect(j.addresses[0].decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2' });
    expect(j.fixes.length).toBeGreaterThan(0);
    expect((await a.inject('/v1/why?from=redis-1&to=redis-2&port=80/tcp')).json().verdict).toBe('reachable');
  });

  it('GET /v1/matrix', async () => {
    const j = (await a.inject('/v1/matrix')).json();
    expect(j.pairs).toHaveLength(6);
  });

  it('GET /v1/map: the picture as SVG by default, and the topology as JSON', async () => {
    const svg = await a.inject('/v1/map');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toMatch(/^<svg/);
    // The seed's two networks are isolated as Docker intends: said in the legend, not drawn; its published port is.
    expect(svg.body).toContain('published :8080/tcp');
    const t = (await a.inject('/v1/map?format=json')).json();
    expect(t.edges).toEqual([]);
    expect(t.defaults).toEqual({ isolatedPairs: 2, openNetworks: 1 });
    expect((await a.inject('/v1/map?format=png')).statusCode).toBe(400);
  });

  it('family=ipv6 on a host without IPv6: why and fixes 404 with the sentence, matrix no-address, map no edge', async () => {
    const w = await a.inject('/v1/why?from=alpine-01&to=redis-1&family=ipv6');
    expect([w.statusCode, w.json().message]).toEqual([404, 'redis-1 has no IPv6 address (it has 172.18.0.2 on net-redis) (ask without -6)']);
    const f = await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'alpine-01', to: 'redis-1', family: 'ipv6' } });
    expect(f.statusCode).toBe(404);
    const m = (await a.inject('/v1/matrix?family=ipv6')).json();
    expect(m.pairs.map((p: { verdict: string }) => p.verdict)).toEqual(Array(6).fill('no-address'));
    const t = (await a.inject('/v1/map?format=json&family=ipv6')).json();
    expect([t.families, t.edges]).toEqual([['ipv6'], []]);
    expect((await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'alpine-01', to: 'redis-1', family: 'ipv4' } })).json().fixes.length).toBeGreaterThan(0);
  });

  it('GET /ui: a page of its own (no CDN), read-only without a token', async () => {
    const r = await a.inject('/ui');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(JSON.parse(/<script type="application\/json" id="netdiag-data">(.*?)<\/script>/s.exec(r.body)![1]!)).toMatchObject({ mode: 'live', applyEnabled: true });
  });

  it('POST /v1/fixes plans without changing anything (no token needed)', async () => {
    const r = await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'alpine-01', to: 'redis-1' } });
    expect(r.statusCode).toBe(200);
    expect(r.json().fixes[0].id).toMatch(/^fx-[0-9a-f]{8}$/);
  });

  it.each([
    ['/v1/why?from=nosuch&to=redis-1', 404, /no running container "nosuch"/],
    ['/v1/why?from=alpine-01', 400, /^to: /],
    ['/v1/why?from=alpine-01&to=redis-1&port=http', 400, /^port: takes PORT\/tcp or PORT\/udp \(1-65535\), not "http"$/],
    // The range check is the CLI's: one parser for --port and ?port=.
    ['/v1/why?from=alpine-01&to=redis-1&port=70000/tcp', 400, /1-65535/],
    ['/v1/why?from=alpine-01&to=redis-1&port=0', 400, /1-65535/],
    ['/v1/why?from=alpine-01&to=redis-1&extra=1', 400, /Unrecognized key/],
    ['/v1/matrix?port=99999999', 400, /port/],
  ])('GET %s → %i with a clear message', async (url, status, message) => {
    const r = await a.inject(url);
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toMatch(message);
  });

  it('malformed JSON and oversized bodies are 4xx, and the agent keeps serving', async () => {
    const bad = await a.inject({ method: 'POST', url: '/v1/fixes', headers: { 'content-type': 'application/json' }, payload: '{"from": "alpine-01",' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/JSON/i);
    const big = await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'x'.repeat(100_000), to: 'y' } });
    expect(big.statusCode).toBe(413);
    expect((await a.inject('/healthz')).statusCode).toBe(200);
  });

  it('GET /metrics: Prometheus text with bounded-label netdiag series', async () => {
    // Reachability is walked after a refresh, in slices, never inside a scrape: the first scrape may come before it.
    let r = await a.inject('/metrics');
    for (let i = 0; i < 100 && !/^netdiag_network_pairs_reachable/m.test(r.body); i++) {
      await new Promise((res) => setTimeout(res, 20));
      r = await a.inject('/metrics');
    }
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    const t = r.body;
    expect(t).toMatch(/^netdiag_network_pairs_reachable\{from_network="net-redis",to_network="net-redis",family="ipv4"\} 2$/m);
    expect(t).toMatch(/^netdiag_network_pairs_reachable\{from_network="bridge",to_network="net-redis",family="ipv4"\} 0$/m);
    // An IPv4-only host has no IPv6 pairs: no ipv6 series, rather than zeros that read as "all blocked".
    expect(t).not.toMatch(/^netdiag_network_pairs\{.*family="ipv6"/m);
    expect(t).toMatch(/^netdiag_objects\{kind="containers"\} 3$/m);
    expect(t).toMatch(/^netdiag_ip_forward\{family="ipv4"\} 1$/m);
    expect(t).toMatch(/^netdiag_forward_policy_drop\{family="ipv4"\} 1$/m);
    expect(t).toMatch(/^netdiag_dropped_packets_total\{chain="DOCKER-ISOLATION-STAGE-2",family="ipv4"\} [1-9]\d*$/m);
    expect(t).toMatch(/^netdiag_collector_success\{collector="firewall"\} 1$/m);
    expect(t).toMatch(/^process_resident_memory_bytes \d+/m);
    // Never a label per container.
    expect(t).not.toMatch(/alpine-01|redis-1/);
  });

  it('GET /openapi.json documents every route, and marks the mutating ones', async () => {
    const j = (await a.inject('/openapi.json')).json();
    expect(Object.keys(j.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/ui', '/v1/fixes', '/v1/fixes/{id}/apply', '/v1/grid', '/v1/grid/cell', '/v1/map', '/v1/matrix', '/v1/plans/apply', '/v1/rollback/{id}', '/v1/snapshot', '/v1/status', '/v1/why']);
    expect(j.paths['/v1/rollback/{id}'].post.security).toEqual([{ bearer: [] }]);
    expect(j.paths['/v1/why'].get.security).toEqual([{}, { basic: [] }, { bearer: [] }]);
    expect(j.components.securitySchemes.basic).toEqual({ type: 'http', scheme: 'basic' });
  });
});

describe('agent mutating routes need the token', () => {
  it.each([
    [{}, 401, /a bearer token is required/],
    [{ authorization: 'Bearer wrong-token-of-the-same-length-01234' }, 401, /wrong token/],
    [{ authorization: `Basic ${TOKEN}` }, 401, /bearer token is required/],
  ])('%j → %i', async (headers, status, message) => {
    const a = await app();
    const r = await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000', headers });
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toMatch(message);
    await a.close();
  });

  it('an agent without a token accepts no changes', async () => {
    const a = await app({ token: null });
    const r = await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.statusCode).toBe(403);
    await a.close();
  });

  it('with the token: an unknown change is 404; an invalid plan is 400', async () => {
    const a = await app();
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await a.inject({ method: 'POST', url: '/v1/rollback/fx-00000000', headers: auth })).statusCode).toBe(404);
    const bad = await a.inject({ method: 'POST', url: '/v1/plans/apply', headers: auth, payload: { id: 'p1', steps: [{ kind: 'rm -rf', host: 'x' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/steps\.0\.kind/);
    await a.close();
  });

  it("a plan's body is bounded by the plan's maximum on its route alone: thousands of steps are read, beyond the bound 413, and without the token the body is never read", async () => {
    const a = await app();
    const auth = { authorization: `Bearer ${TOKEN}` };
    // Steps for another host: read and validated (a 1 MB body, 64 KB elsewhere), nothing of this host to change.
    const step = { kind: 'ip-route-add', host: 'not-this-host', dst: '10.0.0.0/24', via: '10.99.0.2', dev: 'eth0' };
    const big = await a.inject({ method: 'POST', url: '/v1/plans/apply', headers: auth, payload: { id: 'pl-0000a001', steps: Array.from({ length: 10_000 }, () => step) } });
    expect(big.statusCode).not.toBe(413);
    expect(big.statusCode).toBe(200);
    const over = await a.inject({ method: 'POST', url: '/v1/plans/apply', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'pl-0000a002', steps: [], pad: 'x'.repeat(PLAN_APPLY_BODY_MAX) }) });
    expect(over.statusCode).toBe(413);
    const anonymous = await a.inject({ method: 'POST', url: '/v1/plans/apply', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'pl-0000a003', steps: [step] }) });
    expect(anonymous.statusCode).toBe(401);
    await a.close();
  });

  it('the CLI\'s rule: a fix that opens more than the pair needs consent ("acceptWider"), and nothing is touched without it', async () => {
    const a = await app();
    const auth = { authorization: `Bearer ${TOKEN}` };
    const fixes = (await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'alpine-01', to: 'redis-1' } })).json().fixes as { id: string; kind: string; alsoOpens: string[] }[];
    const wider = fixes.find((f) => f.kind === 'network-connect' && f.alsoOpens.length > 0)!;
    const r = await a.inject({ method: 'POST', url: `/v1/fixes/${wider.id}/apply`, headers: auth, payload: { from: 'alpine-01', to: 'redis-1' } });
    expect(r.statusCode).toBe(409);
    expect(r.json().message).toMatch(new RegExp(`${wider.id} .* also opens ${wider.alsoOpens[0]}.*acceptWider`));
    // Deleting Docker's own isolation rule is predicted not to help here (a second one drops it): it is no fix, not
    // listed, and its ID applies nothing.
    expect(fixes.map((f) => f.kind)).not.toContain('edit-docker-chain');
    const d = await a.inject({ method: 'POST', url: '/v1/fixes/fx-e5dd1362/apply', headers: auth, payload: { from: 'alpine-01', to: 'redis-1', acceptWider: true } });
    expect(d.statusCode).toBe(409);
    expect(d.json().message).toMatch(/no fix fx-e5dd1362 for alpine-01 → redis-1/);
    await a.close();
  });
});

describe('snapshot store', () => {
  it('keeps serving the last good snapshot when a collector fails, and says how old it is', async () => {
    let n = 0;
    let t = 1_000_000;
    const failing: HostSnapshot = { ...seed, collectors: { ...seed.collectors, firewall: { status: 'failed', durationMs: 1 } }, firewall: null, errors: [{ collector: 'firewall', message: 'iptables-save: permission denied', hint: 'run as root' }] };
    const store = new SnapshotStore(async () => (n++ === 0 ? seed : failing), () => t);
    await store.refresh();
    t += 30_000;
    const r = await store.refresh();
    expect(r.kept).toBe(true);
    expect(store.current?.snapshot).toBe(seed);
    expect(store.ageSeconds()).toBe(30);
    expect(store.lastError).toBe('firewall: iptables-save: permission denied');
  });

  it('shares one collection between concurrent requests', async () => {
    let calls = 0;
    const store = new SnapshotStore(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return seed;
    });
    await Promise.all([store.refresh(), store.refresh(), store.refresh()]);
    expect(calls).toBe(1);
  });

  it('/readyz is 503 until the first snapshot', async () => {
    const a = await app({ store: new SnapshotStore(async () => seed) });
    expect((await a.inject('/readyz')).statusCode).toBe(503);
    expect((await a.inject('/v1/why?from=a&to=b')).statusCode).toBe(503);
    await a.close();
  });
});
