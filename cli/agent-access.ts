// How the CLI proves itself to an agent and checks the agent: TLS files, basic auth, the token — from the command
// line, an inventory host or the environment; read and checked once, before any request, each failure one line.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { readUserFile } from './files.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { shownPath } from './text.js';

/** An inventory host's tls_config (Prometheus's names), paths already resolved against the inventory's directory. */
export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

/** An inventory host's basic_auth (Prometheus's names). */
export interface BasicAuthFiles {
  username: string;
  passwordFile?: string;
}

/** An agent as the user named it: a URL and, from an inventory, its own TLS and basic auth. */
export interface AgentEntry {
  name: string | null;
  url: string;
  tls?: TlsFiles;
  basicAuth?: BasicAuthFiles;
}

/** The command line's say: TLS files for agents without their own, the password for a user in a URL, the token. */
export interface AccessOptions {
  cacert?: string;
  cert?: string;
  key?: string;
  passwordFile?: string;
  tokenFile?: string;
}

export interface AgentTls {
  /** PEM of the CAs trusted for this agent (absent: the system's, as a browser trusts). */
  ca?: string;
  caFile?: string;
  cert?: string;
  key?: string;
  certFile?: string;
  /** When the client certificate stopped being valid, if it has: an agent refusing it is then explained. */
  certExpired?: string;
  /** The name the agent's certificate must carry (and SNI), when not the URL's host. */
  serverName?: string;
  insecureSkipVerify: boolean;
}

/** One agent ready to be asked: where, how the channel is checked, and what proves who is asking. */
export interface AgentTarget {
  name: string | null;
  /** The URL without credentials (a password never travels past this point but in the Authorization header). */
  url: URL;
  /** How messages name the agent: its URL with the user, never the password. */
  shown: string;
  tls: AgentTls | null;
  basic: { username: string; password: string } | null;
  /** The change token; also sent on reads when no basic credentials are (the agent accepts it as read auth). */
  token: string | null;
}

/** The URL as messages show it: scheme, user, host, port, path — never a password. */
export function shownAgent(url: URL): string {
  const user = url.username ? `${url.username}@` : '';
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.protocol}//${user}${url.host}${path}`;
}

export function parseAgentUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--agent takes a URL like https://10.0.0.5:9700, not ${shownPath(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--agent takes an http:// or https:// URL, not ${shownPath(shownAgent(u))}`);
  return u;
}

/** The token if one was given (--token-file, else NETDIAG_TOKEN), else null: reads do not need it. */
export async function optionalToken(file: string | undefined, io: Io): Promise<string | null> {
  if (file) {
    const t = (await readUserFile(file, 'token file', '--token-file')).trim();
    if (!t) throw new UsageError(`the token file ${shownPath(file)} is empty`);
    return t;
  }
  return io.env.NETDIAG_TOKEN?.trim() || null;
}

type Reader = (file: string, what: string, option: string) => Promise<string>;

/** Each file read once however many hosts name it. */
function cachedReader(): Reader {
  const seen = new Map<string, Promise<string>>();
  return (file, what, option) => {
    let p = seen.get(file);
    if (!p) {
      p = readUserFile(file, what, option);
      seen.set(file, p);
    }
    return p;
  };
}

/** node:crypto, loaded only where TLS files are given: `why` asks the local agent over plain HTTP without them. */
type Crypto = typeof import('node:crypto');

function pemCertificate(crypto: Crypto, pem: string, what: string): X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch {
    throw new UsageError(`${what} is not a PEM certificate`, 'give the file that starts with -----BEGIN CERTIFICATE-----');
  }
}

function pemKey(crypto: Crypto, pem: string, what: string): KeyObject {
  try {
    return crypto.createPrivateKey(pem);
  } catch {
    throw new UsageError(`${what} is not an unencrypted PEM private key`, 'give the file that starts with -----BEGIN PRIVATE KEY-----; decrypt an encrypted key with openssl pkey');
  }
}

/** TLS material for one agent, from its own tls_config or else the command line's; checked as a pair up front. */
async function tlsFor(entry: AgentEntry, opts: AccessOptions, read: Reader): Promise<AgentTls> {
  const own = entry.tls;
  const where = entry.name ? ` (tls_config of ${entry.name} in the inventory)` : '';
  const files = own
    ? { ca: own.caFile, cert: own.certFile, key: own.keyFile, caOpt: 'tls_config.ca_file', certOpt: 'tls_config.cert_file', keyOpt: 'tls_config.key_file' }
    : { ca: opts.cacert, cert: opts.cert, key: opts.key, caOpt: '--cacert', certOpt: '--cert', keyOpt: '--key' };
  if (Boolean(files.cert) !== Boolean(files.key)) {
    throw new UsageError(`${files.cert ? files.certOpt : files.keyOpt} needs ${files.cert ? files.keyOpt : files.certOpt}${where}`, 'a client certificate is given with its private key: both or neither');
  }
  const tls: AgentTls = { insecureSkipVerify: own?.insecureSkipVerify === true };
  if (own?.serverName) tls.serverName = own.serverName;
  const crypto = files.ca || files.cert ? await import('node:crypto') : null;
  if (files.ca && crypto) {
    tls.ca = await read(files.ca, 'CA certificate', files.caOpt);
    tls.caFile = files.ca;
    pemCertificate(crypto, tls.ca, `the CA certificate ${shownPath(files.ca)}${where}`);
  }
  if (files.cert && files.key && crypto) {
    const certPem = await read(files.cert, 'client certificate', files.certOpt);
    const keyPem = await read(files.key, 'client key', files.keyOpt);
    const cert = pemCertificate(crypto, certPem, `the client certificate ${shownPath(files.cert)}${where}`);
    const key = pemKey(crypto, keyPem, `the client key ${shownPath(files.key)}${where}`);
    // A mismatched pair would fail inside the handshake with an OpenSSL code; said here, it names both files.
    if (!cert.checkPrivateKey(key)) throw new UsageError(`the client key ${shownPath(files.key)} does not belong to the client certificate ${shownPath(files.cert)}${where}`, 'give the key the certificate was made for');
    Object.assign(tls, { cert: certPem, key: keyPem, certFile: files.cert });
    if (Date.parse(cert.validTo) < Date.now()) tls.certExpired = new Date(cert.validTo).toISOString().slice(0, 10);
  }
  return tls;
}

/**
 * Basic credentials: the URL's user (or the inventory's), the password inline, else from a file, else the environment;
 * a user without any password is an error, unless the token is given (reads then send the token).
 */
async function basicFor(entry: AgentEntry, url: URL, opts: AccessOptions, io: Io, read: Reader, token: string | null): Promise<AgentTarget['basic']> {
  const username = entry.basicAuth?.username ?? decodeURIComponent(url.username);
  if (!username) {
    if (url.password) throw new UsageError(`the agent URL ${shownAgent(url)} has a password but no user`, 'write it as https://USER@host:9700 with --password-file FILE');
    return null;
  }
  if (url.password) return { username, password: decodeURIComponent(url.password) };
  const file = entry.basicAuth?.passwordFile ?? opts.passwordFile;
  if (file) {
    const password = (await read(file, 'password file', entry.basicAuth?.passwordFile ? 'basic_auth.password_file' : '--password-file')).trim();
    if (!password) throw new UsageError(`the password file ${shownPath(file)} is empty`);
    return { username, password };
  }
  const env = io.env.NETDIAG_AGENT_PASSWORD;
  if (env) return { username, password: env };
  // With the token, reads are authorised without the password (a plan's URL keeps its user, never the password).
  if (token) return null;
  throw new UsageError(`the agent at ${shownAgent(url)} is asked as user ${username}, but no password is given`, 'give --password-file FILE or set NETDIAG_AGENT_PASSWORD');
}

/** Every agent in view made ready: files read and checked, credentials found; nothing is sent yet. */
export async function agentTargets(entries: AgentEntry[], opts: AccessOptions, io: Io): Promise<AgentTarget[]> {
  const read = cachedReader();
  const token = await optionalToken(opts.tokenFile, io);
  return Promise.all(
    entries.map(async (e) => {
      const full = parseAgentUrl(e.url);
      const url = new URL(full.href);
      url.username = '';
      url.password = '';
      const tls = full.protocol === 'https:' ? await tlsFor(e, opts, read) : null;
      return { name: e.name, url, shown: shownAgent(full), tls, basic: await basicFor(e, full, opts, io, read, token), token };
    }),
  );
}
