// The agent's limits under abuse (per-client token buckets, the walk gate and deadline, URL length), never on /metrics.
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Rate {
  /** Tokens added per second. */
  perSecond: number;
  /** The bucket's size: how many requests a client may make at once. */
  burst: number;
  /** As the operator wrote it (5/s), for messages. */
  text: string;
}

export interface LimitOptions {
  /** Per client on the expensive routes; null: none (tests, benchmarks). */
  rate: Rate | null;
  /** Walks computed at once (--max-walks). */
  maxWalks: number;
  /** Walks waiting behind them; beyond, 503. */
  walkQueue: number;
  /** A walk running longer is stopped between slices (503). */
  walkDeadlineMs: number;
  /** The longest request target (path and query) answered; longer: 414. */
  maxUrl: number;
}

export const DEFAULT_RATE = '10/s';
export const DEFAULT_MAX_WALKS = 2;

export class LimitConfigError extends Error {
  override name = 'LimitConfigError';
}

/** `5/s`, `60/m`, `0.5/s`: the per-second rate; the burst is twice that, at least 10 (a page load asks several at once). */
export function parseRate(text: string): Rate {
  const m = /^(\d+(?:\.\d+)?)\/(s|m)$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0) || !Number.isFinite(n)) throw new LimitConfigError(`--rate-limit takes requests per second or minute, like 5/s or 60/m, not ${JSON.stringify(text)}`);
  const perSecond = m[2] === 'm' ? n / 60 : n;
  return { perSecond, burst: Math.max(10, Math.ceil(2 * perSecond)), text: text.trim() };
}

export function parseMaxWalks(text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(n) || !(n >= 1 && n <= 64)) throw new LimitConfigError(`--max-walks takes a whole number from 1 to 64, not ${JSON.stringify(text)}`);
  return n;
}

export function defaultLimits(over: Partial<LimitOptions> = {}): LimitOptions {
  return { rate: parseRate(DEFAULT_RATE), maxWalks: DEFAULT_MAX_WALKS, walkQueue: 32, walkDeadlineMs: 60_000, maxUrl: 8 * 1024, ...over };
}

/** A refusal the client can act on: the status, when to try again, and why. */
export class LimitError extends Error {
  constructor(
    readonly statusCode: 413 | 414 | 429 | 503,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** Expensive routes (route patterns as registered): each is a walk, a whole snapshot, or a change. */
export const LIMITED_ROUTES: ReadonlySet<string> = new Set(['/v1/snapshot', '/v1/why', '/v1/matrix', '/v1/grid', '/v1/grid/cell', '/v1/map', '/v1/fixes', '/v1/fixes/:id/apply', '/v1/rollback/:id', '/v1/plans/apply']);

/**
 * Who is asking, for their own bucket: the identity tls-server's first hook sets (user:, cert:, token) when present,
 * else the remote address. The one place a client's key is decided.
 */
export function clientKey(req: FastifyRequest): string {
  const id = (req as FastifyRequest & { netdiagClient?: unknown }).netdiagClient;
  return typeof id === 'string' && id !== '' ? id : `ip:${req.ip}`;
}

/** Token buckets, one per client, refilled continuously; full buckets are forgotten (nothing to remember). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly rate: Rate,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Null when `key` may go ahead (a token taken); else the seconds until it may. */
  take(key: string): number | null {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.rate.burst, at: t };
    b.tokens = Math.min(this.rate.burst, b.tokens + ((t - b.at) / 1000) * this.rate.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (this.buckets.size > 10_000) this.sweep(t);
      return null;
    }
    this.buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate.perSecond));
  }

  /** The seconds until `key` may go ahead, or null when it may now; takes nothing (a check before costly work). */
  wait(key: string): number | null {
    const b = this.buckets.get(key);
    if (!b) return null;
    const tokens = Math.min(this.rate.burst, b.tokens + ((this.now() - b.at) / 1000) * this.rate.perSecond);
    return tokens >= 1 ? null : Math.max(1, Math.ceil((1 - tokens) / this.rate.perSecond));
  }

  /** Many clients (a scan of addresses): drop the buckets that have refilled; they would start full anyway. */
  private sweep(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.rate.perSecond >= this.rate.burst) this.buckets.delete(k);
  }
}

/** The onRequest hook of the expensive routes: 429 with Retry-After once a client's bucket is empty. */
export function rateLimit(limiter: RateLimiter) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.routeOptions.url;
    if (url === undefined || !LIMITED_ROUTES.has(url)) return;
    const key = clientKey(req);
    const wait = limiter.take(key);
    if (wait === null) return;
    return reply
      .code(429)
      .header('retry-after', String(wait))
      .send({ error: 'Too Many Requests', message: `${key} asked more than ${limiter.rate.text} (burst ${limiter.rate.burst}) of this agent's expensive routes: retry after ${wait} s (the agent's --rate-limit)` });
  };
}

/** The onRequest hook on every request: a request target longer than any question needs is refused before routing. */
export function urlLimit(maxUrl: number) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const n = (req.raw.url ?? '').length;
    if (n > maxUrl) return reply.code(414).send({ error: 'URI Too Long', message: `the request target is ${n} bytes; this agent answers at most ${maxUrl}` });
  };
}

/** Why a walk stopped: it ran past its deadline. */
export class WalkDeadline extends LimitError {
  constructor(ms: number) {
    super(503, `the answer was stopped after ${Math.round(ms / 1000)} s, the agent's deadline for one walk: ask a narrower question (a port, one family) or try again when the agent is less busy`, 5);
  }
}

/**
 * At most `max` walks at once, `queue` more waiting in order; beyond, 503 with Retry-After. A walk gets its deadline
 * (performance.now() based) when it starts running, not while it waits.
 */
export class WalkGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly max: number,
    readonly queue: number,
    readonly deadlineMs: number,
  ) {}

  get busy(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(walk: (deadline: number) => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.queue) throw new LimitError(503, `the agent is busy: ${this.running} walks running and ${this.waiting.length} waiting (at most ${this.max} at once, --max-walks): try again shortly`, 2);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await walk(performance.now() + this.deadlineMs);
    } finally {
      // The slot passes straight to the next in line (running stays counted), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
