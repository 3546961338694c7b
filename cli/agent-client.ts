// The CLI's one HTTP(S) client for agents: TLS checked against the given CA, a client certificate, basic auth or the
// token, a deadline on the whole exchange, and one-line errors that name the agent. node:https rather than fetch:
// fetch takes no CA or client certificate without an undici dispatcher.
import { isLoopbackName } from '../rules/addr/addr.js';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, RequestOptions } from 'node:http';
import type { AgentTarget } from './agent-access.js';
import { connectionFailure, httpOnTlsPort, isHttpOnTlsPort, unauthorized } from './agent-failure.js';
import type { FailureContext, SentAuth } from './agent-failure.js';
import { MAX_FILE_BYTES, readUserFile } from './files.js';
import type { Io } from './io.js';
import { UsageError, usageErrorOf } from './io.js';
import { oneLine } from './text.js';
import { NETDIAG_VERSION } from '../host/version.js';

/** The token changes need: --token-file, else NETDIAG_TOKEN, else a one-line error. */
export async function agentToken(file: string | undefined, io: Io): Promise<string> {
  if (file) {
    return (await readUserFile(file, 'token file', '--token-file')).trim();
  }
  const t = io.env.NETDIAG_TOKEN?.trim();
  if (!t) throw new UsageError('changes through agents need their token', 'give --token-file FILE or set NETDIAG_TOKEN');
  return t;
}

export interface AgentAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface AskOptions {
  method?: 'GET' | 'POST';
  /** JSON body; null or absent: none. */
  body?: unknown;
  /** A mutating route: the token, never basic credentials (the agent lets only the token change a host). */
  change?: boolean;
  timeoutMs?: number;
}

/**
 * The Authorization header: the token for changes; for reads basic credentials, else the token, else nothing. A read
 * never carries the token in clear text beyond this host: a change must (the operator chose --insecure-http), a read
 * need not, and every read that carries it is one more chance to see it on the wire.
 */
export function authorization(t: AgentTarget, change: boolean): { header?: string; sent: SentAuth } {
  if (change) {
    if (!t.token) throw new UsageError(`the agent at ${t.shown} needs its token for changes`, 'give --token-file FILE or set NETDIAG_TOKEN');
    return { header: `Bearer ${t.token}`, sent: 'bearer' };
  }
  if (t.basic) return { header: `Basic ${Buffer.from(`${t.basic.username}:${t.basic.password}`).toString('base64')}`, sent: 'basic' };
  if (t.token && (t.url.protocol === 'https:' || isLoopbackName(t.url.hostname))) return { header: `Bearer ${t.token}`, sent: 'bearer' };
  return { sent: 'none' };
}

/**
 * One request to an agent. Resolves with any answer but the ones that are about the channel or the credentials
 * (401, plain HTTP on a TLS port), which, like a failed connection, reject with a one-line UsageError.
 */
export async function askAgent(t: AgentTarget, path: string, o: AskOptions = {}): Promise<AgentAnswer> {
  // node:https (and TLS with it) loaded only for an https:// agent: `why` asks the local agent over plain HTTP first.
  const httpsRequest = t.tls ? (await import('node:https')).request : null;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const change = o.change === true;
  const auth = authorization(t, change);
  const body = o.body === undefined || o.body === null ? null : Buffer.from(JSON.stringify(o.body));
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `netdiag/${NETDIAG_VERSION}` };
  if (auth.header) headers.authorization = auth.header;
  if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(body.length) });
  const options: RequestOptions & Record<string, unknown> = {
    method: o.method ?? (body ? 'POST' : 'GET'),
    // URL.hostname keeps an IPv6 address's brackets; a socket wants the bare address.
    host: t.url.hostname.replace(/^\[|\]$/g, ''),
    port: t.url.port || (t.tls ? 443 : 80),
    path,
    headers,
    signal: AbortSignal.timeout(timeoutMs),
    // A fresh connection per request: nothing pooled outlives the command and keeps it from exiting.
    agent: false,
  };
  if (t.tls) {
    Object.assign(options, {
      // With a CA given, only it is trusted (as curl --cacert); without, the system's CAs.
      ...(t.tls.ca ? { ca: t.tls.ca } : {}),
      ...(t.tls.cert ? { cert: t.tls.cert, key: t.tls.key } : {}),
      // Node checks the certificate against servername when set, else against the host: inventory's server_name.
      ...(t.tls.serverName ? { servername: t.tls.serverName } : {}),
      rejectUnauthorized: !t.tls.insecureSkipVerify,
    });
  }
  const ctx: FailureContext = { handshakeDone: false, answered: false, timeoutMs };
  return new Promise<AgentAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(connectionFailure(error, t, ctx));
    };
    const req = (httpsRequest ?? httpRequest)(options, (res) => {
      ctx.answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_FILE_BYTES) req.destroy(new Error(`its answer is larger than netdiag reads (${MAX_FILE_BYTES / 2 ** 20} MiB)`));
        else chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const answer = { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
        if (answer.status === 401) reject(unauthorized(t, auth.sent, change));
        else if (isHttpOnTlsPort(answer.status, answer.text)) reject(httpOnTlsPort(t));
        else resolve(answer);
      });
    });
    req.on('socket', (s) => s.once('secureConnect', () => (ctx.handshakeDone = true)));
    req.on('error', fail);
    req.end(body ?? undefined);
  });
}

export interface AgentReply {
  status: number;
  body: Record<string, unknown>;
}

/** A change through an agent; a failure to ask it is status 0 with the one line as message (apply reports per host). */
export async function postToAgent(t: AgentTarget, path: string, body: unknown | null, timeoutMs = 120_000): Promise<AgentReply> {
  let res: AgentAnswer;
  try {
    res = await askAgent(t, path, { method: 'POST', body, change: true, timeoutMs });
  } catch (error) {
    const u = usageErrorOf(error);
    if (!u) throw error;
    return { status: 0, body: { error: 'unreachable', message: oneLine(`${u.message}${u.hint ? ` (${u.hint})` : ''}`) } };
  }
  try {
    return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: 'bad reply', message: res.text.slice(0, 200) } };
  }
}

