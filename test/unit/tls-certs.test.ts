// The test certificates are what they claim: openssl verifies the good ones against the CA and refuses the expired and the foreign ones.
import { it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTlsSet } from '../tls-certs.js';
it('openssl verifies the server and client certificates against the CA, not the expired or foreign ones', async () => {
  const s = await makeTlsSet(mkdtempSync(join(tmpdir(), 'netdiag-tls-')), { serverIps: ['10.77.0.1'] });
  const v = (c: string, ca: string) => { try { return execFileSync('openssl', ['verify', '-CAfile', ca, c], { encoding: 'utf8' }); } catch (e) { return String((e as {stdout:string}).stdout); } };
  expect(v(s.serverCert, s.caCert)).toMatch(/OK/);
  expect(v(s.clientCert, s.caCert)).toMatch(/OK/);
  expect(v(s.expiredCert, s.caCert)).not.toMatch(/: OK/);
  expect(v(s.otherServerCert, s.caCert)).not.toMatch(/: OK/);
});
