// Issue 26: the routes the web view reads (status, grid, a grid cell), /readyz after a failed collection, consent to
// what a fix opens besides the pair, and offline review (saved snapshots of one or more hosts, read-only), through
// app.inject on captured snapshots: the seed host, the swarm pair (a-h1, a-h2) and a host whose dockerd was stopped.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, widerUnconfirmed } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore, collectionFailure } from '../../../agent/snapshot-store.js';
import { GridCellResult, GridResult, StatusResult } from '../../../agent/schemas.js';
import { untouchableHost } from '../recording-host.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';

const read = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(REPO, f), 'utf8')));
const seed = read('examples/seed-host.json');
const stopped = read('test/fixtures/captured/nodocker/stopped.json');
const swarm = [read('test/fixtures/captured/swarm/a-h1.json'), read('test/fixtures/captured/swarm/a-h2.json')];
const TOKEN = 'a-token-of-sufficient-length-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

async function app(store: SnapshotStore, token: string | null = TOKEN): Promise<FastifyInstance> {
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-ui-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  store.onRefresh((s, _kept, world) => metrics.observeRefresh(s, world));
  return buildApp({ store, metrics, ledger, token, stateDir, host: untouchableHost(), hostName: store.current?.snapshot.name ?? seed.name });
}

/** A live store whose collections return these, one per refresh (an Error is a collection that throws). */
function liveStore(...outcomes: (HostSnapshot | Error)[]): SnapshotStore {
  let i = 0;
  return new SnapshotStore(async () => {
    const o = outcomes[Math.min(i++, outcomes.length - 1)] as HostSnapshot | Error;
    if (o instanceof Error) throw o;
    return o;
  });
}

const staleGauge = async (a: FastifyInstance) => /^netdiag_snapshot_stale (\d)$/m.exec((await a.inject('/metrics')).body)?.[1];

describe('/readyz when the last collection failed', () => {
  it('dockerd stopped after a good collection: 503 failing with the reason and lastError, stale 1, /healthz 200, the old snapshot still served', async () => {
    const store = liveStore(seed, stopped, seed);
    await store.refresh();
    const a = await app(store);
    expect((await a.inject('/readyz')).statusCode).toBe(200);
    expect(await staleGauge(a)).toBe('0');

    await store.refresh();
    const r = await a.inject('/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'failing', reason: expect.stringMatching(/^the last collection failed; serving the snapshot from \d+ s ago$/), lastError: expect.stringMatching(/^docker: Docker is not running or not installed: no socket at /) });
    expect(await staleGauge(a)).toBe('1');
    expect((await a.inject('/healthz')).statusCode).toBe(200);
    const status = StatusResult.parse((await a.inject('/v1/status')).json());
    expect(status.hosts).toMatchObject([{ name: seed.name, stale: true, lastError: expect.stringMatching(/^docker: /) }]);
    // Beside the last good snapshot's collectors (all ok), what the failed collection's did: docker absent.
    expect(status.hosts[0]!.collectors.docker?.status).toBe('ok');
    expect(status.hosts[0]!.lastAttempt?.collectors.docker?.status).toBe('absent');
    // The map is not blank: the seed's networks are still there.
    expect(GridResult.parse((await a.inject('/v1/grid')).json()).networks.map((n) => n.network)).toContain('net-redis');

    // Docker back: ready again, nothing stale.
    await store.refresh();
    expect((await a.inject('/readyz')).statusCode).toBe(200);
    expect(await staleGauge(a)).toBe('0');
    await a.close();
  });

  it('a collection that throws: 503 with its message (it used to leave lastError null)', async () => {
    const store = liveStore(seed, new Error('spawn ip ENOENT'));
    await store.refresh();
    await expect(store.refresh()).rejects.toThrow('spawn ip ENOENT');
    const a = await app(store);
    const r = await a.inject('/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'failing', lastError: 'collection failed: spawn ip ENOENT' });
    expect(await staleGauge(a)).toBe('1');
    await a.close();
  });

  it('no snapshot yet: 503 starting, with the reason', async () => {
    const a = await app(liveStore(seed));
    expect((await a.inject('/readyz')).json()).toMatchObject({ status: 'starting', reason: expect.stringMatching(/first collection/) });
    await a.close();
  });

  it('what counts as failed: docker absent (its socket gone) does; the seed\'s collectors do not', () => {
    expect(collectionFailure(stopped)).toMatch(/^docker: Docker is not running/);
    expect(collectionFailure(seed)).toBeNull();
  });
});

describe('GET /v1/status', () => {
  it('live: mode live, read-only without a token, each collector as the snapshot recorded it', async () => {
    const a = await app(SnapshotStore.fixed(seed), null);
    const s = StatusResult.parse((await a.inject('/v1/status')).json());
    expect(s).toMatchObject({ mode: 'live', readOnly: true, hosts: [{ name: seed.name, collectedAt: seed.collectedAt, stale: false, lastError: null }] });
    expect(s.hosts[0]?.collectors).toEqual(seed.collectors);
    await a.close();
    const b = await app(SnapshotStore.fixed(seed));
    expect((await b.inject('/v1/status')).json().readOnly).toBe(false);
    await b.close();
  });
});

describe('GET /v1/grid and /v1/grid/cell', () => {
  let a: FastifyInstance;
  beforeAll(async () => {
    a = await app(SnapshotStore.fixed(seed));
  });
  afterAll(() => a.close());

  it('the seed: bridge → net-redis blocked by isolation (2 pairs), net-redis → net-redis reachable (2 pairs); counts add up', async () => {
    const g = GridResult.parse((await a.inject('/v1/grid')).json());
    expect(g.flow).toEqual({ proto: 'icmp', port: null });
    expect(g.networks.find((n) => n.network === 'net-redis')).toMatchObject({ key: `${seed.name}/net-redis`, driver: 'bridge', subnets: ['172.18.0.0/16'], containers: 2 });
    const cell = (f: string, t: string) => g.cells.find((c) => c.from === `${seed.name}/${f}` && c.to === `${seed.name}/${t}`);
    expect(cell('bridge', 'net-redis')).toMatchObject({ pairs: 2, blocked: 2, reachable: 0, verdict: 'blocked', codes: ['isolation'] });
    expect(cell('net-redis', 'net-redis')).toMatchObject({ pairs: 2, reachable: 2, verdict: 'reachable', codes: [] });
    for (const c of g.cells) expect(c.reachable + c.blocked + c.unknown).toBe(c.pairs);
    // The same question through /v1/why: the cell's code is the why's.
    const w = (await a.inject('/v1/why?from=alpine-01&to=redis-1')).json();
    expect(w.addresses[0].decidedBy.code).toBe('isolation');
  });

  it('a TCP port and one family are questions of their own (memoised apart)', async () => {
    const tcp = GridResult.parse((await a.inject('/v1/grid?port=6379/tcp&family=4')).json());
    expect(tcp.flow).toEqual({ proto: 'tcp', port: 6379 });
    expect(GridResult.parse((await a.inject('/v1/grid?family=ipv4')).json()).flow.proto).toBe('icmp');
    expect((await a.inject('/v1/grid?family=5')).statusCode).toBe(400);
    expect((await a.inject('/v1/grid?port=99999/tcp')).statusCode).toBe(400);
  });

  it('a cell opens into its pairs: as many as the grid counted, each with B\'s addresses on that network', async () => {
    const from = `${seed.name}/bridge`;
    const to = `${seed.name}/net-redis`;
    const c = GridCellResult.parse((await a.inject(`/v1/grid/cell?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).json());
    expect(c.pairs.map((p) => `${p.from}→${p.to} ${p.verdict}`).sort()).toEqual(['alpine-01→redis-1 blocked', 'alpine-01→redis-2 blocked']);
    for (const p of c.pairs) for (const x of p.addresses) expect(x.ip).toMatch(/^172\.18\./);
    const missing = await a.inject(`/v1/grid/cell?from=${encodeURIComponent(from)}&to=${encodeURIComponent(`${seed.name}/nope`)}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no network ".*\/nope" in view/);
  });

  it('the swarm captures (two hosts): a container on two networks counts in both, every cell opens into its count', async () => {
    const b = await app(SnapshotStore.saved(swarm));
    const g = GridResult.parse((await b.inject('/v1/grid')).json());
    const nets = Object.fromEntries(g.networks.map((n) => [n.key, n.containers]));
    // c1 is on ov1 and ov2: h1's ov1 holds a1 and c1, ov2 holds b1 and c1.
    expect(nets).toMatchObject({ 'h1/ov1': 2, 'h1/ov2': 2, 'h1/bridge': 1, 'h2/ov1': 1, 'h2/ov2': 1, 'h2/ub2': 1 });
    expect(new Set(g.networks.map((n) => n.host))).toEqual(new Set(['h1', 'h2']));
    // Across hosts: h1's ov2 to h2's ov2 is a cell of its own.
    expect(g.cells.find((c) => c.from === 'h1/ov2' && c.to === 'h2/ov2')).toMatchObject({ pairs: 2, blocked: 2 });
    expect(g.cells.find((c) => c.from === 'h2/ov2' && c.to === 'h1/ov2')).toMatchObject({ pairs: 2, reachable: 1, blocked: 1, verdict: 'mixed' });
    for (const c of g.cells) {
      const cell = GridCellResult.parse((await b.inject(`/v1/grid/cell?from=${c.from}&to=${c.to}`)).json());
      expect(cell.pairs.length).toBe(c.pairs);
      expect(cell.pairs.filter((p) => p.verdict === 'reachable').length).toBe(c.reachable);
    }
    await b.close();
  });
});

describe('Fix.rollback over HTTP', () => {
  it('each fix carries the exact undo commands, last step first', async () => {
    const a = await app(SnapshotStore.fixed(seed));
    const w = (await a.inject('/v1/why?from=alpine-01&to=redis-1')).json();
    const connect = w.fixes.find((f: { kind: string }) => f.kind === 'network-connect');
    expect(connect.rollback).toEqual(['docker network disconnect net-redis alpine-01']);
    const user = w.fixes.find((f: { kind: string }) => f.kind === 'docker-user');
    // Two inserts at the top: undone second one first, each as the -D of its rule.
    expect(user.rollback).toEqual([...user.commands].reverse().map((c: string) => c.replace(' -I DOCKER-USER ', ' -D DOCKER-USER ')));
    await a.close();
  });
});

describe('consent: POST /v1/fixes/:id/apply with what a fix opens besides the pair', () => {
  let a: FastifyInstance;
  let wider: { id: string; alsoOpens: string[] };
  beforeAll(async () => {
    a = await app(SnapshotStore.fixed(seed));
    const fixes = (await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'alpine-01', to: 'redis-1' } })).json().fixes as { id: string; kind: string; alsoOpens: string[] }[];
    wider = fixes.find((f) => f.kind === 'network-connect' && f.alsoOpens.length > 0) as { id: string; alsoOpens: string[] };
  });
  afterAll(() => a.close());
  const apply = (body: object) => a.inject({ method: 'POST', url: `/v1/fixes/${wider.id}/apply`, headers: auth, payload: { from: 'alpine-01', to: 'redis-1', ...body } });

  it('refused without a confirmation: 409 naming each pair, and the list to send back', async () => {
    const r = await apply({});
    expect(r.statusCode).toBe(409);
    expect(r.json().confirmWider).toEqual(wider.alsoOpens);
    for (const p of wider.alsoOpens) expect(r.json().message).toContain(p);
  });

  it('refused when the confirmation misses a pair or names one the fix does not open', async () => {
    const short = await apply({ confirmWider: wider.alsoOpens.slice(1) });
    expect(short.statusCode).toBe(409);
    expect(short.json().message).toContain(`not confirmed: ${wider.alsoOpens[0]}`);
    const extra = await apply({ confirmWider: [...wider.alsoOpens, 'alpine-01 → somewhere-else'] });
    expect(extra.statusCode).toBe(409);
    expect(extra.json().message).toContain('confirmed but not opened by it: alpine-01 → somewhere-else');
  });

  it('accepted with exactly those pairs (any order), or acceptWider: consent passed, the host is the next to be asked', async () => {
    for (const body of [{ confirmWider: [...wider.alsoOpens].reverse() }, { acceptWider: true }]) {
      const r = await apply(body);
      // The untouchable host refuses the first step: what comes back is the apply's result (undone, with what the
      // verification says), not a consent refusal.
      expect(r.json()).toMatchObject({ id: wider.id, status: 'rolled-back', verified: false, verification: 'not verified: a step failed', error: { message: 'this test must not change the host' }, fix: { id: wider.id } });
    }
  });

  it('the rule on its own: no pairs need nothing; order does not matter', () => {
    expect(widerUnconfirmed([], { acceptWider: false })).toBeNull();
    expect(widerUnconfirmed(['a → b', 'b → a'], { acceptWider: false, confirmWider: ['b → a', 'a → b'] })).toBeNull();
    expect(widerUnconfirmed(['a → b'], { acceptWider: false })).toBe('');
  });
});

describe('offline review: saved snapshots, read-only', () => {
  let a: FastifyInstance;
  beforeAll(async () => {
    a = await app(SnapshotStore.saved(swarm));
  });
  afterAll(() => a.close());

  it('/v1/status says snapshot mode and read-only, each host with its own collectedAt and age', async () => {
    const s = StatusResult.parse((await a.inject('/v1/status')).json());
    expect(s.mode).toBe('snapshot');
    expect(s.readOnly).toBe(true);
    expect(s.hosts.map((h) => [h.name, h.collectedAt, h.stale])).toEqual([['h1', swarm[0]?.collectedAt, false], ['h2', swarm[1]?.collectedAt, false]]);
    expect(s.hosts[0]?.ageSeconds).toBeGreaterThan(0);
  });

  it('the mutating routes are not there (404), even with the token; advice (POST /v1/fixes) is', async () => {
    for (const url of ['/v1/fixes/fx-12345678/apply', '/v1/rollback/fx-12345678', '/v1/plans/apply']) {
      const r = await a.inject({ method: 'POST', url, headers: auth, payload: { from: 'a1', to: 'b2', id: 'p1', steps: [] } });
      expect(r.statusCode, url).toBe(404);
    }
    expect((await a.inject({ method: 'POST', url: '/v1/fixes', payload: { from: 'h1/b1', to: 'h2/b2' } })).statusCode).toBe(200);
    expect(Object.keys((await a.inject('/openapi.json')).json().paths)).not.toContain('/v1/rollback/{id}');
  });

  it('every read route answers across the hosts: why across them, /ui, and /v1/snapshot by ?host=', async () => {
    const w = await a.inject('/v1/why?from=h2/b2&to=h1/b1');
    expect(w.statusCode).toBe(200);
    expect(w.json().from.host).toBe('h2');
    const ui = await a.inject('/ui');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect((await a.inject('/v1/snapshot')).statusCode).toBe(400);
    expect((await a.inject('/v1/snapshot?host=h2')).json().name).toBe('h2');
    expect((await a.inject('/v1/snapshot?host=h9')).statusCode).toBe(404);
    expect((await a.inject('/readyz')).statusCode).toBe(200);
  });
});
