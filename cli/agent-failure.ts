// Why an agent could not be asked, as one line that names the agent and says what to do: TLS verification codes,
// alerts the agent sent in the handshake, the agent's 401 and its answer to plain HTTP on its TLS port.
import type { AgentTarget } from './agent-access.js';
import { UsageError } from './io.js';
import { shownPath } from './text.js';

/** What the client knew when the connection failed: alerts and resets mean different things before and after. */
export interface FailureContext {
  /** Our side of the TLS handshake completed (TLS 1.3: the agent checks our certificate only after this). */
  handshakeDone: boolean;
  /** Some answer (a status line) came back. */
  answered: boolean;
  timeoutMs: number;
}

/** The body Go's net/http (and the netdiag agent) answers a plain-HTTP request on a TLS port with. */
const HTTP_ON_TLS_PORT = 'Client sent an HTTP request to an HTTPS server.';

/** The agent's answer to plain HTTP on its TLS port: a 400 with Go's sentence (no status code of its own says it). */
export function isHttpOnTlsPort(status: number, body: string): boolean {
  return status === 400 && body.startsWith(HTTP_ON_TLS_PORT);
}

/** OpenSSL's words for a TLS record that is not one: the peer answered in plain HTTP (TLS 1.2 gives only the message). */
function plainPeer(e: NodeJS.ErrnoException): boolean {
  return e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|record layer failure/.test(e.message ?? '');
}

const CA_UNKNOWN = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED']);

/** The alert the agent sent, from OpenSSL's error ("sslv3 alert certificate expired" → "certificate expired"); TLS 1.2 gives it only in the message. */
function alertOf(e: NodeJS.ErrnoException & { reason?: string }): string | null {
  const m = /alert ([a-z ]+?)(?::|$)/.exec(e.reason ?? '') ?? /\balert ([a-z ]+?):/.exec(e.message ?? '');
  return m?.[1]?.trim() ?? null;
}

/** With --cacert only that CA is trusted: the message names it, so a wrong file is seen at once. */
function caUnknown(t: AgentTarget, at: string): UsageError {
  return t.tls?.caFile
    ? new UsageError(`${at}: its certificate is not signed by the CA in ${shownPath(t.tls.caFile)}, the only one trusted`, 'give --cacert with the CA that signed it; in an inventory, tls_config.ca_file')
    : new UsageError(`${at}: its certificate is not signed by a CA you trust`, 'give --cacert FILE, the CA that signed it; in an inventory, tls_config.ca_file');
}

const CERT_HINT = 'give --cert FILE and --key FILE; in an inventory, tls_config.cert_file and key_file';

/** A certificate-related alert from the agent: what it says about our client certificate. */
function clientCertRefused(t: AgentTarget, alert: string): UsageError | null {
  const mine = t.tls?.certFile ? `your client certificate ${shownPath(t.tls.certFile)}` : null;
  if (alert === 'certificate required' || (alert === 'handshake failure' && !mine)) {
    return new UsageError(`the agent at ${t.shown} requires a client certificate`, CERT_HINT);
  }
  if (!mine) return null;
  switch (alert) {
    case 'certificate expired':
      return new UsageError(`the agent at ${t.shown} refused ${mine}: it has expired${t.tls?.certExpired ? ` (on ${t.tls.certExpired})` : ''}`, 'renew it with the CA the agent trusts, its client_ca_file');
    case 'unknown ca':
      return new UsageError(`the agent at ${t.shown} refused ${mine}: it is not signed by a CA the agent trusts`, "give a certificate signed by the CA in the agent's client_ca_file");
    case 'bad certificate':
    case 'unsupported certificate':
    case 'certificate unknown':
    case 'certificate revoked':
    case 'access denied':
      return new UsageError(`the agent at ${t.shown} refused ${mine}: ${alert}`, "it must be signed by the CA in the agent's client_ca_file, valid now, for client authentication, with a name its client_allowed_sans allows if it has them");
    default:
      return null;
  }
}

/** A connection that failed, as the one line the user sees. */
export function connectionFailure(error: unknown, t: AgentTarget, ctx: FailureContext): UsageError {
  const e = error as NodeJS.ErrnoException & { reason?: string; cert?: { subjectaltname?: string }; host?: string };
  const at = `the agent at ${t.shown}`;
  const code = e.code ?? '';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ABORT_ERR') {
    return new UsageError(`${at} did not answer in ${ctx.timeoutMs / 1000} s`, 'is it overloaded, or is a firewall dropping the connection?');
  }
  if (CA_UNKNOWN.has(code)) return caUnknown(t, at);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const sans = (e.cert?.subjectaltname ?? '').replace(/IP Address:/g, 'IP:');
    const asked = t.tls?.serverName ?? t.url.hostname;
    return new UsageError(`${at}: its certificate is not for ${asked}: it names ${sans || 'no subject alternative names'}`, 'reach the agent by one of those names, set tls_config.server_name in the inventory, or reissue its certificate with this name');
  }
  if (code === 'CERT_HAS_EXPIRED') return new UsageError(`${at}: its certificate has expired`, "renew the agent's certificate, the cert_file of its --web-config; the agent reloads it by itself");
  if (code === 'CERT_NOT_YET_VALID') return new UsageError(`${at}: its certificate is not valid yet`, "check this machine's clock and the agent's");
  if (plainPeer(e)) {
    return new UsageError(`${at} does not speak TLS`, `use http://${t.url.host}, or start the agent with --web-config and a tls_server_config`);
  }
  const alert = alertOf(e);
  if (alert) {
    const refused = clientCertRefused(t, alert);
    if (refused) return refused;
    if (alert === 'handshake failure' || alert === 'protocol version' || alert === 'insufficient security') {
      return new UsageError(`${at} refused the TLS handshake (${alert})`, 'no TLS version or cipher in common: check min_version and cipher_suites in its --web-config');
    }
    return new UsageError(`${at} ended the TLS handshake: ${alert}`);
  }
  if ((code === 'ECONNRESET' || code === 'EPIPE') && !ctx.answered) {
    // A Node TLS server refuses a client certificate by closing the connection after the handshake, with no alert.
    if (t.tls?.certFile && ctx.handshakeDone) {
      const mine = `your client certificate ${shownPath(t.tls.certFile)}`;
      return t.tls.certExpired
        ? new UsageError(`${at} closed the connection: ${mine} expired on ${t.tls.certExpired}`, 'renew it with the CA the agent trusts, its client_ca_file')
        : new UsageError(`${at} closed the connection after the TLS handshake: it did not accept ${mine}`, "give a certificate signed by the CA in the agent's client_ca_file, valid now, for client authentication, with a name its client_allowed_sans allows if it has them");
    }
    if (t.tls && ctx.handshakeDone) return new UsageError(`${at} closed the connection after the TLS handshake`, `if it requires a client certificate, ${CERT_HINT}`);
    if (!t.tls) return new UsageError(`${at} closed the connection without answering`, `if it speaks HTTPS, use https://${t.url.host}`);
  }
  const why = code || e.message || String(error);
  return new UsageError(`cannot reach the agent at ${t.shown}: ${why}`, 'is `netdiag agent` running there, and listening on that address?');
}

/** What the Authorization header carried, for a 401's explanation. */
export type SentAuth = 'basic' | 'bearer' | 'none';

/** A 401 from the agent: which credential was wrong, or that it needs one. */
export function unauthorized(t: AgentTarget, sent: SentAuth, change: boolean): UsageError {
  const at = `the agent at ${t.shown}`;
  if (sent === 'basic') return new UsageError(`${at} refused user ${t.basic?.username}: wrong user or password`, 'check the user in the URL and --password-file or NETDIAG_AGENT_PASSWORD; in an inventory, basic_auth');
  if (sent === 'bearer') return new UsageError(`${at} refused the token: wrong token`, 'give the token in the agent\'s --token-file: --token-file FILE or NETDIAG_TOKEN');
  if (change) return new UsageError(`${at} needs its token for changes`, 'give --token-file FILE or set NETDIAG_TOKEN');
  return new UsageError(`${at} needs credentials for reads`, 'give a user in the URL, https://USER@host:9700, with --password-file FILE or NETDIAG_AGENT_PASSWORD; or the token: --token-file FILE or NETDIAG_TOKEN');
}

/** Plain HTTP sent to the agent's TLS port, answered as Go's net/http answers it. */
export function httpOnTlsPort(t: AgentTarget): UsageError {
  return new UsageError(`the agent at ${t.shown} speaks HTTPS`, `use https://${t.url.host}, with --cacert FILE if a CA of your own signed its certificate`);
}
