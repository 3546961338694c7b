// `why A B [--json]` answered by the local agent through the quick path (bin.ts → why-quick.ts, run from V8's code
// cache): the same bytes and exit code as the answer collected from the same snapshot, only that command line taken,
// and an agent that does not answer asked once (the whole CLI is told what it said). A real agent app on loopback.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { quickWhy } from '../../../cli/quick-args.js';
import { whyQuick } from '../../../cli/why-quick.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { untouchableHost } from '../recording-host.js';
import { makeTlsSet } from '../../tls-certs.js';
import { REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');
/** package.json's bin (CommonJS, launch.ts), and the same CLI as an ES module (bin.ts): both take the quick path. */
const BIN = join(REPO, 'dist/netdiag.cjs');
const ESM_BIN = join(REPO, 'dist/netdiag.mjs');
const seed = parseSnapshot(JSON.parse(readFileSync(SEED, 'utf8')));
// The seed's pairs: blocked with fixes, reachable, blocked by name, by address.
const PAIRS = [['alpine-01', 'redis-1'], ['redis-1', 'redis-2'], ['redis-2', 'alpine-01'], ['alpine-01', seed.docker!.containers.find((c) => c.name === 'redis-2')!.endpoints[0]!.ip!]] as const;

/** An agent over the seed, live, collected at clock 0 and refreshing every minute; counts the status asks. */
async function serve(clock: { t: number }, before: (app: FastifyInstance) => void = () => undefined): Promise<{ app: FastifyInstance; url: string; store: SnapshotStore; statusAsks: () => number }> {
  const store = new SnapshotStore(async () => seed, () => clock.t);
  await store.refresh();
  store.refreshMs = 60_000;
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
  const ledger = new ChangeLedger(stateDir);
  const app = await buildApp({ store, metrics: createMetrics(store, ledger), ledger, token: null, stateDir, host: untouchableHost(), hostName: seed.name });
  let asks = 0;
  app.addHook('onRequest', async (req) => {
    if (req.url === '/v1/status') asks++;
  });
  before(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, store, statusAsks: () => asks };
}

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

function capture(env: NodeJS.ProcessEnv): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

/** The built executable, as users run it: exit code, stdout, stderr. Docker unreachable: nothing is collected for real. */
async function bin(args: string[], env: NodeJS.ProcessEnv, file = BIN): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [file, ...args], { env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent', ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('the quick path of why', () => {
  const clock = { t: 0 };
  let agent: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    agent = await serve(clock);
    clock.t = 5_000;
  });
  afterAll(async () => {
    await agent.app.close();
  });
  const env = () => ({ NETDIAG_AGENT: agent.url, NETDIAG_HOST_NAME: seed.name });

  it('takes only `why A B` with --json or not, and only with an agent to ask', () => {
    expect(quickWhy(['why', 'a', 'b'], {})).toEqual({ from: 'a', to: 'b', json: false });
    expect(quickWhy(['why', '--json', 'a', 'b'], {})).toEqual({ from: 'a', to: 'b', json: true });
    expect(quickWhy(['why', 'a', 'b', '--json'], { NETDIAG_AGENT: 'http://127.0.0.1:1' })).toEqual({ from: 'a', to: 'b', json: true });
    for (const argv of [['why', 'a'], ['why', 'a', 'b', 'c'], ['why', 'a', 'b', '--port', '80/tcp'], ['why', 'a', 'b', '-4'], ['why', 'a', 'b', '--no-agent'], ['why', 'a', 'b', '--snapshot', 'f'], ['why', '--help'], ['why', '--', 'a', 'b'], ['matrix', 'a', 'b'], ['fix', 'a', 'b'], []]) expect(quickWhy(argv, {}), argv.join(' ')).toBeNull();
    expect(quickWhy(['why', 'a', 'b'], { NETDIAG_AGENT: 'off' })).toBeNull();
  });

  it('in process: the same bytes and exit code as the answer collected from the agent\'s snapshot', async () => {
    for (const [a, b] of PAIRS) {
      for (const json of [true, false]) {
        const quick = capture(env());
        const r = await whyQuick({ from: a, to: b, json }, quick);
        const fromFile = capture({});
        const code = await main(['why', '--snapshot', SEED, a, b, ...(json ? ['--json'] : [])], fromFile);
        expect(quick.out, `${a} → ${b} ${json}`).toBe(fromFile.out);
        expect(r).toEqual({ code });
        expect(quick.err).toBe('netdiag: answered by the local agent (snapshot 5 s old; --no-agent collects now)\n');
      }
    }
  });

  it('the built executable: the same bytes and exit code, at the first run (cache written) and the next (cache read)', async () => {
    for (const [a, b] of PAIRS.slice(0, 2)) {
      for (const json of [true, false]) {
        const fromFile = capture({});
        const code = await main(['why', '--snapshot', SEED, a, b, ...(json ? ['--json'] : [])], fromFile);
        for (const [run, file] of [BIN, BIN, ESM_BIN].entries()) {
          const r = await bin(['why', a, b, ...(json ? ['--json'] : [])], env(), file);
          expect(r.out, `${a} → ${b} ${json} run ${run}`).toBe(fromFile.out);
          expect(r.code).toBe(code);
          expect(r.err).toMatch(/^netdiag: answered by the local agent \(snapshot \d+ s old; --no-agent collects now\)\n$/);
        }
      }
    }
  }, 60_000);

  it('fix advice that is not JSON (an agent or proxy gone wrong): not usable, handed to the whole CLI, nothing printed', async () => {
    let fixesAsked = 0;
    const broken = await serve({ t: 0 }, (app) =>
      app.addHook('onSend', async (req, reply, payload) => {
        // Answers without fixes, so a blocked one's next step is asked of /v1/fixes, which answers garbage.
        if (req.url.startsWith('/v1/why?')) return JSON.stringify({ ...JSON.parse(Buffer.from(payload as Uint8Array).toString()), fixes: [] });
        if (req.url !== '/v1/fixes') return payload;
        fixesAsked++;
        reply.header('content-type', 'application/json');
        return 'not json';
      }),
    );
    try {
      for (const [a, b] of PAIRS) {
        const io = capture({ NETDIAG_AGENT: broken.url, NETDIAG_HOST_NAME: seed.name });
        const r = await whyQuick({ from: a, to: b, json: false }, io);
        if ('code' in r) continue;
        expect(r).toEqual({ asked: { reason: 'its answer was not usable', explicit: false } });
        expect(io.out).toBe('');
      }
      // The seed's blocked pairs asked for it.
      expect(fixesAsked).toBeGreaterThan(0);
    } finally {
      await broken.app.close();
    }
  });

  it('an agent that does not answer (its snapshot too old) is asked once, and the whole CLI says why and collects', async () => {
    clock.t = 61_000;
    try {
      const before = agent.statusAsks();
      const r = await bin(['why', 'alpine-01', 'redis-1'], env());
      expect(agent.statusAsks() - before).toBe(1);
      expect(r.err).toContain(`netdiag: not answered by the agent at ${agent.url}: its snapshot is 61 s old, older than its refresh interval (60 s); collecting this host\n`);
      // Asked the same way without the quick path (an option it does not take): the same lines on stderr, asked once.
      const before2 = agent.statusAsks();
      const whole = await bin(['why', 'alpine-01', 'redis-1', '--host-name', seed.name], env());
      expect(agent.statusAsks() - before2).toBe(1);
      expect(whole.err).toBe(r.err);
      expect(whole.code).toBe(r.code);
      // The ES module executable the same.
      const before3 = agent.statusAsks();
      expect(await bin(['why', 'alpine-01', 'redis-1'], env(), ESM_BIN)).toEqual(r);
      expect(agent.statusAsks() - before3).toBe(1);
    } finally {
      clock.t = 5_000;
    }
  }, 60_000);

  it('a TLS agent (node:https loaded by import() inside the cached script): refused for its certificate, said as the whole CLI says it', async () => {
    const certs = await makeTlsSet(mkdtempSync(join(tmpdir(), 'netdiag-certs-')));
    const tls = createHttpsServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
      void agent.app.inject({ method: req.method as 'GET', url: req.url as string }).then((r) => res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] as string }).end(r.body));
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
      const r = await bin(['why', 'alpine-01', 'redis-1'], { NETDIAG_AGENT: url, NETDIAG_HOST_NAME: seed.name });
      const whole = await bin(['why', 'alpine-01', 'redis-1', '--host-name', seed.name], { NETDIAG_AGENT: url, NETDIAG_HOST_NAME: seed.name });
      expect(r.err).toContain(`netdiag: not answered by the agent at ${url}: `);
      expect(r.err).not.toMatch(/ERR_VM|dynamic import/i);
      expect(r).toEqual(whole);
    } finally {
      tls.close();
    }
  }, 60_000);

  it('no agent listening: the whole CLI says so and collects, as without the quick path', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const r = await bin(['why', 'alpine-01', 'redis-1'], { NETDIAG_AGENT: url, NETDIAG_HOST_NAME: seed.name });
    const whole = await bin(['why', 'alpine-01', 'redis-1', '--host-name', seed.name], { NETDIAG_AGENT: url, NETDIAG_HOST_NAME: seed.name });
    expect(r.err).toContain(`netdiag: not answered by the agent at ${url}: `);
    expect(r).toEqual(whole);
  }, 60_000);
});
