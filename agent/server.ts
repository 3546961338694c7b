// `netdiag agent`: listen (loopback by default), refresh the snapshot on an interval and on Docker events,
// finish interrupted changes from the journal, and shut down cleanly on SIGTERM/SIGINT; or serve saved snapshots, read-only.
import { isLoopbackName } from '../rules/addr/addr.js';
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { LogController } from 'fastify';
import { collectSnapshot } from '../collectors/run.js';
import { rollbackChange } from '../actuation/apply.js';
import { buildApp } from './app.js';
import { watchDockerEvents } from './docker-events.js';
import { ChangeLedger } from '../actuation/ledger.js';
import { createMetrics } from './metrics.js';
import { defaultWalker } from './walker.js';
import { SnapshotStore } from './snapshot-store.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { AgentConfigError } from './config-error.js';
import { plainHttpWarning, servingText, webSetup } from './web-setup.js';

export { AgentConfigError } from './config-error.js';
import { defaultLimits } from './limits.js';
import type { LimitOptions } from './limits.js';
// The CLI reaches the agent only through this module: the hardening flags' parsers, for `netdiag agent`.
export { LimitConfigError, defaultLimits, parseMaxWalks, parseRate } from './limits.js';
export type { LimitOptions } from './limits.js';

export interface AgentOptions {
  listen: string;
  tokenFile?: string;
  stateDir: string;
  hostName?: string;
  refreshMs: number;
  /** --keep-labels: labels collected besides those netdiag reads. */
  keepLabels?: string[];
  log: (line: string) => void;
  /** exporter-toolkit's web config: TLS, client certificates, basic_auth_users (reloaded on change). */
  webConfig?: string;
  /** Plain HTTP beyond loopback, knowingly. */
  insecureHttp?: boolean;
  /** /metrics without read credentials even when basic_auth_users is set. */
  publicMetrics?: boolean;
  /** --allowed-host: more names the Host header may carry. */
  allowedHosts?: string[];
  /** --rate-limit, --max-walks (and the fixed ones): the defaults when absent. */
  limits?: LimitOptions;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  const port = m ? Number(m[3]) : NaN;
  // Port 0 is any free port (tests, a second agent beside the first); the log line says which one it got.
  if (!m || port > 65535 || (isIP(host) === 0 && host !== 'localhost')) throw new AgentConfigError(`--listen takes ADDRESS:PORT (127.0.0.1:9700, [::1]:9700), not ${JSON.stringify(text)}`);
  return { host, port };
}

/** The token, from a file only its owner may read (a token anyone on the host can read protects nothing). */
export async function readToken(file: string): Promise<string> {
  let st;
  try {
    st = await stat(file);
  } catch (error) {
    throw new AgentConfigError(`cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if ((st.mode & 0o077) !== 0) throw new AgentConfigError(`the token file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${file}`);
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16) throw new AgentConfigError(`the token in ${file} is too short (${token.length} characters)`, 'use at least 16 random characters, e.g. openssl rand -hex 32');
  return token;
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new AgentConfigError(`--refresh takes a duration like 15s, 500ms or 1m, not ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms < 1000) throw new AgentConfigError('--refresh must be at least 1s');
  return ms;
}

export async function runAgent(o: AgentOptions): Promise<void> {
  const { host, port } = parseListen(o.listen);
  const token = o.tokenFile ? await readToken(o.tokenFile) : null;
  const store = new SnapshotStore(() => collectSnapshot({ hostName: o.hostName, keepLabels: o.keepLabels }));
  const ledger = new ChangeLedger(o.stateDir);
  // One walker thread for the routes' walks and the metrics' reachability: the main thread only answers HTTP.
  const walker = defaultWalker();
  const metrics = createMetrics(store, ledger, walker);
  // Before anything is rolled back or collected: a bad web config or a refused bind is said at once.
  const web = webSetup({ ...o, who: 'netdiag agent' }, metrics);
  const exposed = plainHttpWarning(host, isLoopbackName(host), web, { insecureHttp: o.insecureHttp, who: 'netdiag agent', token: token !== null });
  if (exposed) o.log(exposed);
  const { interrupted } = await ledger.load();
  for (const id of interrupted) {
    // A change the agent (or the CLI) was applying when it stopped: finish the job by undoing it, as rollback would.
    o.log(`netdiag agent: ${id} was interrupted while being applied; rolling it back`);
    await rollbackChange(id, { stateDir: o.stateDir, progress: (l) => o.log(`netdiag agent: ${id}: ${l}`) });
  }
  await ledger.load();
  store.onRefresh((s, _kept, world) => metrics.observeRefresh(s, world));
  const first = await store.refresh();
  const app = await buildApp({ store, metrics, ledger, walker, token, stateDir: o.stateDir, hostName: first.snapshot.name, auth: web.auth, guards: { listenHost: host, allowedHosts: o.allowedHosts ?? [] }, limits: o.limits ?? defaultLimits() }, { logger: { level: 'info' }, logController: new LogController({ disableRequestLogging: true }), serverFactory: web.serverFactory });
  store.start(o.refreshMs);
  const stopEvents = watchDockerEvents(() => void store.refresh().catch(() => undefined), (m) => app.log.warn(m));
  await app.listen({ host, port });
  o.log(`netdiag agent: host ${first.snapshot.name}, listening on ${boundText(app.server.address() as AddressInfo)} (${servingText(web, token !== null)})${token ? ', changes need the bearer token' : ', read-only (no --token-file)'}`);
  await untilSignal(o.log, 'netdiag agent', async () => {
    store.stop();
    stopEvents();
    await app.close();
    await walker.close();
  });
}

export interface ReviewOptions {
  listen: string;
  /** The saved snapshots to serve, one per host (read and checked by the caller, as --snapshot is everywhere). */
  snapshots: HostSnapshot[];
  /** Who is serving, for the log lines: `netdiag agent` or `netdiag map`. */
  who: string;
  /** --keep-labels: labels served besides those netdiag reads (the rest of a saved snapshot's are not served). */
  keepLabels?: string[];
  log: (line: string) => void;
  webConfig?: string;
  insecureHttp?: boolean;
  publicMetrics?: boolean;
  allowedHosts?: string[];
  limits?: LimitOptions;
}

/**
 * Offline review: the same routes and web view over saved snapshots of one or more hosts — nothing collected, no Docker,
 * no state directory, and no route that changes anything (a colleague's snapshot has no host behind it here).
 */
export async function runReview(o: ReviewOptions): Promise<void> {
  const { host, port } = parseListen(o.listen);
  const store = SnapshotStore.saved(o.snapshots, Date.now, o.keepLabels);
  // Nothing is ever applied here: an empty ledger, never read from disk.
  const ledger = new ChangeLedger('/nonexistent/netdiag-review');
  const walker = defaultWalker();
  const metrics = createMetrics(store, ledger, walker);
  const web = webSetup(o, metrics);
  const exposed = plainHttpWarning(host, isLoopbackName(host), web, { insecureHttp: o.insecureHttp, who: o.who, token: false });
  if (exposed) o.log(exposed);
  // warn, not info: a review logs little; a failed Basic login is a warning and still shows.
  const app = await buildApp({ store, metrics, ledger, walker, token: null, stateDir: '', hostName: o.snapshots[0]?.name ?? '', auth: web.auth, guards: { listenHost: host, allowedHosts: o.allowedHosts ?? [] }, limits: o.limits ?? defaultLimits() }, { logger: { level: 'warn' }, logController: new LogController({ disableRequestLogging: true }), serverFactory: web.serverFactory });
  await app.listen({ host, port });
  o.log(`${o.who}: serving ${o.snapshots.length === 1 ? `the snapshot of ${o.snapshots[0]?.name}` : `snapshots of ${o.snapshots.length} hosts (${o.snapshots.map((s) => s.name).join(', ')})`} read-only on ${web.tls ? 'https' : 'http'}://${boundText(app.server.address() as AddressInfo)}/ui${web.source ? ` (${servingText(web, false)})` : ''}`);
  await untilSignal(o.log, o.who, async () => {
    await app.close();
    await walker.close();
  });
}

const boundText = (a: AddressInfo) => `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

/** Serve until SIGTERM or SIGINT, then shut down cleanly. */
function untilSignal(log: (line: string) => void, who: string, close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      log(`${who}: ${signal}, shutting down`);
      await close();
      resolve();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
