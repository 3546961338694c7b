// Issue 27: exporter-toolkit's web config read as Go reads it (strict keys, its names, its defaults, paths relative
// to the file), mapped to Node's TLS options; every mistake one line naming the file and the key. The YAML of the
// headers and cipher cases is exporter-toolkit's own testdata (web/testdata/*.yml).
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentConfigError } from '../../../agent/config-error.js';
import { loadWebConfig } from '../../../agent/web-config.js';
import type { TlsSet } from '../../tls-certs.js';
import { tlsConfigDir, writeWebConfig } from './web-agent.js';

let s: TlsSet;
let dir: string;
beforeAll(async () => {
  ({ s, dir } = await tlsConfigDir());
  copyFileSync(s.otherServerKey, join(dir, 'other.key'));
});

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
/** A config in `dir` itself, where the certificates are. */
const here = (text: string) => loadWebConfig(writeWebConfig(text, dir));
const error = (text: string): string => {
  try {
    here(text);
  } catch (e) {
    expect(e).toBeInstanceOf(AgentConfigError);
    const m = (e as Error).message;
    expect(m).not.toMatch(/\n/);
    return m;
  }
  throw new Error('no error');
};

describe('a good web config', () => {
  it('maps to Node\'s TLS options with exporter-toolkit\'s defaults (TLS 1.2 to 1.3, server cipher order, no client certificate)', () => {
    const c = here(TLS);
    expect(c.tls?.context).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', honorCipherOrder: true, cert: readFileSync(s.serverCert, 'utf8'), key: readFileSync(s.serverKey, 'utf8') });
    expect(c.tls?.context.ciphers).toBeUndefined();
    expect(c.tls?.clientAuth).toBe('NoClientCert');
    expect(c.tls?.allowedSans).toBeNull();
    expect(c.users.size).toBe(0);
  });

  it('relative paths resolve against the config file\'s directory, not the working directory', () => {
    const c = here(`${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`);
    expect(process.cwd()).not.toBe(dir);
    expect(c.files).toEqual([join(dir, 'web.yml'), join(dir, 'server.crt'), join(dir, 'server.key'), join(dir, 'ca.crt')]);
    expect(c.tls?.context.ca).toBe(readFileSync(s.caCert, 'utf8'));
  });

  it('Go cipher and curve names become OpenSSL\'s, TLS 1.3 kept on (exporter-toolkit\'s web_config_noAuth_allCiphers.good.yml, plus the client CA netdiag insists on)', () => {
    const c = here(`${TLS}  client_auth_type: "VerifyClientCertIfGiven"\n  client_ca_file: ca.crt\n  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n  - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n  - TLS_AES_128_GCM_SHA256\n  - TLS_AES_256_GCM_SHA384\n  - TLS_CHACHA20_POLY1305_SHA256\n  - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n  - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n  - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n  min_version: TLS13\n`);
    expect(c.tls?.context.ciphers).toBe('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
    expect(c.tls?.context).toMatchObject({ ecdhCurve: 'X25519:P-256', honorCipherOrder: false, minVersion: 'TLSv1.3' });
  });

  it('the allowed headers (exporter-toolkit\'s web_config_headers.good.yml), http2 accepted, users kept', () => {
    const c = here('http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000; includeSubDomains\n    X-Content-Type-Options: nosniff\n    X-XSS-Protection: 1\n    Content-Security-Policy: "default-src \'self\' *.test.example.net"\n  http2: true\nbasic_auth_users:\n  alice: $2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby\n');
    expect(c.headers).toEqual({ 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains', 'X-Content-Type-Options': 'nosniff', 'X-XSS-Protection': '1', 'Content-Security-Policy': "default-src 'self' *.test.example.net" });
    expect(c.http2Asked).toBe(true);
    expect(c.tls).toBeNull();
    expect([...c.users.keys()]).toEqual(['alice']);
  });

  it('an empty file, and a tls_server_config without any certificate key, are plain HTTP (exporter-toolkit\'s IsEnabled)', () => {
    expect(here('').tls).toBeNull();
    expect(here('tls_server_config:\n  min_version: TLS13\n').tls).toBeNull();
  });

  it('RequireClientCert, exporter-toolkit\'s old name, is RequireAnyClientCert', () => {
    expect(here(`${TLS}  client_auth_type: RequireClientCert\n`).tls?.clientAuth).toBe('RequireAnyClientCert');
  });
});

describe('a bad web config: one line naming the file and the key', () => {
  const f = () => join(dir, 'web.yml');
  it.each([
    ['an unknown top-level key', 'tls_config:\n  cert_file: x\n', 'tls_config: unknown key'],
    ['an unknown key inside', `${TLS}  client_auth: RequireAndVerifyClientCert\n`, 'tls_server_config.client_auth: unknown key'],
    ['an unknown header (web_config_headers_extra_header.bad.yml)', 'http_server_config:\n  headers:\n    Content-Type: foo\n', 'http_server_config.headers.Content-Type: this header can not be configured'],
    ['X-Frame-Options foo (web_config_headers_frame_options.bad.yml)', 'http_server_config:\n  headers:\n    X-Frame-Options: foo\n', 'http_server_config.headers.X-Frame-Options: expected one of deny, sameorigin'],
    ['X-Content-Type-Options sniff (web_config_headers_content_type_options.bad.yml)', 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', 'http_server_config.headers.X-Content-Type-Options: expected one of nosniff'],
    ['a client_auth_type Go does not have', `${TLS}  client_auth_type: Sometimes\n`, 'tls_server_config.client_auth_type: unknown client_auth_type (one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)'],
    ['an invented TLS version (web_config_noAuth_wrongTLSVersion.bad.yml)', `${TLS}  min_version: TLS111\n`, 'tls_server_config.min_version: unknown TLS version (one of TLS10, TLS11, TLS12, TLS13)'],
    ['an invented cipher (web_config_noAuth_inventedCiphers.bad.yml)', `${TLS}  cipher_suites:\n    - TLS_RSA_WITH_3DES_EDE_CBC_SHA\n`, 'tls_server_config.cipher_suites.0: unknown cipher suite'],
    ['an invented curve (web_config_noAuth_inventedCurves.bad.yml)', `${TLS}  curve_preferences:\n    - CurveP257\n`, 'tls_server_config.curve_preferences.0: unknown curve (one of CurveP256, CurveP384, CurveP521, X25519)'],
    ['min above max', `${TLS}  min_version: TLS13\n  max_version: TLS12\n`, 'tls_server_config.min_version: TLS13 is above max_version TLS12'],
    ['a certificate file that is not there', 'tls_server_config:\n  cert_file: nosuch.crt\n  key_file: server.key\n', 'tls_server_config.cert_file: cannot read DIR/nosuch.crt: ENOENT'],
    ['a key file that is not there', 'tls_server_config:\n  cert_file: server.crt\n  key_file: /nonexistent/server.key\n', 'tls_server_config.key_file: cannot read /nonexistent/server.key: ENOENT'],
    ['no key at all (web_config_noAuth_keyPath_empty.bad.yml)', 'tls_server_config:\n  cert_file: server.crt\n', 'tls_server_config.key_file: missing (or key)'],
    ['a key that is not the certificate\'s', 'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n', 'tls_server_config.key_file: OpenSSL refuses it'],
    ['a certificate file that is not PEM', 'tls_server_config:\n  cert_file: web.yml\n  key_file: server.key\n', 'tls_server_config.cert_file: OpenSSL refuses it: error:0480006C:PEM routines::no start line'],
    ['a client CA file without a certificate', `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n`, 'tls_server_config.client_ca_file: no PEM certificate in it'],
    ['verifying client certificates without a CA (Node would use every public CA)', `${TLS}  client_auth_type: RequireAndVerifyClientCert\n`, 'tls_server_config.client_ca_file: missing: RequireAndVerifyClientCert would verify client certificates against every public CA'],
    ['a client CA without a policy', `${TLS}  client_ca_file: ca.crt\n`, 'tls_server_config.client_auth_type: client CAs are configured (client_ca_file) without a client auth policy'],
    ['allowed SANs without a policy', `${TLS}  client_allowed_sans: [a]\n`, 'tls_server_config.client_allowed_sans: no client certificate is asked for'],
    ['rate_limit, exporter-toolkit\'s global bucket', 'rate_limit:\n  interval: 1s\n  burst: 10\n', 'rate_limit: not supported by netdiag: it limits each client instead (--rate-limit, --max-walks)'],
    ['a key given twice', 'basic_auth_users:\n  a: x\nbasic_auth_users:\n  b: y\n', 'not YAML: '],
    ['not YAML at all (web_config_junk.yml)', 'this: [is not\n', 'not YAML: '],
    ['a list where a map goes', 'tls_server_config: [a]\n', 'tls_server_config: expected object'],
  ])('%s', (_what, text, expected) => {
    const m = error(text);
    expect(m.startsWith(`web config ${f()}: ${expected.replace('DIR', dir)}`), m).toBe(true);
  });

  it('a password hash that is not bcrypt is refused without being shown', () => {
    const m = error('basic_auth_users:\n  alice: plain-text-password\n');
    expect(m).toBe(`web config ${f()}: basic_auth_users.alice: not a bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n' makes one)`);
    expect(m).not.toContain('plain-text-password');
  });

  it('a web config that is not there names the file', () => {
    expect(() => loadWebConfig('/nonexistent/web.yml')).toThrow('web config /nonexistent/web.yml: cannot read it: ENOENT');
  });
});
