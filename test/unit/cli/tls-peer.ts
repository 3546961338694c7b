// The network peer for the CLI's TLS tests: a real node:https server on 127.0.0.1:0 that answers as the agent's
// contract says (a snapshot, 401 with Basic realm, the token for changes, 400 to plain HTTP on its TLS port), or a real
// `openssl s_server`, which refuses a client certificate with a TLS alert as Go exporters do. Only the client is tested.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The verified client certificate's CN, if one was presented. */
  clientCn: string | null;
  body: string;
}

export interface Peer {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

export interface PeerOptions {
  /** TLS server options; null: a plain-HTTP agent. */
  tls: ServerOptions | null;
  /** What GET /v1/snapshot serves (JSON text). */
  snapshot: string;
  /** basic_auth_users, in clear (the peer is not what is tested). Reads then need these or the token. */
  users?: Record<string, string>;
  token?: string;
  /** Answer every read 429, as a rate-limited agent does. */
  busy?: boolean;
}

function handler(o: PeerOptions, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const cert = (req.socket as TLSSocket).getPeerCertificate?.();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, clientCn: cert && 'subject' in cert && cert.subject ? String(cert.subject.CN) : null, body });
      const auth = req.headers.authorization ?? '';
      const bearer = o.token !== undefined && auth === `Bearer ${o.token}`;
      const json = (status: number, v: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(v));
      };
      if (req.method === 'POST') {
        if (!bearer) return json(401, { error: 'Unauthorized', message: 'a change needs the bearer token' });
        if (req.url === '/v1/plans/apply') return json(200, { status: 'applied', verified: true });
        if (req.url?.startsWith('/v1/rollback/')) return json(200, { status: 'rolled-back', verified: true });
        return json(404, { error: 'Not Found', message: req.url });
      }
      if (o.users) {
        const basic = /^Basic (.+)$/.exec(auth)?.[1];
        const [user, ...pw] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
        const ok = bearer || (user !== undefined && o.users[user] === pw.join(':'));
        if (!ok) return json(401, { error: 'Unauthorized', message: 'reads need credentials' }, { 'www-authenticate': 'Basic realm="netdiag"' });
      }
      if (o.busy) return json(429, { error: 'Too Many Requests', message: 'too many requests from user:prom: at most 5 a second on /v1/snapshot' }, { 'retry-after': '1' });
      if (req.url === '/v1/snapshot') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(o.snapshot);
      }
      return json(404, { error: 'Not Found', message: req.url });
    });
  };
}

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const closing = (s: Server) => () => new Promise<void>((resolve) => s.close(() => resolve()));

/**
 * The agent as the contract has it. A TLS peer sits behind a listener that looks at the first byte, as the agent's
 * does: a TLS ClientHello goes to the TLS server, anything else is answered as Go's net/http answers it.
 */
export async function startPeer(o: PeerOptions): Promise<Peer> {
  const seen: Seen[] = [];
  if (!o.tls) {
    const s = createHttpServer(handler(o, seen));
    return { port: await listen(s), seen, close: closing(s) };
  }
  const tls = createHttpsServer(o.tls, handler(o, seen));
  // A refused handshake is the test's subject, not an error of the peer's.
  tls.on('tlsClientError', () => undefined);
  const front = createNetServer((socket) => {
    socket.once('data', (first) => {
      if (first[0] === 0x16) {
        socket.pause();
        socket.unshift(first);
        tls.emit('connection', socket);
        process.nextTick(() => socket.resume());
      } else {
        socket.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
      }
    });
    socket.on('error', () => undefined);
  });
  return { port: await listen(front), seen, close: closing(front) };
}

/** `openssl s_server -www` requiring a client certificate verified against `ca`: refusals are TLS alerts. */
export async function startOpensslPeer(o: { cert: string; key: string; ca: string }): Promise<{ port: number; close(): Promise<void> }> {
  const child: ChildProcess = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', o.cert, '-key', o.key, '-CAfile', o.ca, '-Verify', '1', '-verify_return_error', '-www'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), 10_000);
    child.stdout?.on('data', (c) => {
      out += c;
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error(`openssl s_server exited: ${out}`)));
  });
  child.stderr?.resume();
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
