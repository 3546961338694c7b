// Test certificates made by the real openssl at test time: a CA, the agent's server certificate, a client's, an
// expired client's, and a second CA nobody trusts — what TLS tests of the agent and the CLI need, never committed keys.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../host/exec.js';

export interface TlsSet {
  dir: string;
  /** The CA that signs everything below (give it to clients as --cacert, to the agent as client_ca_file). */
  caCert: string;
  caKey: string;
  /** The agent's certificate: SANs localhost, 127.0.0.1, ::1 and any `serverIps`/`serverNames` asked for. */
  serverCert: string;
  serverKey: string;
  /** A client certificate (CN netdiag-client, SAN DNS netdiag-client) signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by the CA that expired on 2020-01-02. */
  expiredCert: string;
  expiredKey: string;
  /** The agent's certificate (same SANs) signed by the CA but expired on 2020-01-02: what a client must refuse. */
  expiredServerCert: string;
  expiredServerKey: string;
  /** Another CA, and a server certificate it signed: what a client trusting only caCert must refuse. */
  otherCaCert: string;
  otherServerCert: string;
  otherServerKey: string;
  /** A client certificate signed by the other CA: what an agent verifying against caCert must refuse. */
  otherClientCert: string;
  otherClientKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await runCommand('openssl', args, { timeoutMs: 30_000, cwd });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', ...KEY, '-keyout', key, '-out', cert, '-days', '3650', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert, key };
}

/** A leaf certificate signed by `ca` through `openssl ca`, which (unlike `x509 -req`) can date it in the past. */
async function makeLeaf(dir: string, ca: { cert: string; key: string }, name: string, o: { cn: string; san: string; usage: 'serverAuth' | 'clientAuth'; start?: string; end?: string }): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const db = join(dir, `${name}.db`);
  mkdirSync(db, { recursive: true });
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), `${(Math.floor(Math.random() * 0xfffffff) + 0x10000000).toString(16)}\n`);
  const cnf = join(db, 'ca.cnf');
  writeFileSync(
    cnf,
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${join(db, 'index.txt')}`,
      `new_certs_dir = ${db}`,
      `serial = ${join(db, 'serial')}`,
      'default_md = sha256',
      'policy = p',
      'x509_extensions = ext',
      'unique_subject = no',
      '[p]',
      'commonName = supplied',
      '[ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage = ${o.usage}`,
      `subjectAltName = ${o.san}`,
      '',
    ].join('\n'),
  );
  await openssl(['req', ...KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${o.cn}`], dir);
  const dates = o.start && o.end ? ['-startdate', o.start, '-enddate', o.end] : ['-days', '3650'];
  await openssl(['ca', '-batch', '-config', cnf, '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert, '-notext', ...dates], dir);
  return { cert, key };
}

/** Everything a TLS test needs, in `dir` (made if missing). `serverIps`: more addresses the agent is reached at (a lab host's LAN). */
export async function makeTlsSet(dir: string, o: { serverIps?: string[]; serverNames?: string[] } = {}): Promise<TlsSet> {
  mkdirSync(dir, { recursive: true });
  const ca = await makeCa(dir, 'ca');
  const other = await makeCa(dir, 'other-ca');
  const san = ['DNS:localhost', ...(o.serverNames ?? []).map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1', ...(o.serverIps ?? []).map((ip) => `IP:${ip}`)].join(',');
  const server = await makeLeaf(dir, ca, 'server', { cn: 'netdiag-agent', san, usage: 'serverAuth' });
  const client = await makeLeaf(dir, ca, 'client', { cn: 'netdiag-client', san: 'DNS:netdiag-client', usage: 'clientAuth' });
  const expired = await makeLeaf(dir, ca, 'expired', { cn: 'netdiag-expired', san: 'DNS:netdiag-expired', usage: 'clientAuth', start: '20200101000000Z', end: '20200102000000Z' });
  const expiredServer = await makeLeaf(dir, ca, 'expired-server', { cn: 'netdiag-agent', san, usage: 'serverAuth', start: '20200101000000Z', end: '20200102000000Z' });
  const otherServer = await makeLeaf(dir, other, 'other-server', { cn: 'netdiag-agent', san, usage: 'serverAuth' });
  const otherClient = await makeLeaf(dir, other, 'other-client', { cn: 'netdiag-client', san: 'DNS:netdiag-client', usage: 'clientAuth' });
  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    expiredCert: expired.cert,
    expiredKey: expired.key,
    expiredServerCert: expiredServer.cert,
    expiredServerKey: expiredServer.key,
    otherCaCert: other.cert,
    otherServerCert: otherServer.cert,
    otherServerKey: otherServer.key,
    otherClientCert: otherClient.cert,
    otherClientKey: otherClient.key,
  };
}
