// GET /metrics answered from the node server's request event, before fastify's routing, hooks and reply: the same
// checks (the Host check, reads open to this client) and the same response, for a fraction of the CPU. At concurrency
// 50 on two cores a scrape waits for the ones queued before it, so what one costs the main thread is what p99 is made of.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadAuth } from './auth.js';
import { EVERY_RESPONSE_HEADERS, hostRefusal } from './guards.js';
import type { GuardOptions } from './guards.js';
import type { AgentMetrics } from './metrics.js';

export interface FastMetrics {
  /** True when the request was answered here; false: fastify answers it (anything but a plain GET /metrics that may read). */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on every request goes to fastify (closing: it answers 503 and closes connections). */
  stop(): void;
}

export function metricsFastPath(o: { metrics: AgentMetrics; guards: GuardOptions; auth: ReadAuth | undefined }): FastMetrics {
  let stopped = false;
  // The Host headers last found to name this agent: a scraper sends the same one every time.
  const hostsOk = new Set<string>();
  // The response's headers, made again only when the web config's headers change.
  let madeFor: Readonly<Record<string, string>> | null | undefined;
  let head: string[] = [];
  const headers = (extra: Readonly<Record<string, string>> | null) => {
    if (extra === madeFor) return head;
    // As fastify's reply has them: the web config's headers first (identifyClient), the content type (the route), then
    // the security headers an operator did not set (securityHeaders); names in lower case.
    const h = new Map<string, string>(Object.entries(extra ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    h.set('content-type', o.metrics.registry.contentType);
    for (const [name, value] of Object.entries(EVERY_RESPONSE_HEADERS)) if (!h.has(name)) h.set(name, value);
    madeFor = extra;
    return (head = [...h].flat());
  };
  return {
    answer(req, res) {
      if (stopped || req.method !== 'GET' || req.url !== '/metrics') return false;
      const host = req.headers.host;
      if (host === undefined || !hostsOk.has(host)) {
        // Refused, or not seen yet: fastify says why (and a name that passes is remembered, a few of them at most).
        if (host === undefined || hostRefusal(host, o.guards) !== null || hostsOk.size >= 16) return false;
        hostsOk.add(host);
      }
      const now = o.auth?.current();
      // Credentials to check (basic_auth_users without --public-metrics): identifyClient's to do.
      if (now?.users && now.users.size > 0 && !o.auth?.publicMetrics) return false;
      const bytes = o.metrics.ready();
      if (!bytes) return false;
      // One flat list of names and values: node writes it as it is.
      res.writeHead(200, [...headers(now?.headers ?? null), 'content-length', String(bytes.length)]);
      res.end(bytes);
      return true;
    },
    stop() {
      stopped = true;
    },
  };
}
