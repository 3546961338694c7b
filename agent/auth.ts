// Who is asking and may they read: the bearer token (changes; reads too), Basic credentials from the web config's
// basic_auth_users (reads only), a verified client certificate (named, the handshake already required it).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseBasic } from './basic-auth.js';
import type { BasicAuthUsers } from './basic-auth.js';
import { verifiedClientName } from './client-cert.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** user:NAME (Basic), cert:CN (verified client certificate), token (bearer), else ip:ADDRESS: whom limits count. */
    netdiagClient: string;
  }
  interface FastifyContextConfig {
    /** A route that changes the host: the bearer token decides, never Basic credentials. */
    mutating?: boolean;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The bearer token of an Authorization header, or null. */
const bearerOf = (header: string | undefined) => /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? null;

/** Hashing first makes both sides the same length, so timingSafeEqual compares without leaking the token's length. */
const tokenMatches = (given: string, expected: Buffer) => timingSafeEqual(digest(given), expected);

export function requireBearer(token: string | null) {
  const expected = token ? digest(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return reply.code(403).send({ error: 'Forbidden', message: 'this agent has no token (--token-file), so it accepts no changes' });
    const given = bearerOf(req.headers.authorization);
    if (given === null || !tokenMatches(given, expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: given !== null ? 'wrong token' : 'a bearer token is required (Authorization: Bearer <token>)' });
    }
  };
}

/** How reads are authenticated: the web config's users (reloaded with it) and whether /metrics is left open. */
export interface ReadAuth {
  /** basic_auth_users now (null or empty: reads need no credentials) and the web config's extra response headers. */
  current(): { users: BasicAuthUsers | null; headers: Readonly<Record<string, string>> };
  /** --public-metrics: /metrics needs no credentials even when users are set (the handshake's demands still apply). */
  publicMetrics: boolean;
}

/**
 * The first hook after the host check: names the client (req.netdiagClient), adds the web config's headers, and
 * refuses a read without valid credentials when basic_auth_users is set (401 asking for Basic). Mutating routes are
 * left to requireBearer: one Authorization header cannot carry both, and Basic never authorises a change.
 */
export function identifyClient(token: string | null, auth: ReadAuth | undefined) {
  const expected = token ? digest(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const now = auth?.current();
    for (const [name, value] of Object.entries(now?.headers ?? {})) reply.header(name, value);
    const given = bearerOf(req.headers.authorization);
    const tokenOk = given !== null && expected !== null && tokenMatches(given, expected);
    const socket = req.raw.socket as TLSSocket;
    const certName = socket.encrypted ? verifiedClientName(socket) : null;
    req.netdiagClient = certName !== null ? `cert:${certName}` : tokenOk ? 'token' : `ip:${req.ip}`;
    if (req.routeOptions.config?.mutating === true) return;
    const users = now?.users;
    if (!users || users.size === 0) return;
    if (auth?.publicMetrics && req.routeOptions.url === '/metrics') return;
    if (tokenOk) return;
    const basic = parseBasic(req.headers.authorization);
    if (basic && (await users.verify(basic.user, basic.password))) {
      req.netdiagClient = `user:${basic.user}`;
      return;
    }
    // Who tried, from where; never the password (nor the token).
    if (basic) req.log.warn({ user: basic.user.slice(0, 64), remote: req.ip, url: req.url.slice(0, 200) }, 'basic auth failed');
    const message = basic ? 'wrong user name or password' : given !== null ? 'wrong token' : 'this agent needs credentials to read: Basic (a user of its web config) or the bearer token';
    return reply.code(401).header('www-authenticate', 'Basic realm="netdiag"').send({ error: 'Unauthorized', message });
  };
}
