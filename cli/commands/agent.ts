// `netdiag agent` (live, or over saved snapshots with --snapshot) and `map --serve`: configuration errors are one line
// and exit 2; a clean shutdown exits 0.
import { AgentConfigError, LimitConfigError, defaultLimits, parseDuration, parseMaxWalks, parseRate, runAgent, runReview } from '../../agent/server.js';
import type { LimitOptions } from '../../agent/server.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { stateDir } from '../../actuation/state-dir.js';
import { EXIT } from '../exit-codes.js';
import { loadHosts } from '../sources.js';
import { labelGlobProblem } from '../../snapshot/kept-fields.js';

export interface AgentCommandOptions {
  listen: string;
  tokenFile?: string;
  stateDir?: string;
  hostName?: string;
  refresh: string;
  snapshot?: string[];
  webConfig?: string;
  insecureHttp?: boolean;
  publicMetrics?: boolean;
  keepLabels?: string[];
}

/** The agent's hardening flags (absent: their defaults, as `map --serve` has them). */
export interface HardeningFlags {
  allowedHost?: string[];
  rateLimit?: string;
  maxWalks?: string;
}

function hardening(opts: HardeningFlags): { allowedHosts: string[]; limits: LimitOptions } {
  try {
    return { allowedHosts: opts.allowedHost ?? [], limits: defaultLimits({ ...(opts.rateLimit !== undefined ? { rate: parseRate(opts.rateLimit) } : {}), ...(opts.maxWalks !== undefined ? { maxWalks: parseMaxWalks(opts.maxWalks) } : {}) }) };
  } catch (error) {
    if (error instanceof LimitConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export async function agentCommand(opts: AgentCommandOptions & HardeningFlags, io: Io): Promise<number> {
  const h = hardening(opts);
  const badGlob = (opts.keepLabels ?? []).map(labelGlobProblem).find((p) => p !== null);
  if (badGlob) throw new UsageError(badGlob);
  // Without a web config every read is open: an exemption for /metrics would promise a protection that is not there.
  if (opts.publicMetrics && opts.webConfig === undefined) throw new UsageError('--public-metrics goes with --web-config (without one, every read is open already)');
  if (opts.snapshot?.length) {
    // Saved snapshots change nothing: a token, a state directory or a refresh interval would promise what is not there.
    const live = [opts.tokenFile !== undefined ? '--token-file' : null, opts.stateDir !== undefined ? '--state-dir' : null, opts.hostName !== undefined ? '--host-name' : null].filter(Boolean);
    if (live.length > 0) throw new UsageError(`--snapshot serves saved snapshots read-only: ${live.join(', ')} ${live.length === 1 ? 'does' : 'do'} not apply`);
    return serveSnapshots({ listen: opts.listen, snapshot: opts.snapshot, webConfig: opts.webConfig, insecureHttp: opts.insecureHttp, publicMetrics: opts.publicMetrics, allowedHost: opts.allowedHost, rateLimit: opts.rateLimit, maxWalks: opts.maxWalks, keepLabels: opts.keepLabels }, 'netdiag agent', io);
  }
  const web = { webConfig: opts.webConfig, insecureHttp: opts.insecureHttp, publicMetrics: opts.publicMetrics };
  await listening(opts.listen, () => runAgent({ listen: opts.listen, tokenFile: opts.tokenFile, stateDir: stateDir(opts.stateDir, io.env), hostName: opts.hostName, refreshMs: parseDuration(opts.refresh), keepLabels: opts.keepLabels, log: (l) => io.stderr(`${l}\n`), ...web, ...h }));
  return EXIT.ok;
}

/** The web view and the read routes over saved snapshots (`agent --snapshot`, `map --serve`): read and checked first. */
export async function serveSnapshots(opts: { listen: string; snapshot: string[]; webConfig?: string; insecureHttp?: boolean; publicMetrics?: boolean; keepLabels?: string[] } & HardeningFlags, who: string, io: Io): Promise<number> {
  const h = hardening(opts);
  const { snapshots } = await loadHosts({ snapshot: opts.snapshot }, io);
  const { listen, snapshot: _files, allowedHost: _a, rateLimit: _r, maxWalks: _m, ...web } = opts;
  await listening(listen, () => runReview({ listen, snapshots, who, log: (l) => io.stderr(`${l}\n`), ...web, ...h }));
  return EXIT.ok;
}

/** Run a server; what stops it from listening is the user's to fix, said in one line. */
async function listening(listen: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AgentConfigError) throw new UsageError(error.message, error.hint);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`${listen} is already in use`, 'is another agent running? pick another --listen');
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`${listen}: no such address on this host`);
    if (code === 'EACCES') throw new UsageError(`${listen}: permission denied`, 'ports below 1024 need root');
    throw error;
  }
}
