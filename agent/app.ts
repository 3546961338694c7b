// The agent's HTTP app: read routes open on the bind, mutating routes in a context that requires the bearer token.
// buildApp never listens (server.ts does), so every route is tested with app.inject.
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { FixRefused, applyFix, chooseFix } from '../actuation/fix.js';
import { applyChange, rollbackChange } from '../actuation/apply.js';
import { StateDirError } from '../actuation/journal.js';
import { StepError } from '../actuation/steps.js';
import type { HostMutator } from '../host/mutate.js';
import { identifyClient, requireBearer } from './auth.js';
import type { ReadAuth } from './auth.js';
import type { ChangeLedger } from '../actuation/ledger.js';
import { missingSteps } from '../actuation/ledger.js';
import type { AgentMetrics } from './metrics.js';
import * as S from './schemas.js';
import { HostSnapshot } from '../snapshot/host-snapshot.js';
import { PLAN_APPLY_BODY_MAX } from '../snapshot/contract.js';
import type { SnapshotStore } from './snapshot-store.js';
import { useZod } from './zod-compiler.js';
import { ResolveError } from '../rules/query/resolve.js';
import { parseFamilies, parseFlow } from '../rules/query/flow.js';
import { mapPage } from '../present/map/page.js';
import { NETDIAG_VERSION } from '../host/version.js';
import { gridKeyKnown } from './grid.js';
import { inThreadWalker } from './walker.js';
import type { Walker } from './walker.js';
import { csrfCheck, hostCheck, securityHeaders } from './guards.js';
import { metricsFastPath } from './metrics-fast-path.js';
import type { GuardOptions } from './guards.js';
import { LIMITED_ROUTES, LimitError, RateLimiter, WalkDeadline, WalkGate, defaultLimits, rateLimit, urlLimit } from './limits.js';
import type { LimitOptions } from './limits.js';
import type { Deadline } from './sliced.js';

export interface AgentDeps {
  store: SnapshotStore;
  metrics: AgentMetrics;
  ledger: ChangeLedger;
  token: string | null;
  stateDir: string;
  /** How changes are made: this host by default; tests pass a recording one. */
  host?: HostMutator;
  hostName: string;
  /** Read authentication from the web config (basic_auth_users, --public-metrics); absent: reads are open. */
  auth?: ReadAuth;
  /** The Host check (DNS rebinding): where the agent listens, and more names it answers to. Absent: loopback 127.0.0.1. */
  guards?: GuardOptions;
  /** Rate limit, walk gate, deadlines, URL length. Absent: the defaults without a rate limit (tests ask many times). */
  limits?: LimitOptions;
  /** Where walks run (the agent: a worker thread; closed by whoever made it). Absent: in-thread, closed with the app. */
  walker?: Walker;
  /** The remembered answers' bytes at most; absent: MEMO_BYTES. */
  memoBytes?: number;
}

const BODY_LIMIT = 64 * 1024;
/** The remembered answers' bytes at most (the seed's are kilobytes, a 150-container matrix 2.3 MB). */
export const MEMO_BYTES = 8 * 1024 * 1024;

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** More the client can act on (the pairs a fix needs confirmed), sent beside the message. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const ERROR_NAMES: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' };

interface RouteDoc {
  method: string;
  url: string;
  summary: string;
  auth: boolean;
  querystring?: z.ZodType;
  params?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
}

export async function buildApp(deps: AgentDeps, opts: FastifyServerOptions = {}): Promise<FastifyInstance> {
  // On the agent's own server (a serverFactory), plain scrapes are answered before fastify sees them.
  const fast = metricsFastPath({ metrics: deps.metrics, guards: deps.guards ?? { listenHost: '127.0.0.1', allowedHosts: [] }, auth: deps.auth });
  const factory = opts.serverFactory;
  if (factory) opts = { ...opts, serverFactory: (handler, o) => factory((req, res) => void (fast.answer(req, res) || handler(req, res)), o) };
  const app = Fastify({ bodyLimit: BODY_LIMIT, ...opts });
  app.addHook('preClose', async () => fast.stop());
  useZod(app);

  // ---------- hardening (1/2): the Host check, the FIRST onRequest hook of all ----------
  // A DNS-rebinding page is refused before anything else runs: it learns nothing, not even whether credentials are needed.
  app.addHook('onRequest', hostCheck(deps.guards ?? { listenHost: '127.0.0.1', allowedHosts: [] }));
  app.addHook('onSend', securityHeaders());

  // ---------- who is asking (req.netdiagClient) and, when the web config has basic_auth_users, may they read ----------
  app.decorateRequest('netdiagClient', '');
  app.addHook('onRequest', identifyClient(deps.token, deps.auth));

  // ---------- hardening (2/2): CSRF on POST routes, URL length, the rate limit per client ----------
  const limits = deps.limits ?? defaultLimits({ rate: null });
  app.addHook('onRequest', urlLimit(limits.maxUrl));
  app.addHook('onRequest', csrfCheck());
  if (limits.rate) app.addHook('onRequest', rateLimit(new RateLimiter(limits.rate)));
  // Walks (matrix, grid, cell, map, fixes, why) run at most maxWalks at once, each until its deadline; memo hits skip this.
  const gate = new WalkGate(limits.maxWalks, limits.walkQueue, limits.walkDeadlineMs);
  const walk = <T>(compute: (deadline: Deadline) => Promise<T>): Promise<T> => gate.run((at) => compute({ at, error: () => new WalkDeadline(limits.walkDeadlineMs) }));
  const docs: RouteDoc[] = [];

  // Answers depend only on the snapshot and the question: remember the last few for the snapshot being served, as
  // the text that goes out (checked against its schema once, not on every request), computed once however many ask.
  // Kept within MEMO_BYTES, oldest out first: a 500-container matrix (26 MB) is shared by whoever asks while it is
  // computed, not held for as long as the snapshot is served (in review mode, for ever) in a resident agent.
  const answers = new Map<string, { v: Promise<Buffer>; bytes: number }>();
  let answersFor: unknown = null;
  let answerBytes = 0;
  const memoBytes = deps.memoBytes ?? MEMO_BYTES;
  const forget = (key: string) => {
    const e = answers.get(key);
    if (!e) return;
    answers.delete(key);
    answerBytes -= e.bytes;
  };
  const memo = (key: string, compute: () => Promise<Buffer>): Promise<Buffer> => {
    const snap = deps.store.current?.snapshot;
    if (snap !== answersFor) {
      answers.clear();
      answerBytes = 0;
      answersFor = snap;
    }
    const hit = answers.get(key);
    if (hit) return hit.v;
    const v = compute();
    const entry = { v, bytes: 0 };
    v.then(
      (b) => {
        if (answers.get(key) !== entry) return;
        entry.bytes = b.byteLength;
        answerBytes += b.byteLength;
        if (b.byteLength > memoBytes) forget(key);
        for (const k of answers.keys()) {
          if (answerBytes <= memoBytes) break;
          if (k !== key) forget(k);
        }
      },
      // A failed answer (an unknown name) is not kept: the next request asks again.
      () => {
        if (answers.get(key) === entry) forget(key);
      },
    );
    if (answers.size >= 256) forget(answers.keys().next().value as string);
    answers.set(key, entry);
    return v;
  };
  const json = (reply: FastifyReply, text: Buffer) => reply.type('application/json; charset=utf-8').send(text);
  // The state a question is asked of (its world, and the snapshots the walker thread builds its own from).
  const world = () => {
    const st = deps.store.current;
    if (!st) throw new HttpError(503, 'no snapshot yet: the first collection has not finished');
    return st;
  };
  // Walks run on the walker (a worker thread in the agent; in-thread where none is given), the main thread answers HTTP.
  const walker = deps.walker ?? inThreadWalker();
  app.addHook('onClose', async () => {
    if (!deps.walker) await walker.close();
  });

  app.setErrorHandler((error, req, reply) => {
    const e = error as Error & { statusCode?: number; code?: string; validation?: unknown };
    if (e instanceof LimitError) {
      if (e.retryAfter !== null) reply.header('retry-after', String(e.retryAfter));
      return reply.code(e.statusCode).send({ error: ERROR_NAMES[e.statusCode] ?? 'Error', message: e.message });
    }
    if (e instanceof HttpError) return reply.code(e.statusCode).send({ error: ERROR_NAMES[e.statusCode] ?? 'Error', message: e.message, ...e.extra });
    if (e instanceof ResolveError) return reply.code(404).send({ error: 'Not Found', message: `${e.message} (${(e as ResolveError).hint})` });
    if (e instanceof FixRefused) return reply.code(409).send({ error: 'Conflict', message: `${e.message}${(e as FixRefused).hint ? ` (${(e as FixRefused).hint})` : ''}` });
    if (e instanceof StateDirError || e instanceof StepError) return reply.code(409).send({ error: 'Conflict', message: e.message });
    if (e.validation) return reply.code(400).send({ error: 'Bad Request', message: e.message });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: ERROR_NAMES[e.statusCode] ?? 'Bad Request', message: e.message });
    req.log.error({ err: e }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error', message: e.message });
  });

  // ---------- read routes ----------
  const read = (d: Omit<RouteDoc, 'auth'>, handler: Handler) => {
    docs.push({ ...d, auth: false });
    // Only the parts a route has: fastify warns about a schema part given as undefined.
    const schema = Object.fromEntries(Object.entries({ querystring: d.querystring, params: d.params, body: d.body }).filter(([, v]) => v !== undefined));
    app.route({ method: d.method as 'GET' | 'POST', url: d.url, schema: { ...schema, response: { 200: d.response } }, handler } as never);
  };

  read({ method: 'GET', url: '/healthz', summary: 'the agent is up', response: S.Health }, async () => ({ status: 'ok', snapshotAgeSeconds: deps.store.ageSeconds(), lastError: deps.store.lastError }));
  read({ method: 'GET', url: '/readyz', summary: 'a snapshot is served and the last collection succeeded (503 with the reason otherwise)', response: S.Health }, async (_req, reply) => {
    const base = { snapshotAgeSeconds: deps.store.ageSeconds(), lastError: deps.store.lastError };
    if (!deps.store.current) return reply.code(503).send({ status: 'starting', ...base, reason: 'no snapshot yet: the first collection has not finished' });
    // An older snapshot still answers questions, but whoever routes to this agent should know its answers are not
    // today's: not ready until a collection succeeds again.
    if (deps.store.lastFailed) return reply.code(503).send({ status: 'failing', ...base, reason: `the last collection failed; serving the snapshot from ${Math.round(base.snapshotAgeSeconds ?? 0)} s ago` });
    return { status: 'ready', ...base };
  });
  read({ method: 'GET', url: '/v1/status', summary: 'live or saved snapshots, read-only or not, and each host\'s age and collectors (what the web view always shows)', response: S.StatusResult }, async () => {
    const st = deps.store.current;
    const snapshot = deps.store.mode === 'snapshot';
    const ageOf = (collectedAt: string) => {
      // Saved snapshots are as old as their collectedAt; the live one as old as the store says (it kept the last good one).
      if (!snapshot) return deps.store.ageSeconds() ?? 0;
      const t = Date.parse(collectedAt);
      return Number.isNaN(t) ? 0 : Math.max(0, (Date.now() - t) / 1000);
    };
    return {
      mode: deps.store.mode,
      readOnly: snapshot || deps.token === null,
      refreshSeconds: !snapshot && deps.store.refreshMs !== null ? deps.store.refreshMs / 1000 : null,
      hosts: (st?.snapshots ?? []).map((h) => ({
        name: h.name,
        collectedAt: h.collectedAt,
        ageSeconds: ageOf(h.collectedAt),
        stale: !snapshot && deps.store.lastFailed,
        lastError: snapshot ? null : deps.store.lastError,
        collectors: h.collectors,
        lastAttempt: snapshot ? null : deps.store.lastAttempt,
      })),
    };
  });
  read({ method: 'GET', url: '/v1/snapshot', summary: 'the last good HostSnapshot (header Age: its age in seconds); ?host= picks one when several are served', querystring: S.SnapshotQuery, response: HostSnapshot }, async (req, reply) => {
    const st = deps.store.current;
    if (!st) throw new HttpError(503, 'no snapshot yet: the first collection has not finished');
    const { host } = req.query as z.infer<typeof S.SnapshotQuery>;
    const names = st.snapshots.map((s) => s.name);
    if (host === undefined && st.snapshots.length > 1) throw new HttpError(400, `this agent serves ${st.snapshots.length} hosts' snapshots: say which with ?host= (${names.join(', ')})`);
    const index = host === undefined ? 0 : names.indexOf(host);
    if (index < 0) throw new HttpError(404, `no host ${JSON.stringify(host)} here (${names.join(', ')})`);
    // Checked and written by the walker once per snapshot (the world's hosts are the snapshots, in order).
    const text = await memo(`snapshot\u0000${index}`, () => walker.answer(st, { kind: 'snapshot', host: index }));
    reply.header('age', String(Math.floor(deps.store.ageSeconds() ?? 0)));
    if (deps.store.lastError) reply.header('x-netdiag-stale', deps.store.lastError.slice(0, 200));
    return json(reply, text);
  });
  read({ method: 'GET', url: '/v1/why', summary: 'explain from → to (same JSON as netdiag why --json)', querystring: S.WhyQuery, response: S.WhyResult }, async (req, reply) => {
    const q = req.query as z.infer<typeof S.WhyQuery>;
    const w = world();
    const text = await memo(`why\u0000${q.from}\u0000${q.to}\u0000${q.port ?? ''}\u0000${q.family ?? ''}`, () => walk((deadline) => walker.answer(w, { kind: 'why', ...q }, deadline)));
    return json(reply, text);
  });
  read({ method: 'GET', url: '/v1/matrix', summary: 'every ordered pair of containers (same JSON as netdiag matrix --json)', querystring: S.MatrixQuery, response: S.MatrixResult }, async (req, reply) => {
    const { port, family } = req.query as z.infer<typeof S.MatrixQuery>;
    const w = world();
    const text = await memo(`matrix\u0000${port ?? ''}\u0000${family ?? ''}`, () => walk((deadline) => walker.answer(w, { kind: 'matrix', port, family }, deadline)));
    return json(reply, text);
  });
  read({ method: 'GET', url: '/v1/grid', summary: 'network × network: per cell the container pairs, how many reach, are blocked or unknown, and the reason codes of those that do not', querystring: S.GridQuery, response: S.GridResult }, async (req, reply) => {
    const q = req.query as z.infer<typeof S.GridQuery>;
    const w = world();
    const text = await memo(`grid\u0000${q.port ?? ''}\u0000${q.family ?? ''}`, () => walk((deadline) => walker.answer(w, { kind: 'grid', ...q }, deadline)));
    return json(reply, text);
  });
  read({ method: 'GET', url: '/v1/grid/cell', summary: 'one grid cell\'s container pairs (from and to are grid keys, host/network)', querystring: S.GridCellQuery, response: S.GridCellResult }, async (req, reply) => {
    const q = req.query as z.infer<typeof S.GridCellQuery>;
    const w = world();
    for (const k of [q.from, q.to]) if (!gridKeyKnown(w.world, k)) throw new HttpError(404, `no network ${JSON.stringify(k)} in view (a grid key is host/network, as /v1/grid lists them)`);
    const text = await memo(`cell\u0000${q.from}\u0000${q.to}\u0000${q.port ?? ''}\u0000${q.family ?? ''}`, () => walk((deadline) => walker.answer(w, { kind: 'cell', ...q }, deadline)));
    return json(reply, text);
  });
  const mapTypes = { svg: 'image/svg+xml', dot: 'text/vnd.graphviz; charset=utf-8', mermaid: 'text/plain; charset=utf-8', json: 'application/json; charset=utf-8' } as const;
  read({ method: 'GET', url: '/v1/map', summary: 'the map: hosts, networks, containers and who reaches whom between networks (svg, dot, mermaid or json)', querystring: S.MapQuery, response: z.string() }, async (req, reply) => {
    const q = req.query as z.infer<typeof S.MapQuery>;
    const w = world();
    // Layout is Graphviz's work: once per snapshot and question, like every other answer.
    const text = await memo(`map\u0000${q.port ?? ''}\u0000${q.family ?? ''}\u0000${q.format}`, () => walk((deadline) => walker.answer(w, { kind: 'map', ...q }, deadline)));
    return reply.type(mapTypes[q.format]).send(text);
  });
  // The web view: one page of its own (no CDN), reading the routes above; it can apply a fix only when this agent has
  // a token and the person supplies it.
  app.get('/ui', { schema: { hide: true } as never }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(mapPage({ mode: 'live', title: 'netdiag', applyEnabled: deps.token !== null && deps.store.mode === 'live' })));
  docs.push({ method: 'GET', url: '/ui', summary: 'the web view: the map, the matrix as a grid, why and fixes one click away (read-only without the token)', auth: false, response: z.string() });
  read({ method: 'POST', url: '/v1/fixes', summary: 'ranked fixes for from → to, with predicted effects (changes nothing)', body: S.FixBody, response: S.FixesResult }, async (req, reply) => {
    const b = req.body as z.infer<typeof S.FixBody>;
    const w = world();
    return json(reply, await walk((deadline) => walker.answer(w, { kind: 'fixes', ...b }, deadline)));
  });
  // The same bytes for every scrape until it is rendered again (encoded once per render). A plain scrape on the
  // agent's own server is answered before routing (metrics-fast-path.ts); this route answers the rest alike.
  app.get('/metrics', { schema: { hide: true } as never }, async (_req, reply) => {
    const bytes = deps.metrics.ready() ?? Buffer.from(await deps.metrics.render());
    reply.header('content-type', deps.metrics.registry.contentType);
    return bytes;
  });
  docs.push({ method: 'GET', url: '/metrics', summary: 'Prometheus metrics', auth: false, response: z.string() });

  // ---------- mutating routes: their own context, with the token hook on every request ----------
  // Saved snapshots are for review: there is no host behind them to change, so these routes do not exist (404).
  if (deps.store.mode === 'live') await app.register(async (mut) => {
    mut.addHook('onRequest', requireBearer(deps.token));
    const change = (d: Omit<RouteDoc, 'auth'>, handler: Handler, bodyLimit = BODY_LIMIT) => {
      docs.push({ ...d, auth: true });
      const parts = Object.fromEntries(Object.entries({ params: d.params, body: d.body }).filter(([, v]) => v !== undefined));
      mut.route({ method: 'POST', url: d.url, bodyLimit, config: { mutating: true }, schema: { ...parts, response: { 200: d.response } }, handler } as never);
    };
    const audit = (req: { log: { info: (o: object, m: string) => void }; ip: string; url: string }, what: object) => req.log.info({ audit: true, remote: req.ip, url: req.url, ...what }, 'change requested');
    const collect = async () => (await deps.store.refresh()).snapshot;

    change({ method: 'POST', url: '/v1/fixes/:id/apply', summary: 'apply fix :id for from → to, verify it with a live probe, undo it on failure', params: S.IdParams, body: S.FixApplyBody, response: S.FixApplyResult }, async (req, reply) => {
      const { id } = req.params as z.infer<typeof S.IdParams>;
      const b = req.body as z.infer<typeof S.FixApplyBody>;
      audit(req, { action: 'apply-fix', id, from: b.from, to: b.to, port: b.port ?? null });
      await deps.store.refresh();
      const flow = parseFlow(b.port);
      const q = { world: world().world, from: b.from, to: b.to, flow, families: parseFamilies({ family: b.family }) };
      // Consent is this route's to check: the fix is chosen as if accepted, then refused unless what it opens besides the
      // pair was confirmed pair by pair (the page) or accepted wholesale (API clients, the CLI's --yes).
      const fix = chooseFix(q, { id, acceptWider: true });
      const unconfirmed = widerUnconfirmed(fix.alsoOpens, b);
      if (unconfirmed !== null) throw new HttpError(409, `${fix.id} (${fix.title}) also opens ${fix.alsoOpens.join(', ')} besides ${b.from} → ${b.to}${unconfirmed ? ` (${unconfirmed})` : ''}: confirm by sending "confirmWider" with exactly these pairs, or "acceptWider": true`, { confirmWider: fix.alsoOpens });
      const r = await applyFix(fix, q, { stateDir: deps.stateDir, host: deps.host, collect, progress: (l) => req.log.info({ audit: true, id }, l) });
      await deps.ledger.load();
      req.log.info({ audit: true, id, status: r.status, verified: r.verified }, 'change finished');
      return reply.code(r.verified ? 200 : 409).send(r);
    });
    change({ method: 'POST', url: '/v1/rollback/:id', summary: 'undo an applied fix or plan', params: S.IdParams, response: S.RollbackResult }, async (req) => {
      const { id } = req.params as z.infer<typeof S.IdParams>;
      audit(req, { action: 'rollback', id });
      const r = await rollbackChange(id, { stateDir: deps.stateDir, host: deps.host, progress: (l) => req.log.info({ audit: true, id }, l) });
      if (!r) throw new HttpError(404, `no applied fix or plan ${JSON.stringify(id)}`);
      await deps.ledger.load();
      void deps.store.refresh().catch(() => undefined);
      req.log.info({ audit: true, id, status: r.status }, 'change finished');
      return r;
    });
    change({ method: 'POST', url: '/v1/plans/apply', summary: 'apply this host\'s steps of a cross-host plan (journaled, undone on failure)', body: S.PlanApplyBody, response: S.ApplyResult }, async (req, reply) => {
      const b = req.body as z.infer<typeof S.PlanApplyBody>;
      audit(req, { action: 'apply-plan', id: b.id, steps: b.steps.length });
      const mine = b.steps.filter((s) => s.host === deps.hostName);
      const r = await applyChange(
        { kind: 'plan', id: b.id, title: b.title, steps: mine, context: { host: deps.hostName } },
        {
          stateDir: deps.stateDir,
          host: deps.host,
          progress: (l) => req.log.info({ audit: true, id: b.id }, l),
          // A plan's steps are verified by the host collecting again: each route, rule and sysctl must be there.
          verify: async () => {
            const s = await collect();
            const missing = missingSteps(mine, s);
            // Counted by kind: thousands of missing steps are said in one short line.
            const kinds = [...new Set(missing.map((m) => m.kind))].map((k) => `${missing.filter((m) => m.kind === k).length} ${k}`);
            return { ok: missing.length === 0, detail: missing.length === 0 ? `collected again: all ${mine.length} steps in place` : `collected again: ${missing.length} steps not in place (${kinds.join(', ')})` };
          },
        },
      );
      await deps.ledger.load();
      return reply.code(r.verified ? 200 : 409).send(r);
    },
      // A plan's steps for this host may be tens of thousands: the one route whose body is bounded by the plan's own
      // maximum (PLAN_APPLY_BODY_MAX), read only once the bearer token was checked (onRequest, before the body).
      PLAN_APPLY_BODY_MAX,
    );
  });

  app.get('/openapi.json', async () => openApi(docs));
  return app;
}

/** Null when what a fix opens besides the pair was consented to; else what is missing or extra, in words ('' when nothing was confirmed). */
export function widerUnconfirmed(alsoOpens: readonly string[], b: { acceptWider: boolean; confirmWider?: string[] | undefined }): string | null {
  if (alsoOpens.length === 0 || b.acceptWider) return null;
  if (b.confirmWider === undefined) return '';
  const given = new Set(b.confirmWider);
  const missing = alsoOpens.filter((p) => !given.has(p));
  const extra = [...given].filter((p) => !alsoOpens.includes(p));
  if (missing.length === 0 && extra.length === 0) return null;
  // A confirmation of other pairs than these is one given for another prediction (the snapshot changed): asked again.
  return [missing.length > 0 ? `not confirmed: ${missing.join(', ')}` : '', extra.length > 0 ? `confirmed but not opened by it: ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
}

function openApi(docs: RouteDoc[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const d of docs) {
    const url = d.url.replace(/:(\w+)/g, '{$1}');
    const params: object[] = [];
    const addParams = (schema: z.ZodType | undefined, where: 'query' | 'path') => {
      const js = schema ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, object>; required?: string[] }) : null;
      for (const [name, s] of Object.entries(js?.properties ?? {})) params.push({ name, in: where, required: where === 'path' || (js?.required ?? []).includes(name), schema: s });
    };
    addParams(d.querystring, 'query');
    addParams(d.params, 'path');
    (paths[url] ??= {})[d.method.toLowerCase()] = {
      summary: d.summary,
      // Reads: open, or (when the web config has basic_auth_users) Basic or the token; a client certificate, when the web
      // config asks for one, is the handshake's and not OpenAPI's to say. Changes: the token only.
      security: d.auth ? [{ bearer: [] }] : [{}, { basic: [] }, { bearer: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(d.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: z.toJSONSchema(d.response, { unrepresentable: 'any' }) } } },
        '4XX': { description: 'a clear message', content: { 'application/json': { schema: z.toJSONSchema(S.ErrorBody) } } },
        ...(LIMITED_ROUTES.has(d.url) ? { 429: { description: "this client's rate limit (--rate-limit): try again after Retry-After seconds", content: { 'application/json': { schema: z.toJSONSchema(S.ErrorBody) } } } } : {}),
      },
    };
  }
  return { openapi: '3.1.0', info: { title: 'netdiag agent', version: NETDIAG_VERSION }, components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } } }, paths };
}
