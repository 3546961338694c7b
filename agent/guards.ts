// What a browser may make the agent do: the Host check against DNS rebinding, CSRF on POST routes, security headers.
import { isLoopbackName } from '../rules/addr/addr.js';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface GuardOptions {
  /** The address the agent listens on (from --listen). */
  listenHost: string;
  /** More names the Host header may carry (--allowed-host: a reverse proxy's name). */
  allowedHosts: string[];
}


/** The hostname of a Host header (port dropped, IPv6 brackets removed, lower case, a trailing dot dropped), or null. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  return (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
}

/**
 * Null when the Host header names this agent; else why not. On loopback only loopback names, the listen address and
 * --allowed-host names pass: a page on evil.example whose name the attacker re-points at 127.0.0.1 sends
 * `Host: evil.example`. Beyond loopback, --allowed-host (if given) narrows it to those names and IP literals (an
 * address in Host is never a rebinding name; Prometheus scrapes by address).
 */
export function hostRefusal(header: string | undefined, o: GuardOptions): string | null {
  const allowed = new Set(o.allowedHosts.map((a) => a.toLowerCase().replace(/\.$/, '')));
  const name = hostName(header);
  const how = '--allowed-host NAME';
  if (name === null) return header ? `the Host header ${JSON.stringify(header.slice(0, 100))} is not a host name` : 'the request has no Host header';
  if (allowed.has(name) || name === o.listenHost.toLowerCase() || isLoopbackName(name)) return null;
  if (!isLoopbackName(o.listenHost)) {
    if (allowed.size === 0 || isIP(name) !== 0) return null;
    return `Host ${JSON.stringify(name)} is not one of this agent's names (${[...allowed].join(', ')}): give ${how} for it`;
  }
  return `Host ${JSON.stringify(name.slice(0, 100))} is not a loopback name of this agent (it listens on ${o.listenHost}): a page whose DNS name was re-pointed at this address sends exactly that; if a reverse proxy forwards under this name, give ${how}`;
}

/** The first onRequest hook: a rebinding request is refused before it learns whether credentials would be needed. */
export function hostCheck(o: GuardOptions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const why = hostRefusal(req.headers.host, o);
    if (why) return reply.code(403).send({ error: 'Forbidden', message: why });
  };
}

const SAME_SITE = new Set(['same-origin', 'none']);

/** Null when a POST may come from where it says it comes from; else the status and why not. */
export function csrfRefusal(req: { method: string; headers: Record<string, string | string[] | undefined> }): { status: number; message: string } | null {
  if (req.method !== 'POST') return null;
  const h = req.headers;
  const site = h['sec-fetch-site'];
  // A browser says where a request comes from: only the agent's own page (same-origin) or a person typing (none) may post.
  if (typeof site === 'string' && !SAME_SITE.has(site.toLowerCase())) return { status: 403, message: `a cross-site request (Sec-Fetch-Site: ${site.slice(0, 40)}) may not post to this agent` };
  const origin = h.origin;
  if (typeof origin === 'string') {
    const host = typeof h.host === 'string' ? h.host.toLowerCase() : '';
    if (originHostPort(origin) !== withPort(host, origin)) return { status: 403, message: `a request from the page at ${JSON.stringify(origin.slice(0, 200))} may not post to this agent (Host ${JSON.stringify(host.slice(0, 100))})` };
  }
  // Only JSON: a form or text/plain is what a cross-site page can send without asking the browser's permission first.
  if (hasBody(h)) {
    const type = String(h['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return { status: 415, message: `a body must be application/json, not ${JSON.stringify(String(h['content-type'] ?? '(none)').slice(0, 100))}` };
  }
  return null;
}

const hasBody = (h: Record<string, string | string[] | undefined>) => h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');

/** `host:port` of an Origin (`null` for an opaque one, which never matches). */
function originHostPort(origin: string): string {
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'null';
    return `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return 'null';
  }
}

/** The Host header with its port made explicit, the default one of the Origin's scheme when it has none. */
function withPort(host: string, origin: string): string {
  if (/:\d+$/.test(host)) return host;
  return `${host}:${origin.toLowerCase().startsWith('https:') ? '443' : '80'}`;
}

export function csrfCheck() {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const r = csrfRefusal(req);
    if (r) return reply.code(r.status).send({ error: r.status === 415 ? 'Unsupported Media Type' : 'Forbidden', message: r.message });
  };
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * The page's CSP: its own inline scripts and styles by hash (read from the page itself, so an edit to the page can never
 * silently break it or widen it), nothing remote, fetch to this agent only, never framed.
 */
export function pageCsp(html: string): string {
  const scripts = [...html.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map((m) => sha256(m[1] as string));
  const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => sha256(m[1] as string));
  return [
    "default-src 'none'",
    `script-src ${scripts.join(' ') || "'none'"}`,
    `style-src ${styles.join(' ') || "'none'"}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The headers every response carries unless the web config sets them (the /metrics fast path sends the same). */
export const EVERY_RESPONSE_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/**
 * An onSend hook: the headers every response carries, and the page's own. Headers the operator set in the web config
 * (http_server_config.headers, added before the route ran) win, except the page's Content-Security-Policy: the page
 * runs only under the hashes of its own inline script and style.
 */
export function securityHeaders() {
  const csp = new Map<string, string>();
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const byDefault = (name: string, value: string) => {
      if (!reply.hasHeader(name)) reply.header(name, value);
    };
    for (const [name, value] of Object.entries(EVERY_RESPONSE_HEADERS)) byDefault(name, value);
    const path = req.url.split('?')[0] ?? '';
    if (path.startsWith('/v1/')) {
      byDefault('cache-control', 'no-store');
      // An answer opened in a browser (the map's SVG, JSON) runs nothing and is never framed: only /ui is a page.
      byDefault('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    }
    if (path === '/ui' && typeof payload === 'string') {
      let c = csp.get(payload);
      if (c === undefined) {
        c = pageCsp(payload);
        // Two pages at most (read-only or not): the cache never grows beyond a few.
        if (csp.size > 8) csp.clear();
        csp.set(payload, c);
      }
      reply.header('content-security-policy', c);
      byDefault('x-frame-options', 'DENY');
    }
    return payload;
  };
}
