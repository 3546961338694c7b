// `why` answered by this host's agent: only when its snapshot is this host's and fresh, and then the same output as
// the answer computed from that snapshot. A real agent app (the seed host captured in the lab) on a loopback port.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { askLocalAgent, judgeStatus } from '../../../cli/local-agent.js';
import { localAgentUrl } from '../../../cli/local-agent-url.js';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { makeTlsSet } from '../../tls-certs.js';
import { untouchableHost } from '../recording-host.js';
import { REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');
const seed = parseSnapshot(JSON.parse(readFileSync(SEED, 'utf8')));

async function serve(store: SnapshotStore): Promise<{ app: FastifyInstance; url: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
  const ledger = new ChangeLedger(stateDir);
  const app = await buildApp({ store, metrics: createMetrics(store, ledger), ledger, token: null, stateDir, host: untouchableHost(), hostName: seed.name });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

function capture(env: NodeJS.ProcessEnv): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

/** A live store that has collected once (at clock 0) and refreshes every minute. */
async function liveStore(clock: { t: number }): Promise<SnapshotStore> {
  const store = new SnapshotStore(async () => seed, () => clock.t);
  await store.refresh();
  store.refreshMs = 60_000;
  return store;
}

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('the local agent answers why', () => {
  const clock = { t: 0 };
  let fresh: { app: FastifyInstance; url: string };
  beforeAll(async () => {
    fresh = await serve(await liveStore(clock));
  });
  afterAll(async () => {
    await fresh.app.close();
  });
  const env = () => ({ NETDIAG_AGENT: fresh.url, NETDIAG_HOST_NAME: seed.name });

  it('fresh: the same JSON and the same text as the answer from its snapshot, exit code included, and says so on stderr', async () => {
    clock.t = 5_000;
    for (const [a, b, extra] of [['alpine-01', 'redis-1', []], ['redis-1', 'redis-2', []], ['redis-1', 'redis-2', ['--port', '6379/tcp']], ['redis-1', 'redis-2', ['--port', '9999/tcp']], ['alpine-01', 'redis-2', ['-4']]] as const) {
      for (const json of [['--json'], []]) {
        const viaAgent = capture(env());
        const codeAgent = await main(['why', a, b, ...extra, ...json], viaAgent);
        const fromFile = capture({});
        const codeFile = await main(['why', '--snapshot', SEED, a, b, ...extra, ...json], fromFile);
        expect(viaAgent.out, `${a} → ${b} ${extra.join(' ')} ${json.join('')}`).toBe(fromFile.out);
        expect(codeAgent).toBe(codeFile);
        expect(viaAgent.err).toMatch(/^netdiag: answered by the local agent \(snapshot 5 s old; --no-agent collects now\)\n$/);
      }
    }
  });

  it('older than its refresh interval: not answered, and why', async () => {
    clock.t = 61_000;
    const r = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture(env()));
    expect(r).toMatchObject({ reason: 'its snapshot is 61 s old, older than its refresh interval (60 s)', explicit: true });
    clock.t = 5_000;
  });

  it('stale (its last collection failed): not answered', async () => {
    const store = await liveStore(clock);
    const stale = await serve(store);
    try {
      store.lastFailed = true;
      const r = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture({ NETDIAG_AGENT: stale.url, NETDIAG_HOST_NAME: seed.name }));
      expect(r).toMatchObject({ reason: 'its last collection failed (it serves an older snapshot)' });
    } finally {
      await stale.app.close();
    }
  });

  it('another host\'s snapshot (the agent or this CLI named otherwise): not answered', async () => {
    const r = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture({ NETDIAG_AGENT: fresh.url, NETDIAG_HOST_NAME: 'elsewhere' }));
    expect(r).toMatchObject({ reason: `it serves host "${seed.name}", this host is "elsewhere" (--host-name / NETDIAG_HOST_NAME)` });
    expect(await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, { hostName: seed.name }, capture({ NETDIAG_AGENT: fresh.url }))).toHaveProperty('text');
  });

  it('saved snapshots (agent --snapshot): not this host live, not answered', async () => {
    const saved = await serve(SnapshotStore.saved([seed]));
    try {
      expect(await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture({ NETDIAG_AGENT: saved.url, NETDIAG_HOST_NAME: seed.name }))).toMatchObject({ reason: 'it serves saved snapshots, not this host live' });
    } finally {
      await saved.app.close();
    }
  });

  it('refused (no agent): not answered, at once', async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const r = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture({ NETDIAG_AGENT: `http://127.0.0.1:${port}`, NETDIAG_HOST_NAME: seed.name }));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r).toMatchObject({ explicit: true });
    expect((r as { reason: string }).reason).toMatch(/127\.0\.0\.1/);
  });

  it('a TLS agent: plain HTTP to it, or its certificate not trusted, is not answered; with its CA given, it is', async () => {
    const certs = await makeTlsSet(mkdtempSync(join(tmpdir(), 'netdiag-certs-')));
    // The agent's own routes behind TLS (the agent's listener is the web config's business, not this test's).
    const tls = createHttpsServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
      void fresh.app.inject({ method: req.method as 'GET', url: req.url as string }).then((r) => res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] as string }).end(r.body));
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const port = (tls.address() as AddressInfo).port;
    try {
      for (const url of [`http://127.0.0.1:${port}`, `https://127.0.0.1:${port}`]) {
        const r = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, {}, capture({ NETDIAG_AGENT: url, NETDIAG_HOST_NAME: seed.name }));
        expect(r, url).toHaveProperty('reason');
        expect(r, url).not.toHaveProperty('text');
      }
      const trusted = await askLocalAgent({ from: 'alpine-01', to: 'redis-1' }, { cacert: certs.caCert }, capture({ NETDIAG_AGENT: `https://127.0.0.1:${port}`, NETDIAG_HOST_NAME: seed.name }));
      expect(trusted).toHaveProperty('text');
    } finally {
      tls.close();
    }
  });

  it('asked only about this host: not with --snapshot, --agent, --inventory, --no-agent or NETDIAG_AGENT=off; the default is 127.0.0.1:9700', () => {
    expect(localAgentUrl({}, {})).toEqual({ url: 'http://127.0.0.1:9700', explicit: false });
    expect(localAgentUrl({ snapshot: [SEED] }, {})).toBeNull();
    expect(localAgentUrl({ agent: ['http://h:9700'] }, {})).toBeNull();
    expect(localAgentUrl({ inventory: 'x.yml' }, {})).toBeNull();
    expect(localAgentUrl({ noAgent: true }, {})).toBeNull();
    expect(localAgentUrl({}, { NETDIAG_AGENT: 'off' })).toBeNull();
    expect(localAgentUrl({}, { NETDIAG_AGENT: 'https://127.0.0.1:9700' })).toEqual({ url: 'https://127.0.0.1:9700', explicit: true });
  });

  it('the decision on /v1/status alone', () => {
    const host = { name: 'h', ageSeconds: 3, stale: false, collectors: { docker: { status: 'ok' } } };
    expect(judgeStatus({ mode: 'live', refreshSeconds: 60, hosts: [host] }, 'h')).toEqual({ fresh: true, ageSeconds: 3, partial: false });
    expect(judgeStatus({ mode: 'live', refreshSeconds: 60, hosts: [{ ...host, collectors: { docker: { status: 'partial' } } }] }, 'h')).toEqual({ fresh: true, ageSeconds: 3, partial: true });
    // An agent from before the refresh interval was said: its age cannot be judged.
    expect(judgeStatus({ mode: 'live', hosts: [host] }, 'h')).toMatchObject({ fresh: false, reason: 'it does not say how often it refreshes' });
    expect(judgeStatus({ mode: 'live', refreshSeconds: 60, hosts: [host, { ...host, name: 'g' }] }, 'h')).toMatchObject({ fresh: false, reason: 'it serves 2 hosts' });
    expect(judgeStatus({ nonsense: true }, 'h')).toMatchObject({ fresh: false });
  });
});
