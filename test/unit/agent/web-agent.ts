// Test helper: the agent's app over the seed host, served by the agent's own listener (web config, TLS, read auth)
// on 127.0.0.1:0; and a client that speaks TLS with or without a client certificate.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion, TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { webSetup } from '../../../agent/web-setup.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { untouchableHost } from '../recording-host.js';
import { REPO } from '../fixtures.js';
import { makeTlsSet } from '../../tls-certs.js';
import type { TlsSet } from '../../tls-certs.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
export const TOKEN = 'a-token-of-sufficient-length-0123456789';

export interface RunningAgent {
  app: FastifyInstance;
  port: number;
  url: string;
  /** Lines the agent logged (its own: reloads, refused connections). */
  lines: string[];
  /** fastify's JSON log records (basic auth failures). */
  records: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The agent with `webConfig` (a path, or null for none), listening on 127.0.0.1:0; /whoami answers req.netdiagClient. */
export async function startWebAgent(webConfig: string | null, o: { publicMetrics?: boolean; token?: string | null } = {}): Promise<RunningAgent> {
  const store = SnapshotStore.fixed(seed);
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  metrics.observeRefresh(seed);
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const web = webSetup({ webConfig: webConfig ?? undefined, publicMetrics: o.publicMetrics, who: 'netdiag agent', log: (l) => lines.push(l) }, metrics);
  const stream = { write: (s: string) => void records.push(JSON.parse(s)) };
  const app = await buildApp(
    { store, metrics, ledger, token: o.token === undefined ? TOKEN : o.token, stateDir, host: untouchableHost(), hostName: seed.name, auth: web.auth },
    { logger: { level: 'warn', stream }, serverFactory: web.serverFactory },
  );
  app.get('/whoami', async (req) => ({ client: req.netdiagClient }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, url: `${web.tls ? 'https' : 'http'}://127.0.0.1:${port}`, lines, records, close: () => app.close() };
}

export interface TlsAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The server certificate's SHA-256 fingerprint. */
  served: string;
}

/** One HTTPS request; rejects with the TLS or socket error (code and message) when the handshake or the connection fails. */
export function tlsGet(port: number, path: string, c: { ca: string; cert?: string; key?: string; maxVersion?: SecureVersion; headers?: Record<string, string>; method?: string; body?: string }): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: c.method ?? 'GET',
        servername: 'localhost',
        ca: readFileSync(c.ca),
        ...(c.cert ? { cert: readFileSync(c.cert), key: readFileSync(c.key as string) } : {}),
        ...(c.maxVersion ? { maxVersion: c.maxVersion } : {}),
        headers: c.headers,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const served = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, served }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(c.body);
  });
}

/** A web config file in its own directory (so relative paths resolve there). */
export function writeWebConfig(text: string, dir = mkdtempSync(join(tmpdir(), 'netdiag-web-'))): string {
  const file = join(dir, 'web.yml');
  writeFileSync(file, text);
  return file;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Test certificates, and a web config directory holding the agent's as server.crt/server.key and the CA as ca.crt. */
export async function tlsConfigDir(): Promise<{ s: TlsSet; dir: string }> {
  const s = await makeTlsSet(mkdtempSync(join(tmpdir(), 'netdiag-tls-')));
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-web-'));
  copyFileSync(s.serverCert, join(dir, 'server.crt'));
  copyFileSync(s.serverKey, join(dir, 'server.key'));
  copyFileSync(s.caCert, join(dir, 'ca.crt'));
  return { s, dir };
}
