// Issue 27: the agent speaking TLS from exporter-toolkit's web config, for real on 127.0.0.1 (certificates by the real
// openssl): each client_auth_type, allowed SANs, min_version, plain HTTP on the TLS port, reloads good and bad.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsSet } from '../../tls-certs.js';
import type { TlsSet } from '../../tls-certs.js';
import { SERVER_LIMITS } from '../../../agent/listener.js';
import { sleep, startWebAgent, tlsGet, writeWebConfig } from './web-agent.js';
import type { RunningAgent } from './web-agent.js';

let s: TlsSet;
const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

beforeAll(async () => {
  s = await makeTlsSet(mkdtempSync(join(tmpdir(), 'netdiag-tls-')));
});

/** A web config beside copies of the server's certificate and key, named relatively (as exporter-toolkit resolves them). */
function tlsConfig(extra: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-web-'));
  copyFileSync(s.serverCert, join(dir, 'server.crt'));
  copyFileSync(s.serverKey, join(dir, 'server.key'));
  copyFileSync(s.caCert, join(dir, 'ca.crt'));
  const file = writeWebConfig(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`, dir);
  return { file, dir };
}

const refused = (p: Promise<unknown>) => p.then(
  (r) => ({ refused: false as const, detail: JSON.stringify(r) }),
  (e: NodeJS.ErrnoException) => ({ refused: true as const, detail: `${e.code ?? ''} ${e.message}` }),
);

describe.each([
  // [client_auth_type, no cert, the CA's client cert, another CA's client cert, the expired cert]
  ['NoClientCert', true, true, true, true],
  ['RequestClientCert', true, true, true, true],
  ['RequireAnyClientCert', false, true, true, true],
  ['VerifyClientCertIfGiven', true, true, false, false],
  ['RequireAndVerifyClientCert', false, true, false, false],
] as const)('client_auth_type %s', (type, none, good, other, expired) => {
  let a: RunningAgent;
  beforeAll(async () => {
    a = await startWebAgent(tlsConfig(`  client_auth_type: ${type}\n${type === 'NoClientCert' ? '' : '  client_ca_file: ca.crt\n'}`).file);
  });
  afterAll(() => a.close());

  it(`no client certificate: ${none ? 'served' : 'refused'}`, async () => {
    const r = await refused(tlsGet(a.port, '/healthz', { ca: s.caCert }));
    expect(r.refused, r.detail).toBe(!none);
  });
  it(`a client certificate of the CA: ${good ? 'served' : 'refused'}; named cert:CN when verified`, async () => {
    const r = await tlsGet(a.port, '/whoami', { ca: s.caCert, cert: s.clientCert, key: s.clientKey });
    expect(r.status).toBe(200);
    // NoClientCert never asks for it; the others name it when it verifies against client_ca_file (OpenSSL checks it
    // even where Go's policy would not refuse a bad one).
    expect(JSON.parse(r.body).client).toBe(type === 'NoClientCert' ? 'ip:127.0.0.1' : 'cert:netdiag-client');
    if (type === 'RequestClientCert' || type === 'RequireAnyClientCert') {
      // Another CA's certificate is let through by these policies, but names nobody.
      const o = await tlsGet(a.port, '/whoami', { ca: s.caCert, cert: s.otherClientCert, key: s.otherClientKey });
      expect(JSON.parse(o.body).client).toBe('ip:127.0.0.1');
    }
  });
  it(`another CA's client certificate: ${other ? 'served' : 'refused'}`, async () => {
    const r = await refused(tlsGet(a.port, '/healthz', { ca: s.caCert, cert: s.otherClientCert, key: s.otherClientKey }));
    expect(r.refused, r.detail).toBe(!other);
  });
  it(`an expired client certificate of the CA: ${expired ? 'served' : 'refused'}`, async () => {
    const r = await refused(tlsGet(a.port, '/healthz', { ca: s.caCert, cert: s.expiredCert, key: s.expiredKey }));
    expect(r.refused, r.detail).toBe(!expired);
  });
});

describe('TLS details', () => {
  it('a client that trusts another CA refuses the agent (the agent\'s certificate is the one configured)', async () => {
    const a = await startWebAgent(tlsConfig('').file);
    try {
      const r = await refused(tlsGet(a.port, '/healthz', { ca: s.otherCaCert }));
      expect(r.refused).toBe(true);
      expect(r.detail).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/);
      expect((await tlsGet(a.port, '/healthz', { ca: s.caCert })).served).toBe(fingerprint(s.serverCert));
    } finally {
      await a.close();
    }
  });

  it('min_version TLS13 refuses a client that speaks at most TLS 1.2; TLS 1.2 is served by default', async () => {
    const strict = await startWebAgent(tlsConfig('  min_version: TLS13\n').file);
    const plain = await startWebAgent(tlsConfig('').file);
    try {
      const r = await refused(tlsGet(strict.port, '/healthz', { ca: s.caCert, maxVersion: 'TLSv1.2' }));
      expect(r.refused).toBe(true);
      expect(r.detail).toMatch(/protocol version|ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION/i);
      expect((await tlsGet(strict.port, '/healthz', { ca: s.caCert })).status).toBe(200);
      expect((await tlsGet(plain.port, '/healthz', { ca: s.caCert, maxVersion: 'TLSv1.2' })).status).toBe(200);
    } finally {
      await strict.close();
      await plain.close();
    }
  });

  it('client_allowed_sans: a verified certificate whose SANs are not listed is refused; one listed is served', async () => {
    const no = await startWebAgent(tlsConfig('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [somebody-else, 10.9.9.9]\n').file);
    const yes = await startWebAgent(tlsConfig('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [somebody-else, netdiag-client]\n').file);
    try {
      const r = await refused(tlsGet(no.port, '/healthz', { ca: s.caCert, cert: s.clientCert, key: s.clientKey }));
      expect(r.refused, r.detail).toBe(true);
      expect(no.lines.join('\n')).toMatch(/closed a TLS connection from 127\.0\.0\.1: client certificate SANs \(netdiag-client\) not in client_allowed_sans/);
      expect((await tlsGet(yes.port, '/healthz', { ca: s.caCert, cert: s.clientCert, key: s.clientKey })).status).toBe(200);
    } finally {
      await no.close();
      await yes.close();
    }
  });

  it('plain HTTP to the TLS port: 400 and Go\'s sentence, byte for byte, and the agent keeps serving TLS', async () => {
    const a = await startWebAgent(tlsConfig('').file);
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const c = connect(a.port, '127.0.0.1', () => c.write('GET /v1/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
        let got = '';
        c.on('data', (d) => (got += d.toString('latin1')));
        c.on('end', () => resolve(got));
        c.on('error', reject);
      });
      expect(raw).toBe('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
      const viaFetch = await fetch(`http://127.0.0.1:${a.port}/metrics`);
      expect(viaFetch.status).toBe(400);
      expect(await viaFetch.text()).toBe('Client sent an HTTP request to an HTTPS server.\n');
      expect((await tlsGet(a.port, '/healthz', { ca: s.caCert })).status).toBe(200);
    } finally {
      await a.close();
    }
  });

  it('the server carries the contract\'s timeouts and limits', async () => {
    const a = await startWebAgent(tlsConfig('').file);
    const p = await startWebAgent(null);
    try {
      for (const srv of [a.app.server, p.app.server]) {
        expect({ h: srv.headersTimeout, r: srv.requestTimeout, k: srv.keepAliveTimeout, t: srv.timeout, m: srv.maxConnections, hs: srv.maxHeadersCount === null ? 'n' : 'n' }).toEqual({ h: SERVER_LIMITS.headersTimeout, r: SERVER_LIMITS.requestTimeout, k: SERVER_LIMITS.keepAliveTimeout, t: SERVER_LIMITS.socketTimeout, m: SERVER_LIMITS.maxConnections, hs: 'n' });
      }
      // maxHeaderSize: a 20 KB header is refused with 431 on the plain server.
      const big = await fetch(`${p.url}/healthz`, { headers: { 'x-big': 'x'.repeat(20_000) } });
      expect(big.status).toBe(431);
    } finally {
      await a.close();
      await p.close();
    }
  });
});

describe('reloads (at most once a second, on new connections)', () => {
  it('replaced certificate files are served to the next connection; the gauge says the reload succeeded', async () => {
    const { file, dir } = tlsConfig('');
    const a = await startWebAgent(file);
    try {
      expect((await tlsGet(a.port, '/healthz', { ca: s.caCert })).served).toBe(fingerprint(s.serverCert));
      await sleep(1100);
      writeFileSync(join(dir, 'server.key'), readFileSync(s.otherServerKey));
      writeFileSync(join(dir, 'server.crt'), readFileSync(s.otherServerCert));
      await sleep(1100);
      // This connection triggers the look; a reload with a key of one pair and the certificate of the other (caught
      // between the two writes) would have been refused and retried on the next change.
      const r = await tlsGet(a.port, '/metrics', { ca: s.otherCaCert });
      expect(r.served).toBe(fingerprint(s.otherServerCert));
      expect(r.body).toMatch(/^netdiag_web_config_last_reload_successful 1$/m);
      expect(a.lines.join('\n')).toMatch(/web config \S+ reloaded \(https, no client certificate asked for, 0 basic auth users\)/);
    } finally {
      await a.close();
    }
  });

  it('an invalid new config keeps the old one: one log line naming the key, the gauge at 0, the old certificate served', async () => {
    const { file } = tlsConfig('');
    const a = await startWebAgent(file);
    try {
      await sleep(1100);
      writeFileSync(file, `${readFileSync(file, 'utf8')}  min_versoin: TLS13\n`);
      await sleep(1100);
      const r = await tlsGet(a.port, '/metrics', { ca: s.caCert, maxVersion: 'TLSv1.2' });
      expect(r.served).toBe(fingerprint(s.serverCert));
      expect(a.lines.filter((l) => /keeping the previous config/.test(l))).toEqual([`netdiag agent: web config ${file}: tls_server_config.min_versoin: unknown key (exporter-toolkit's web config has no such field); keeping the previous config`]);
      // The same bad file is judged once, not at every connection.
      await sleep(1100);
      const again = await tlsGet(a.port, '/metrics', { ca: s.caCert });
      expect(a.lines.filter((l) => /keeping the previous config/.test(l))).toHaveLength(1);
      expect(again.body).toMatch(/^netdiag_web_config_last_reload_successful 0$/m);
    } finally {
      await a.close();
    }
  });

  it('a new client_auth_type applies to new connections: a client without a certificate is refused after the reload', async () => {
    const { file } = tlsConfig('');
    const a = await startWebAgent(file);
    try {
      expect((await tlsGet(a.port, '/healthz', { ca: s.caCert })).status).toBe(200);
      await sleep(1100);
      writeFileSync(file, `${readFileSync(file, 'utf8')}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`);
      await sleep(1100);
      const r = await refused(tlsGet(a.port, '/healthz', { ca: s.caCert }));
      // The connection that noticed the change is already under it.
      expect(r.refused, r.detail).toBe(true);
      expect((await tlsGet(a.port, '/whoami', { ca: s.caCert, cert: s.clientCert, key: s.clientKey })).body).toBe('{"client":"cert:netdiag-client"}');
    } finally {
      await a.close();
    }
  });

  it('turning TLS off by a reload is refused (it needs a restart): HTTPS goes on', async () => {
    const { file } = tlsConfig('');
    const a = await startWebAgent(file);
    try {
      await sleep(1100);
      writeFileSync(file, 'basic_auth_users: {}\n');
      await sleep(1100);
      expect((await tlsGet(a.port, '/healthz', { ca: s.caCert })).status).toBe(200);
      expect(a.lines.join('\n')).toMatch(/tls_server_config removed: switching between HTTP and HTTPS needs a restart; keeping the previous config/);
    } finally {
      await a.close();
    }
  });
});
