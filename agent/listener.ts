// The agent's own node server for fastify (serverFactory): plain HTTP, or TLS from the web config, with the timeouts
// and limits of the contract; on the TLS port a plain-HTTP request is told so (as Go's net/http does) instead of
// a silent close; the web config's certificates, CA, versions and client-certificate policy follow its reloads.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { clientCertRefusal, requestOptions } from './client-cert.js';
import type { WebConfigSource } from './web-config-reload.js';
import type { WebConfig } from './web-config.js';

/** The contract's server limits (hardening tests them): a slow or idle client holds a socket only so long. */
export const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  /** Any socket idle this long is closed (node's server.timeout). */
  socketTimeout: 120_000,
  maxHeaderSize: 16_384,
  maxConnections: 1_024,
  /** A TLS handshake, and the first byte of a connection, must come within this. */
  handshakeTimeout: 10_000,
} as const;

/** What Go's net/http answers on a TLS port to a request in clear text (and what curl and browsers show). */
export const PLAIN_HTTP_ON_TLS = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** A TLS record of type handshake starts with 0x16; anything else on the TLS port is not TLS. */
const TLS_HANDSHAKE = 0x16;

export interface ListenerOptions {
  /** The web config (null: plain HTTP, no reloads). */
  web: WebConfigSource | null;
  /** Connections closed for their client certificate (one line each, at most one a second). */
  log?: (line: string) => void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** fastify's serverFactory: the node server the app runs on. */
export function serverFactory(o: ListenerOptions): (handler: Handler) => Server {
  return (handler) => {
    const cfg = o.web?.current();
    const server = cfg?.tls ? tlsServer(o.web as WebConfigSource, cfg, handler as RequestListener, o.log) : plainServer(o.web, handler as RequestListener);
    server.headersTimeout = SERVER_LIMITS.headersTimeout;
    server.requestTimeout = SERVER_LIMITS.requestTimeout;
    server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeout;
    server.timeout = SERVER_LIMITS.socketTimeout;
    server.maxConnections = SERVER_LIMITS.maxConnections;
    return server;
  };
}

function plainServer(web: WebConfigSource | null, handler: RequestListener): Server {
  const server = createHttpServer({ maxHeaderSize: SERVER_LIMITS.maxHeaderSize }, handler);
  // basic_auth_users and headers reload here too (the request hook also looks, for kept-alive connections).
  if (web) server.prependListener('connection', () => void web.current());
  return server;
}

function tlsServer(web: WebConfigSource, first: WebConfig, handler: RequestListener, log?: (line: string) => void): Server {
  const t = first.tls as NonNullable<WebConfig['tls']>;
  const server = createHttpsServer({ ...t.context, ...requestOptions(t), maxHeaderSize: SERVER_LIMITS.maxHeaderSize, handshakeTimeout: SERVER_LIMITS.handshakeTimeout }, handler);
  let applied = first;
  const apply = (cfg: WebConfig) => {
    const nt = cfg.tls;
    // The source refuses a reload that turns TLS off (see acceptReload); keep the old one if one slipped through.
    if (!nt) return;
    server.setSecureContext(nt.context);
    // tls.Server reads these when it wraps each new connection: a changed client_auth_type applies from the next one.
    const ro = requestOptions(nt);
    (server as unknown as { requestCert: boolean }).requestCert = ro.requestCert;
    (server as unknown as { rejectUnauthorized: boolean }).rejectUnauthorized = ro.rejectUnauthorized;
    applied = cfg;
  };

  // Between accepting a connection and TLS: look at the web config, then at the first byte.
  const [wrapTls] = server.listeners('connection') as ((socket: Socket) => void)[];
  if (!wrapTls) throw new Error('tls.Server has no connection listener to wrap');
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const cfg = web.current();
    if (cfg !== applied) apply(cfg);
    firstByte(socket, (byte) => {
      if (byte === TLS_HANDSHAKE) wrapTls.call(server, socket);
      else answerPlainHttp(socket);
    });
  });

  // After the handshake, before HTTP: what OpenSSL does not check (a certificate required but not verified,
  // verified only if given, allowed SANs) closes the connection here.
  const [serveHttp] = server.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
  if (!serveHttp) throw new Error('https.Server has no secureConnection listener to wrap');
  server.removeAllListeners('secureConnection');
  let lastLog = 0;
  server.on('secureConnection', (socket: TLSSocket) => {
    const tls = applied.tls;
    const refused = tls ? clientCertRefusal(socket, tls) : null;
    if (refused) {
      if (log && Date.now() - lastLog > 1000) {
        lastLog = Date.now();
        log(`netdiag agent: closed a TLS connection from ${socket.remoteAddress}: ${refused}`);
      }
      socket.destroy();
      return;
    }
    serveHttp.call(server, socket);
  });
  return server;
}

/** The connection's first byte, left in the socket for whoever reads it next; a silent client is closed. */
function firstByte(socket: Socket, then: (byte: number) => void): void {
  const drop = () => socket.destroy();
  socket.on('error', drop);
  socket.once('end', drop);
  socket.setTimeout(SERVER_LIMITS.handshakeTimeout, drop);
  const look = () => {
    const chunk = socket.read(1) as Buffer | null;
    if (chunk === null) {
      if (!socket.destroyed) socket.once('readable', look);
      return;
    }
    socket.removeListener('error', drop);
    socket.removeListener('end', drop);
    socket.setTimeout(0);
    socket.unshift(chunk);
    then(chunk[0] as number);
  };
  look();
}

/** Go's answer to clear text on a TLS port: 400 and its sentence; the request itself is read and dropped. */
function answerPlainHttp(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  socket.resume();
  socket.end(PLAIN_HTTP_ON_TLS);
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** A reload may change certificates, CA, versions, ciphers and the client policy, but not whether TLS is on. */
export function acceptReload(next: WebConfig, prev: WebConfig): string | null {
  if (!!next.tls !== !!prev.tls) return `tls_server_config ${next.tls ? 'added' : 'removed'}: switching between HTTP and HTTPS needs a restart; keeping the previous config`;
  return null;
}
