// Lab: the agent live on a real host — Prometheus scraping it, load, bad input, Docker events, changes through it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable, nodeFlags, until } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { existsSync } from 'node:fs';

const skip = labUnavailable() ?? (existsSync('/usr/bin/prometheus') ? null : 'the agent lab test needs Prometheus: apt-get install prometheus');
if (skip) {
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but: ${skip}`);
  console.warn(`SKIPPED agent lab tests: ${skip}`);
}

const TOKEN = 'lab-token-5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f';
const AGENT = 'http://127.0.0.1:9700';

describe.skipIf(skip !== null)('netdiag agent on a real host', () => {
  let lab: Lab;
  let h: LabHost;
  let agent: ReturnType<LabHost['startDaemon']>;
  let dir: string;
  const auth = { headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } };

  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'h1', { lan: '10.77.0.1/24' });
    // A long refresh interval: anything the agent notices quickly below, it notices through Docker events.
    ({ daemon: agent, dir } = await h.startAgent(TOKEN, { hostName: 'h1' }));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('serves why and matrix with the CLI\'s JSON', async () => {
    const r = await h.http(`${AGENT}/v1/why?from=alpine-01&to=redis-1`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ verdict: 'blocked', addresses: [{ decidedBy: { chain: 'DOCKER-ISOLATION-STAGE-2' } }] });
    const cli = await h.netdiag(['why', 'alpine-01', 'redis-1', '--json']);
    expect(JSON.parse(cli.stdout).addresses[0].decidedBy.text).toBe(JSON.parse(r.body).addresses[0].decidedBy.text);
  });

  it('the CLI asks the agent with --agent', async () => {
    const r = await h.netdiag(['matrix', '--agent', AGENT, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pairs).toHaveLength(6);
    const down = await h.netdiag(['why', 'a', 'b', '--agent', 'http://127.0.0.1:9799']);
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toMatch(/^netdiag: cannot reach the agent at http:\/\/127\.0\.0\.1:9799: ECONNREFUSED/);
  });

  it('a real Prometheus scrapes it, and a query for a netdiag series returns data', async () => {
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(cfg, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: netdiag\n    static_configs:\n      - targets: ['127.0.0.1:9700']\n`);
    h.startDaemon('/usr/bin/prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--web.listen-address=127.0.0.1:9090'], join(dir, 'prometheus.log'));
    const result = await until(
      'Prometheus to have netdiag data',
      async () => {
        const r = await h.http(`http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent('netdiag_network_pairs_reachable{from_network="net-redis",to_network="net-redis"}')}`);
        const j = JSON.parse(r.body);
        return j.data?.result?.length > 0 ? j.data.result : null;
      },
      60_000,
    );
    expect(result[0].value[1]).toBe('2');
    const up = JSON.parse((await h.http(`http://127.0.0.1:9090/api/v1/query?query=up{job="netdiag"}`)).body);
    expect(up.data.result[0].value[1]).toBe('1');
  });

  it('2,000 requests at concurrency 50 against /metrics and against /v1/why, zero errors', async () => {
    const m = await h.load(`${AGENT}/metrics`, 2000, 50);
    const w = await h.load(`${AGENT}/v1/why?from=alpine-01&to=redis-1`, 2000, 50);
    console.log(`agent load: /metrics p50 ${m.p50.toFixed(1)} ms p99 ${m.p99.toFixed(1)} ms; /v1/why p50 ${w.p50.toFixed(1)} ms p99 ${w.p99.toFixed(1)} ms`);
    expect(m).toMatchObject({ requests: 2000, errors: 0 });
    expect(w).toMatchObject({ requests: 2000, errors: 0 });
  });

  it.each([
    ['malformed JSON', '/v1/fixes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"from":' }, 400, /JSON/i],
    ['an unknown name', '/v1/why?from=nosuch&to=redis-1', {}, 404, /no running container "nosuch"/],
    ['an oversized body', '/v1/fixes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'x'.repeat(100_000), to: 'y' }) }, 413, /too large/i],
    ['no token', '/v1/rollback/fx-00000000', { method: 'POST' }, 401, /bearer token is required/],
    ['a wrong token', '/v1/rollback/fx-00000000', { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all-0000000000000' } }, 401, /wrong token/],
  ])('%s: a 4xx with a clear message, and the agent keeps serving', async (_what, path, init, status, message) => {
    const r = await h.http(`${AGENT}${path}`, init as RequestInit);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body).message).toMatch(message);
    expect((await h.http(`${AGENT}/healthz`)).status).toBe(200);
  });

  it('applies a fix and rolls it back through the API, with the token', async () => {
    const plan = JSON.parse((await h.http(`${AGENT}/v1/fixes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'alpine-01', to: 'redis-1' }) })).body);
    // The narrow one (the top fix, joining the network, opens more: it would need "acceptWider").
    const id = plan.fixes.find((f: { kind: string }) => f.kind === 'docker-user').id;
    const applied = await h.http(`${AGENT}/v1/fixes/${id}/apply`, { method: 'POST', ...auth, body: JSON.stringify({ from: 'alpine-01', to: 'redis-1' }) });
    expect(applied.status, applied.body).toBe(200);
    expect(JSON.parse(applied.body)).toMatchObject({ id, status: 'applied', verified: true });
    expect(await h.probe('alpine-01', await h.ip('redis-1', 'net-redis'))).toBe(true);
    const metrics = (await h.http(`${AGENT}/metrics`)).body;
    expect(metrics).toMatch(/^netdiag_changes_applied\{kind="fix"\} 1$/m);
    const rolled = await h.http(`${AGENT}/v1/rollback/${id}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(rolled.status, rolled.body).toBe(200);
    expect(await h.probe('alpine-01', await h.ip('redis-1', 'net-redis'))).toBe(false);
  });

  it('refreshes on Docker events: a network connect shows up without waiting for the interval', async () => {
    await h.docker(['network', 'connect', 'net-redis', 'alpine-01']);
    const verdict = await until('the agent to see the connect', async () => {
      const j = JSON.parse((await h.http(`${AGENT}/v1/why?from=alpine-01&to=redis-1`)).body);
      return j.verdict === 'reachable' ? j.verdict : null;
    });
    expect(verdict).toBe('reachable');
    await h.docker(['network', 'disconnect', 'net-redis', 'alpine-01']);
  });

  it('refuses plain HTTP beyond loopback unless --insecure-http (issue 27: the token rule became the clear-text rule)', async () => {
    const r = await h.netdiag(['agent', '--listen', '10.77.0.1:9701']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("netdiag: refusing to serve plain HTTP on 10.77.0.1: anyone on the network could read this host's snapshot (give --web-config with a tls_server_config, or --insecure-http to accept that, or listen on 127.0.0.1)\n");
  });

  it('consent (issue 26): a fix that opens more is refused until exactly those pairs are confirmed, then applied, verified by the probe, and rolled back', async () => {
    // The test before disconnected alpine-01 from net-redis: the agent sees it on its next refresh (Docker's event).
    await until('the agent to see alpine-01 cut off from redis-1 again', async () => (JSON.parse((await h.http(`${AGENT}/v1/why?from=alpine-01&to=redis-1`)).body).verdict === 'blocked' ? true : null));
    const plan = JSON.parse((await h.http(`${AGENT}/v1/fixes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'alpine-01', to: 'redis-1' }) })).body);
    const wider = plan.fixes.find((f: { kind: string; alsoOpens: string[] }) => f.kind === 'network-connect' && f.alsoOpens.length > 0);
    expect(wider.rollback).toEqual(['docker network disconnect net-redis alpine-01']);
    const refused = await h.http(`${AGENT}/v1/fixes/${wider.id}/apply`, { method: 'POST', ...auth, body: JSON.stringify({ from: 'alpine-01', to: 'redis-1' }) });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body).confirmWider).toEqual(wider.alsoOpens);
    expect(await h.probe('alpine-01', await h.ip('redis-1', 'net-redis'))).toBe(false);
    const applied = await h.http(`${AGENT}/v1/fixes/${wider.id}/apply`, { method: 'POST', ...auth, body: JSON.stringify({ from: 'alpine-01', to: 'redis-1', confirmWider: JSON.parse(refused.body).confirmWider }) });
    expect(applied.status, applied.body).toBe(200);
    // The result carries the probe's answer.
    expect(JSON.parse(applied.body)).toMatchObject({ id: wider.id, status: 'applied', verified: true, verification: expect.stringMatching(/^probe: 172\.18\.\S+ reachable/) });
    const rolled = await h.http(`${AGENT}/v1/rollback/${wider.id}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(rolled.status, rolled.body).toBe(200);
    // What was undone is what was applied (the rollback line announced its inverse, checked above).
    expect(JSON.parse(rolled.body).undone.map((u: { command: string }) => u.command)).toEqual([...wider.commands].reverse());
    expect(await h.probe('alpine-01', await h.ip('redis-1', 'net-redis'))).toBe(false);
  });

  it('offline review (issue 26): netdiag agent --snapshot serves /ui and the read routes of a snapshot taken here, with Docker out of reach', async () => {
    const snap = await h.netdiag(['snapshot']);
    expect(snap.exitCode, snap.stderr).toBe(0);
    const file = join(dir, 'h1.json');
    writeFileSync(file, snap.stdout);
    const review = h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'agent', '--snapshot', file, '--listen', '127.0.0.1:9702'], join(dir, 'review.log'), { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    const R = 'http://127.0.0.1:9702';
    await until('the review agent to serve', async () => ((await h.http(`${R}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : null));
    const ui = await h.http(`${R}/ui`);
    expect(ui.status).toBe(200);
    expect(ui.body).toMatch(/<html/i);
    const name = JSON.parse(snap.stdout).name as string;
    expect(JSON.parse((await h.http(`${R}/v1/status`)).body)).toMatchObject({ mode: 'snapshot', readOnly: true, hosts: [{ name, stale: false }] });
    expect(JSON.parse((await h.http(`${R}/v1/why?from=alpine-01&to=redis-1`)).body).verdict).toBe('blocked');
    const grid = JSON.parse((await h.http(`${R}/v1/grid`)).body);
    expect(grid.cells.find((c: { from: string; to: string }) => c.from === `${name}/bridge` && c.to === `${name}/net-redis`)).toMatchObject({ verdict: 'blocked', codes: ['isolation'] });
    expect((await h.http(`${R}/v1/fixes/fx-00000000/apply`, { method: 'POST', ...auth, body: '{}' })).status).toBe(404);
    expect(await review.stop('SIGTERM')).toBe(0);
  });

  it('readyz (issue 26): dockerd stopped, the next collection fails: 503 failing with the reason, stale 1, healthz 200', async () => {
    // A second agent that collects every second (the first one's refresh is 5 minutes); last: dockerd stays down.
    const fast = h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'agent', '--listen', '127.0.0.1:9703', '--refresh', '1s', '--host-name', 'h1', '--state-dir', join(dir, 'state-fast')], join(dir, 'fast.log'));
    const F = 'http://127.0.0.1:9703';
    await until('the second agent to be ready', async () => ((await h.http(`${F}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : null));
    await h.stopDocker();
    const body = await until('readyz to fail', async () => {
      const r = await h.http(`${F}/readyz`);
      return r.status === 503 ? JSON.parse(r.body) : null;
    });
    expect(body).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/^docker: /), reason: expect.stringMatching(/the last collection failed/) });
    expect((await h.http(`${F}/metrics`)).body).toMatch(/^netdiag_snapshot_stale 1$/m);
    expect((await h.http(`${F}/healthz`)).status).toBe(200);
    expect(JSON.parse((await h.http(`${F}/v1/status`)).body).hosts[0]).toMatchObject({ stale: true, lastError: expect.stringMatching(/^docker: /) });
    expect(await fast.stop('SIGTERM')).toBe(0);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
  });
});
