// An HTTP fuzz of every route /openapi.json lists, through app.inject on captured snapshots: malformed, oversized,
// wrong-typed, repeated, badly encoded inputs, wrong methods and content types, deep JSON — never a 5xx but the
// limits' 503, and the agent still answers /healthz after each host's run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../agent/app.js';
import { defaultLimits } from '../../../agent/limits.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { untouchableHost } from '../recording-host.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';
import { fuzzRequests } from '../../agent-fuzz.js';
import type { OpenApiDoc } from '../../agent-fuzz.js';

const TOKEN = 'a-token-of-sufficient-length-0123456789';
const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(REPO, f), 'utf8')));

/** A 5xx is a bug, except the limits' own 503 (busy, past the deadline), which says so. */
export function isBug(status: number, body: string): boolean {
  if (status < 500) return false;
  return !(status === 503 && /the agent is busy|deadline for one walk/.test(body));
}

describe.each([
  ['examples/seed-host.json', { from: 'alpine-01', to: 'redis-1' }],
  ['test/fixtures/captured/reach/h1.json', {}],
  ['test/fixtures/captured/ipv6/v6mixed.json', {}],
])('the fuzz on %s', (file, names) => {
  it('every route, every case: no 5xx, a JSON message with every 4xx the app answers, and /healthz after', async () => {
    const snap: HostSnapshot = load(file);
    const container = snap.docker?.containers?.[0]?.name ?? 'nosuch';
    const store = SnapshotStore.fixed(snap);
    const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-fuzz-'));
    const ledger = new ChangeLedger(stateDir);
    const metrics = createMetrics(store, ledger);
    metrics.observeRefresh(snap);
    // Small walk limits: the fuzz also runs into the gate, whose 503 is the one 5xx allowed.
    const a = await buildApp({ store, metrics, ledger, token: TOKEN, stateDir, host: untouchableHost(), hostName: snap.name, limits: defaultLimits({ rate: null, maxWalks: 1, walkQueue: 4 }) });
    const doc = (await a.inject('/openapi.json')).json() as OpenApiDoc;
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.length).toBeGreaterThanOrEqual(14);
    const cases = fuzzRequests(doc, { names: { from: container, to: container, id: 'fx-00000000', host: snap.name, ...names }, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(cases.length).toBeGreaterThan(1000);
    const statuses: Record<number, number> = {};
    const bugs: string[] = [];
    // In batches of 8 at once: the gate and the memo see concurrent askers, as on a live agent.
    for (let i = 0; i < cases.length; i += 8) {
      await Promise.all(
        cases.slice(i, i + 8).map(async (c) => {
          const r = await a.inject({ method: c.method as 'GET', url: c.url, headers: c.headers, ...(c.body !== undefined && c.body !== '' ? { payload: c.body } : {}) });
          statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
          if (isBug(r.statusCode, r.body)) bugs.push(`${c.name}: ${r.statusCode} ${r.body.slice(0, 200)}`);
          else if (r.statusCode >= 400 && c.method !== 'HEAD' && !(typeof r.json() === 'object' && typeof r.json().message === 'string')) bugs.push(`${c.name}: ${r.statusCode} without a JSON message: ${r.body.slice(0, 200)}`);
        }),
      );
    }
    console.log(`fuzz ${file}: ${cases.length} requests over ${routes.length} routes, statuses ${JSON.stringify(statuses)}`);
    expect(bugs).toEqual([]);
    // Every kind of refusal was reached: the fuzz is not all one answer.
    for (const s of [400, 404, 413, 415]) expect(statuses[s], `status ${s}`).toBeGreaterThan(0);
    expect((await a.inject('/healthz')).statusCode).toBe(200);
    expect((await a.inject('/v1/matrix')).statusCode).toBe(200);
    // Nothing the fuzz sent polluted Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await a.close();
  }, 120_000);
});
