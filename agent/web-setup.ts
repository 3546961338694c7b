// From --web-config, --public-metrics and --insecure-http to what the agent runs with: the node server, read auth,
// the reload log line and gauges, the refusal to serve clear text beyond loopback, and the startup line's words.
import type { FastifyServerFactory } from 'fastify';
import { BasicAuthUsers } from './basic-auth.js';
import type { ReadAuth } from './auth.js';
import { AgentConfigError } from './config-error.js';
import { acceptReload, serverFactory } from './listener.js';
import type { AgentMetrics } from './metrics.js';
import { WebConfigSource } from './web-config-reload.js';
import { clientAuthText } from './web-config.js';
import type { WebConfig } from './web-config.js';

export interface WebSetupOptions {
  webConfig?: string;
  publicMetrics?: boolean;
  insecureHttp?: boolean;
  /** Who logs: `netdiag agent`. */
  who: string;
  log: (line: string) => void;
}

export interface WebSetup {
  source: WebConfigSource | null;
  auth: ReadAuth | undefined;
  serverFactory: FastifyServerFactory;
  tls: boolean;
}

export function webSetup(o: WebSetupOptions, metrics: AgentMetrics): WebSetup {
  const source = o.webConfig ? new WebConfigSource(o.webConfig, acceptReload) : null;
  if (o.insecureHttp && source?.current().tls) throw new AgentConfigError(`--insecure-http contradicts the web config ${o.webConfig}, whose tls_server_config makes the agent speak HTTPS`, 'drop --insecure-http');
  let auth: ReadAuth | undefined;
  if (source) {
    metrics.observeWebConfig(true);
    source.onReload((r) => {
      metrics.observeWebConfig(r.ok);
      o.log(r.ok ? `${o.who}: web config ${source.file} reloaded (${describeTls(r.config as WebConfig)}, ${(r.config as WebConfig).users.size} basic auth users)` : `${o.who}: ${r.error}; keeping the previous config`);
    });
    const first = source.current();
    if (first.http2Asked) o.log(`${o.who}: http_server_config.http2 is accepted, but the agent serves HTTP/1.1 (Prometheus and curl speak it all the same)`);
    // A cache of good passwords belongs to the users it was made for: a reload starts afresh.
    const users = new WeakMap<WebConfig, BasicAuthUsers>();
    auth = {
      publicMetrics: o.publicMetrics === true,
      current() {
        const c = source.current();
        let u = users.get(c);
        if (!u) users.set(c, (u = new BasicAuthUsers(c.users)));
        return { users: u, headers: c.headers };
      },
    };
  }
  return { source, auth, serverFactory: serverFactory({ web: source, log: o.log }) as unknown as FastifyServerFactory, tls: !!source?.current().tls };
}

/**
 * Clear text beyond loopback only when asked for by name (--insecure-http); then one line says what it exposes.
 * A TLS agent without a token is a legitimate read-only agent on the network (Prometheus only).
 */
export function plainHttpWarning(host: string, loopback: boolean, s: WebSetup, o: { insecureHttp?: boolean; who: string; token: boolean }): string | null {
  if (loopback || s.tls) return null;
  if (!o.insecureHttp) throw new AgentConfigError(`refusing to serve plain HTTP on ${host}: anyone on the network could read this host's snapshot${o.token ? ' and take the change token off the wire' : ''}`, 'give --web-config with a tls_server_config, or --insecure-http to accept that, or listen on 127.0.0.1');
  const users = (s.source?.current().users.size ?? 0) > 0;
  return `${o.who}: --insecure-http: every read route (/v1/*, /ui, /metrics) goes in clear text to anyone on the network who reaches ${host}${users ? ', Basic passwords with every read' : ''}${o.token ? ', and the change token with every change' : ''}`;
}

const describeTls = (c: WebConfig) => (c.tls ? `https, ${clientAuthText(c.tls)}` : 'http');

/** How the agent is reached and who may read, for its startup line. */
export function servingText(s: WebSetup, token: boolean): string {
  const c = s.source?.current() ?? null;
  const users = c?.users.size ?? 0;
  const reads =
    users > 0
      ? `reads need Basic credentials (${users} user${users === 1 ? '' : 's'})${token ? ' or the bearer token' : ''}${s.auth?.publicMetrics ? ', /metrics open (--public-metrics)' : ''}`
      : c?.tls?.clientAuth === 'RequireAndVerifyClientCert'
        ? 'reads authenticated by client certificate'
        : 'reads open';
  return `${c ? describeTls(c) : 'http'}; ${reads}`;
}
