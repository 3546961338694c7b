// Prometheus exporter-toolkit's web configuration file (--web.config.file), read strictly as Go's UnmarshalStrict
// does, and mapped to Node's TLS options; one line naming the file and the key when it is wrong.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AgentConfigError } from './config-error.js';

/** crypto/tls's ClientAuthType names, as exporter-toolkit accepts them (RequireClientCert: its old name for RequireAnyClientCert). */
export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/**
 * Go's tls.CipherSuites() (the only names exporter-toolkit accepts) and OpenSSL's names for them. The TLS 1.3 suites
 * are accepted and change nothing: Go does not let them be configured, and netdiag keeps OpenSSL's TLS 1.3 defaults.
 */
const GO_CIPHERS: Record<string, string | null> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};
/** Without TLS 1.3 names in `ciphers`, Node turns TLS 1.3 off: these keep it on with OpenSSL's default suites. */
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/** exporter-toolkit's curve names (its `curves` map) and OpenSSL's. */
const GO_CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The only response headers exporter-toolkit lets a web config set, and the values of those that are enumerations. */
const EXTRA_HEADERS: Record<string, readonly string[] | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

const oneOf = (names: readonly string[], what: string) =>
  z.string().refine((s) => names.includes(s), { message: `unknown ${what} (one of ${names.join(', ')})` });

/** A bcrypt hash as golang.org/x/crypto/bcrypt reads one ($2a$/$2b$/$2y$, cost 4..31, 22+31 characters of salt and hash). */
const BCRYPT = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const TlsServerConfig = z.strictObject({
  cert: z.string().optional(),
  key: z.string().optional(),
  client_ca: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  client_auth_type: z.union([oneOf(CLIENT_AUTH_TYPES, 'client_auth_type'), z.literal('RequireClientCert')]).optional(),
  client_ca_file: z.string().optional(),
  client_allowed_sans: z.array(z.string()).optional(),
  min_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  max_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  cipher_suites: z.array(oneOf(Object.keys(GO_CIPHERS), 'cipher suite (Go\'s tls.CipherSuites() names)')).optional(),
  curve_preferences: z.array(oneOf(Object.keys(GO_CURVES), 'curve')).optional(),
  prefer_server_cipher_suites: z.boolean().optional(),
});

/** Go's YAML decodes a scalar into a string field whatever it looks like (`X-XSS-Protection: 1`): so do we. */
const goString = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const HttpServerConfig = z.strictObject({
  http2: z.boolean().optional(),
  headers: z
    .record(z.string(), goString)
    .superRefine((h, ctx) => {
      for (const [name, value] of Object.entries(h)) {
        if (!(name in EXTRA_HEADERS)) ctx.addIssue({ code: 'custom', path: [name], message: `this header can not be configured (only ${Object.keys(EXTRA_HEADERS).join(', ')})` });
        const allowed = EXTRA_HEADERS[name];
        if (allowed && value !== '' && !allowed.includes(value)) ctx.addIssue({ code: 'custom', path: [name], message: `expected one of ${allowed.join(', ')}` });
      }
    })
    .optional(),
});

export const WebConfigFile = z
  .strictObject({
    tls_server_config: TlsServerConfig.nullish(),
    http_server_config: HttpServerConfig.nullish(),
    // A hash is shown in no message: it is a secret of sorts (what an offline guess starts from).
    basic_auth_users: z.record(z.string(), z.string().regex(BCRYPT, { message: 'not a bcrypt hash (htpasswd -nBC 10 "" | tr -d \':\\n\' makes one)' })).nullish(),
    // exporter-toolkit's one global token bucket: netdiag limits per client instead, with its own flags.
    rate_limit: z.unknown().refine(() => false, { message: 'not supported by netdiag: it limits each client instead (--rate-limit, --max-walks)' }).optional(),
  })
  .nullable();

/** What a connection's handshake must show, beyond what the secure context checks. */
export interface WebTls {
  /** cert, key, ca, min/max version, ciphers, curves: what tls.createSecureContext and setSecureContext take. */
  context: SecureContextOptions;
  clientAuth: ClientAuthType;
  /** client_allowed_sans: a client certificate must carry one of these (DNS, IP, e-mail or URI), else the connection is closed. */
  allowedSans: readonly string[] | null;
}

export interface WebConfig {
  file: string;
  /** Null: plain HTTP (no tls_server_config, or one without any certificate key, as exporter-toolkit's IsEnabled). */
  tls: WebTls | null;
  /** http_server_config.headers with a value: added to every response. */
  headers: Readonly<Record<string, string>>;
  /** http_server_config.http2 set to true: accepted, though the agent serves HTTP/1.1 only. */
  http2Asked: boolean;
  /** basic_auth_users: user name → bcrypt hash; empty when reads need no password. */
  users: ReadonlyMap<string, string>;
  /** The config file and every file it names: a change to any of them is a reload. */
  files: readonly string[];
}

/** Read and check a web config (files it names resolved against its own directory, read and tried now). */
export function loadWebConfig(file: string): WebConfig {
  const fail = (key: string | null, message: string, hint?: string): never => {
    throw new AgentConfigError(`web config ${file}: ${key ? `${key}: ` : ''}${message}`, hint);
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(null, `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    // Duplicate keys are an error, as in Go's strict YAML.
    raw = parseYaml(text, { uniqueKeys: true, prettyErrors: false }) ?? null;
  } catch (error) {
    return fail(null, `not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = WebConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const key = issue.path.map(String).join('.');
    // An unknown key is named as the key it is, not as its parent.
    if (issue.code === 'unrecognized_keys') return fail([key, issue.keys[0]].filter(Boolean).join('.'), `unknown key (exporter-toolkit's web config has no such field)`);
    return fail(key || null, issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message);
  }
  const c = parsed.data ?? {};
  const dir = dirname(file);
  const files = [file];
  const path = (p: string) => {
    const full = isAbsolute(p) ? p : join(dir, p);
    files.push(full);
    return full;
  };
  const read = (key: string, p: string) => {
    const full = path(p);
    try {
      return readFileSync(full, 'utf8');
    } catch (error) {
      return fail(`tls_server_config.${key}`, `cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };

  let tls: WebTls | null = null;
  const t = c.tls_server_config ?? {};
  const enabled = [t.cert_file, t.cert, t.key_file, t.key, t.client_ca_file, t.client_ca, t.client_auth_type].some((v) => v !== undefined && v !== '');
  if (enabled) {
    for (const [a, b] of [['cert', 'cert_file'], ['key', 'key_file'], ['client_ca', 'client_ca_file']] as const) {
      if (t[a] && t[b]) fail(`tls_server_config.${a}`, `given with ${b}: one or the other`);
    }
    const cert = t.cert_file ? read('cert_file', t.cert_file) : (t.cert ?? fail('tls_server_config.cert_file', 'missing (or cert): TLS needs the server certificate'));
    const key = t.key_file ? read('key_file', t.key_file) : (t.key ?? fail('tls_server_config.key_file', 'missing (or key): TLS needs the server key'));
    const ca = t.client_ca_file ? read('client_ca_file', t.client_ca_file) : t.client_ca;
    const clientAuth: ClientAuthType = t.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : ((t.client_auth_type ?? 'NoClientCert') as ClientAuthType);
    if (ca && clientAuth === 'NoClientCert') fail('tls_server_config.client_auth_type', `client CAs are configured (client_ca${t.client_ca_file ? '_file' : ''}) without a client auth policy`, 'RequireAndVerifyClientCert verifies client certificates against them');
    // Go would verify against the system's roots; Node's are Mozilla's: any client certificate a public CA signed.
    if (!ca && (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')) fail('tls_server_config.client_ca_file', `missing: ${clientAuth} would verify client certificates against every public CA`, 'name the CA that signs your clients\' certificates');
    if (t.client_allowed_sans && clientAuth === 'NoClientCert') fail('tls_server_config.client_allowed_sans', 'no client certificate is asked for (client_auth_type NoClientCert)');
    const minVersion = TLS_VERSIONS[t.min_version ?? 'TLS12'] as SecureVersion;
    const maxVersion = TLS_VERSIONS[t.max_version ?? 'TLS13'] as SecureVersion;
    if ((t.min_version ?? 'TLS12') > (t.max_version ?? 'TLS13')) fail('tls_server_config.min_version', `${t.min_version ?? 'TLS12'} is above max_version ${t.max_version ?? 'TLS13'}`);
    const tls12 = (t.cipher_suites ?? []).map((n) => GO_CIPHERS[n]).filter((n): n is string => n !== null);
    const context: SecureContextOptions = {
      cert,
      key,
      ...(ca ? { ca } : {}),
      minVersion,
      maxVersion,
      // prefer_server_cipher_suites defaults to true in exporter-toolkit.
      honorCipherOrder: t.prefer_server_cipher_suites ?? true,
      ...(tls12.length > 0 ? { ciphers: [...tls12, ...TLS13_SUITES].join(':') } : {}),
      ...(t.curve_preferences?.length ? { ecdhCurve: t.curve_preferences.map((n) => GO_CURVES[n]).join(':') } : {}),
    };
    // What OpenSSL makes of them now, not at the first connection: each part alone first, so a refusal names its
    // key (a bad PEM), then the pair (a key that is not the certificate's) and the whole (versions, ciphers, curves).
    const tryContext = (k: string, o: SecureContextOptions) => {
      try {
        createSecureContext(o);
      } catch (error) {
        fail(`tls_server_config.${k}`, `OpenSSL refuses it: ${(error as Error).message}`);
      }
    };
    tryContext(t.cert_file ? 'cert_file' : 'cert', { cert });
    tryContext(t.key_file ? 'key_file' : 'key', { key });
    if (ca) {
      // OpenSSL takes a CA bundle without a certificate in it silently (and then verifies nobody).
      try {
        new X509Certificate(ca);
      } catch (error) {
        fail(`tls_server_config.${t.client_ca_file ? 'client_ca_file' : 'client_ca'}`, `no PEM certificate in it: ${(error as Error).message}`);
      }
    }
    tryContext(t.key_file ? 'key_file' : 'key', { cert, key });
    tryContext(t.cipher_suites ? 'cipher_suites' : t.curve_preferences ? 'curve_preferences' : 'min_version', context);
    tls = { context, clientAuth, allowedSans: t.client_allowed_sans ?? null };
  }
  const headers = Object.fromEntries(Object.entries(c.http_server_config?.headers ?? {}).filter(([, v]) => v !== ''));
  return { file, tls, headers, http2Asked: c.http_server_config?.http2 === true, users: new Map(Object.entries(c.basic_auth_users ?? {})), files };
}

/** How the handshake treats client certificates, in words (the startup line and the docs). */
export function clientAuthText(t: WebTls | null): string {
  if (!t) return 'no TLS';
  const sans = t.allowedSans ? `, with one of ${t.allowedSans.length} allowed SANs` : '';
  switch (t.clientAuth) {
    case 'NoClientCert':
      return 'no client certificate asked for';
    case 'RequestClientCert':
      return `client certificate asked for, not verified${sans}`;
    case 'RequireAnyClientCert':
      return `client certificate required, not verified${sans}`;
    case 'VerifyClientCertIfGiven':
      return `client certificate verified if given${sans}`;
    case 'RequireAndVerifyClientCert':
      return `client certificate required and verified${sans}`;
  }
}
