// What the web config's client_auth_type and client_allowed_sans demand of a TLS connection's client certificate,
// beyond what the handshake itself verified; and who the certificate names.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import ipaddr from 'ipaddr.js';
import type { WebTls } from './web-config.js';

/** A certificate's SAN values as Go's x509 prints them (DNS names, e-mails, IPs in Go's form, URIs). */
export function sanValues(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  const out: string[] = [];
  // Node quotes a value holding a comma or a quote as a JSON string (CVE-2021-44532): split outside those quotes.
  for (const m of subjectaltname.matchAll(/(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[2] as string;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.trim();
    if (m[1] === 'IP Address') {
      // Go prints an IP in its shortest form (::1); Node may not.
      try {
        const ip = ipaddr.parse(value);
        out.push(ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString());
      } catch {
        out.push(value);
      }
    } else out.push(value);
  }
  return out;
}

const given = (c: PeerCertificate | null | undefined): c is PeerCertificate => !!c && Object.keys(c).length > 0;

/** Null when the connection may go on; else why it is closed (the handshake already refused what OpenSSL checks). */
export function clientCertRefusal(socket: TLSSocket, t: WebTls): string | null {
  const cert = socket.getPeerCertificate();
  const has = given(cert);
  switch (t.clientAuth) {
    case 'RequireAnyClientCert':
      if (!has) return 'no client certificate (RequireAnyClientCert)';
      break;
    case 'VerifyClientCertIfGiven':
      if (has && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
      break;
    case 'RequireAndVerifyClientCert':
      // rejectUnauthorized made the handshake refuse it; this is the same rule, said twice.
      if (!has || !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError ?? 'none given')}`;
      break;
    default:
      break;
  }
  if (t.allowedSans) {
    // Go calls its SAN check with the certificate the client sent; none sent is none allowed.
    if (!has) return 'no client certificate, and client_allowed_sans needs one';
    const sans = sanValues(cert.subjectaltname);
    if (!sans.some((s) => t.allowedSans?.includes(s))) return `client certificate SANs (${sans.join(', ') || 'none'}) not in client_allowed_sans`;
  }
  return null;
}

/** The subject CN of a verified client certificate, else null (an unverified one names nobody). */
export function verifiedClientName(socket: TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (!given(cert)) return null;
  const cn = cert.subject?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) ?? null;
}

/** How the server asks for a client certificate: OpenSSL verifies it in the handshake only for RequireAndVerifyClientCert. */
export function requestOptions(t: WebTls): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: t.clientAuth !== 'NoClientCert', rejectUnauthorized: t.clientAuth === 'RequireAndVerifyClientCert' };
}
