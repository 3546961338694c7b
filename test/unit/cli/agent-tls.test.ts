// The CLI talking to agents over TLS, through main() against real TLS servers on 127.0.0.1 with real openssl
// certificates: success with a CA, a client certificate and basic auth; each failure one line, exit 2, naming the
// agent and what to do; inventories' tls_config and basic_auth; the token sent on reads; apply and rollback over TLS.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { MatrixResult } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { planRoutes } from '../../../rules/plan/plan-routes.js';
import { makeTlsSet } from '../../tls-certs.js';
import type { TlsSet } from '../../tls-certs.js';
import { CAPTURED, REPO } from '../fixtures.js';
import { startOpensslPeer, startPeer } from './tls-peer.js';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { askAgent, authorization } from '../../../cli/agent-client.js';
import { agentTargets } from '../../../cli/agent-access.js';
import type { AgentTarget } from '../../../cli/agent-access.js';
import type { Peer, PeerOptions } from './tls-peer.js';

const SEED = readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8');
const MOBY = join(CAPTURED, 'moby-topology');
const dir = mkdtempSync(join(tmpdir(), 'netdiag-cli-tls-'));
const TOKEN = 'cli-tls-token-0123456789abcdef0123456789';
let c: TlsSet;
const peers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  c = await makeTlsSet(join(dir, 'certs'));
  writeFileSync(join(dir, 'pw'), 'prom-secret\n');
}, 30_000);
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

async function peer(o: Partial<PeerOptions> & { tls: PeerOptions['tls'] }): Promise<Peer> {
  const p = await startPeer({ snapshot: SEED, ...o });
  peers.push(p);
  return p;
}
const file = (f: string) => readFileSync(f);
/** The agent's usual TLS: its certificate from the CA. */
const serverTls = () => ({ cert: file(c.serverCert), key: file(c.serverKey) });
/** … and requiring a client certificate from the CA (RequireAndVerifyClientCert). */
const mtls = () => ({ ...serverTls(), ca: file(c.caCert), requestCert: true, rejectUnauthorized: true });

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const o = { out: '', err: '', isTTY: false, env, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  const code = await main(argv, o);
  return { code, out: o.out, err: o.err };
}

/** A failure as the user sees it: exit 2, exactly one line on stderr, nothing on stdout. */
async function failure(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run(argv, env);
  expect(r.out).toBe('');
  expect(r.err.split('\n').filter(Boolean), r.err).toHaveLength(1);
  expect(r.code, r.err).toBe(2);
  return r.err.trimEnd();
}

const mine = () => ['--cacert', c.caCert, '--cert', c.clientCert, '--key', c.clientKey];

describe('success', () => {
  it('a CA, a client certificate and basic auth: the snapshot comes over TLS, with the user and the certificate', async () => {
    const p = await peer({ tls: mtls(), users: { prom: 'prom-secret' } });
    const r = await run(['matrix', '--agent', `https://prom@127.0.0.1:${p.port}`, ...mine(), '--password-file', join(dir, 'pw'), '--json']);
    expect(r.code, r.err).toBe(0);
    expect(MatrixResult.parse(JSON.parse(r.out)).pairs.length).toBeGreaterThan(0);
    expect(p.seen).toEqual([expect.objectContaining({ method: 'GET', url: '/v1/snapshot', clientCn: 'netdiag-client' })]);
    expect(p.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('prom:prom-secret').toString('base64')}`);
  });

  it('the password from NETDIAG_AGENT_PASSWORD, or inline in the URL', async () => {
    const p = await peer({ tls: serverTls(), users: { prom: 'prom-secret' } });
    expect((await run(['why', 'alpine-01', 'redis-1', '--agent', `https://prom@127.0.0.1:${p.port}`, '--cacert', c.caCert], { NETDIAG_AGENT_PASSWORD: 'prom-secret' })).code).toBe(1);
    expect((await run(['why', 'alpine-01', 'redis-1', '--agent', `https://prom:prom-secret@127.0.0.1:${p.port}`, '--cacert', c.caCert])).code).toBe(1);
    expect(p.seen.map((s) => s.headers.authorization)).toEqual([`Basic ${Buffer.from('prom:prom-secret').toString('base64')}`, `Basic ${Buffer.from('prom:prom-secret').toString('base64')}`]);
  });

  it('the change token, when given, is sent on reads too (the agent accepts it as read auth)', async () => {
    const p = await peer({ tls: serverTls(), users: { prom: 'prom-secret' }, token: TOKEN });
    const r = await run(['doctor', '--agent', `https://127.0.0.1:${p.port}`, '--cacert', c.caCert, '--json'], { NETDIAG_TOKEN: TOKEN });
    expect(r.err).not.toMatch(/credentials|refused/);
    expect(p.seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const q = await peer({ tls: null });
    await run(['doctor', '--agent', `http://127.0.0.1:${q.port}`, '--token-file', join(dir, 'token'), '--json']);
    expect(q.seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    // Without a token nothing is sent: a plain agent with open reads never sees a credential.
    await run(['doctor', '--agent', `http://127.0.0.1:${q.port}`, '--json']);
    expect(q.seen[1]?.headers.authorization).toBeUndefined();
  });

  it('a read never carries the token in clear text beyond this host; a change does, and basic credentials go on reads only', () => {
    const target = (url: string, basic: AgentTarget['basic'] = null): AgentTarget => ({ name: null, url: new URL(url), shown: url, tls: null, basic, token: TOKEN });
    expect(authorization(target('http://10.0.0.5:9700'), false)).toEqual({ sent: 'none' });
    expect(authorization(target('http://10.0.0.5:9700'), true)).toEqual({ header: `Bearer ${TOKEN}`, sent: 'bearer' });
    for (const url of ['https://10.0.0.5:9700', 'http://127.0.0.1:9700', 'http://localhost:9700', 'http://[::1]:9700']) expect(authorization(target(url), false), url).toEqual({ header: `Bearer ${TOKEN}`, sent: 'bearer' });
    const prom = { username: 'prom', password: 'pw' };
    expect(authorization(target('https://10.0.0.5:9700', prom), false).sent).toBe('basic');
    expect(authorization(target('https://10.0.0.5:9700', prom), true).sent).toBe('bearer');
  });
});

describe('each failure: one line, exit 2, naming the agent and what to do', () => {
  it('the agent\'s certificate is from a CA not trusted', async () => {
    const p = await peer({ tls: { cert: file(c.otherServerCert), key: file(c.otherServerKey) } });
    const url = `https://127.0.0.1:${p.port}`;
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert])).toBe(`netdiag: the agent at ${url}: its certificate is not signed by the CA in ${c.caCert}, the only one trusted (give --cacert with the CA that signed it; in an inventory, tls_config.ca_file)`);
    expect(await failure(['why', 'a', 'b', '--agent', url])).toBe(`netdiag: the agent at ${url}: its certificate is not signed by a CA you trust (give --cacert FILE, the CA that signed it; in an inventory, tls_config.ca_file)`);
    expect(p.seen).toEqual([]);
  });

  it('the agent\'s certificate is not for the name asked: its names are said', async () => {
    const p = await peer({ tls: serverTls() });
    const inv = join(dir, 'wrong-name.yml');
    writeFileSync(inv, `hosts:\n  - name: h1\n    agent: https://127.0.0.1:${p.port}\n    tls_config:\n      ca_file: certs/ca.crt\n      server_name: agent.example\n`);
    expect(await failure(['matrix', '--inventory', inv])).toBe(`netdiag: the agent at https://127.0.0.1:${p.port}: its certificate is not for agent.example: it names DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1 (reach the agent by one of those names, set tls_config.server_name in the inventory, or reissue its certificate with this name)`);
    // server_name one of them: accepted.
    writeFileSync(inv, `hosts:\n  - name: h1\n    agent: https://127.0.0.1:${p.port}\n    tls_config:\n      ca_file: certs/ca.crt\n      server_name: localhost\n`);
    expect((await run(['matrix', '--inventory', inv, '--json'])).code).toBe(0);
  });

  it('the agent\'s certificate has expired', async () => {
    const p = await peer({ tls: { cert: file(c.expiredServerCert), key: file(c.expiredServerKey) } });
    expect(await failure(['why', 'a', 'b', '--agent', `https://127.0.0.1:${p.port}`, '--cacert', c.caCert])).toBe(`netdiag: the agent at https://127.0.0.1:${p.port}: its certificate has expired (renew the agent's certificate, the cert_file of its --web-config; the agent reloads it by itself)`);
  });

  it('the agent requires a client certificate (TLS 1.3: certificate required; TLS 1.2: handshake failure)', async () => {
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const p = await peer({ tls: { ...mtls(), maxVersion } });
      expect(await failure(['why', 'a', 'b', '--agent', `https://127.0.0.1:${p.port}`, '--cacert', c.caCert])).toBe(`netdiag: the agent at https://127.0.0.1:${p.port} requires a client certificate (give --cert FILE and --key FILE; in an inventory, tls_config.cert_file and key_file)`);
      expect(p.seen).toEqual([]);
    }
  });

  it('a Node agent closes the connection on a refused client certificate: expired, or from another CA', async () => {
    const p = await peer({ tls: mtls() });
    const url = `https://127.0.0.1:${p.port}`;
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert, '--cert', c.expiredCert, '--key', c.expiredKey])).toBe(`netdiag: the agent at ${url} closed the connection: your client certificate ${c.expiredCert} expired on 2020-01-02 (renew it with the CA the agent trusts, its client_ca_file)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert, '--cert', c.otherClientCert, '--key', c.otherClientKey])).toBe(`netdiag: the agent at ${url} closed the connection after the TLS handshake: it did not accept your client certificate ${c.otherClientCert} (give a certificate signed by the CA in the agent's client_ca_file, valid now, for client authentication, with a name its client_allowed_sans allows if it has them)`);
    expect(p.seen).toEqual([]);
  });

  it('an agent that says why in a TLS alert (openssl s_server, as Go exporters): certificate expired, unknown CA', async () => {
    const p = await startOpensslPeer({ cert: c.serverCert, key: c.serverKey, ca: c.caCert });
    peers.push(p);
    const url = `https://127.0.0.1:${p.port}`;
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert, '--cert', c.expiredCert, '--key', c.expiredKey])).toBe(`netdiag: the agent at ${url} refused your client certificate ${c.expiredCert}: it has expired (on 2020-01-02) (renew it with the CA the agent trusts, its client_ca_file)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert, '--cert', c.otherClientCert, '--key', c.otherClientKey])).toBe(`netdiag: the agent at ${url} refused your client certificate ${c.otherClientCert}: it is not signed by a CA the agent trusts (give a certificate signed by the CA in the agent's client_ca_file)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert])).toBe(`netdiag: the agent at ${url} requires a client certificate (give --cert FILE and --key FILE; in an inventory, tls_config.cert_file and key_file)`);
  });

  it('401: wrong user or password, no credentials, wrong token', async () => {
    const p = await peer({ tls: serverTls(), users: { prom: 'prom-secret' }, token: TOKEN });
    const at = `https://prom@127.0.0.1:${p.port}`;
    expect(await failure(['why', 'a', 'b', '--agent', at, '--cacert', c.caCert], { NETDIAG_AGENT_PASSWORD: 'not-it' })).toBe(`netdiag: the agent at ${at} refused user prom: wrong user or password (check the user in the URL and --password-file or NETDIAG_AGENT_PASSWORD; in an inventory, basic_auth)`);
    const url = `https://127.0.0.1:${p.port}`;
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert])).toBe(`netdiag: the agent at ${url} needs credentials for reads (give a user in the URL, https://USER@host:9700, with --password-file FILE or NETDIAG_AGENT_PASSWORD; or the token: --token-file FILE or NETDIAG_TOKEN)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caCert], { NETDIAG_TOKEN: 'wrong-token-0123456789abcdef0123456789' })).toBe(`netdiag: the agent at ${url} refused the token: wrong token (give the token in the agent's --token-file: --token-file FILE or NETDIAG_TOKEN)`);
    // A user without a password is refused before anything is sent.
    expect(await failure(['why', 'a', 'b', '--agent', at, '--cacert', c.caCert])).toBe(`netdiag: the agent at ${at} is asked as user prom, but no password is given (give --password-file FILE or set NETDIAG_AGENT_PASSWORD)`);
    expect(p.seen).toHaveLength(3);
  });

  it('plain http:// to the agent\'s TLS port', async () => {
    const p = await peer({ tls: serverTls() });
    expect(await failure(['why', 'a', 'b', '--agent', `http://127.0.0.1:${p.port}`])).toBe(`netdiag: the agent at http://127.0.0.1:${p.port} speaks HTTPS (use https://127.0.0.1:${p.port}, with --cacert FILE if a CA of your own signed its certificate)`);
  });

  it('https:// to a plain-HTTP agent', async () => {
    const p = await peer({ tls: null });
    expect(await failure(['why', 'a', 'b', '--agent', `https://127.0.0.1:${p.port}`, '--cacert', c.caCert])).toBe(`netdiag: the agent at https://127.0.0.1:${p.port} does not speak TLS (use http://127.0.0.1:${p.port}, or start the agent with --web-config and a tls_server_config)`);
    expect(p.seen).toEqual([]);
  });

  it('certificate and key files: missing, a directory, not PEM, not a pair, one without the other', async () => {
    const url = 'https://127.0.0.1:9';
    mkdirSync(join(dir, 'a-dir'), { recursive: true });
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', join(dir, 'nope.crt')])).toBe(`netdiag: cannot read the CA certificate ${join(dir, 'nope.crt')}: no such file or directory`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cert', c.clientCert, '--key', join(dir, 'a-dir')])).toBe(`netdiag: cannot read the client key ${join(dir, 'a-dir')}: it is a directory, not a regular file`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cacert', c.caKey])).toBe(`netdiag: the CA certificate ${c.caKey} is not a PEM certificate (give the file that starts with -----BEGIN CERTIFICATE-----)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cert', c.clientCert, '--key', c.clientCert])).toBe(`netdiag: the client key ${c.clientCert} is not an unencrypted PEM private key (give the file that starts with -----BEGIN PRIVATE KEY-----; decrypt an encrypted key with openssl pkey)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cert', c.clientCert, '--key', c.serverKey])).toBe(`netdiag: the client key ${c.serverKey} does not belong to the client certificate ${c.clientCert} (give the key the certificate was made for)`);
    expect(await failure(['why', 'a', 'b', '--agent', url, '--cert', c.clientCert])).toBe('netdiag: --cert needs --key (a client certificate is given with its private key: both or neither)');
    expect(await failure(['why', 'a', 'b', '--agent', url, '--key', c.clientKey])).toBe('netdiag: --key needs --cert (a client certificate is given with its private key: both or neither)');
  });

  it('plain http:// to a TLS server that closes the connection instead of answering 400', async () => {
    const raw = createHttpsServer(serverTls(), (_q, res) => res.end('{}'));
    raw.on('tlsClientError', () => undefined);
    const port = await new Promise<number>((resolve) => raw.listen(0, '127.0.0.1', () => resolve((raw.address() as AddressInfo).port)));
    peers.push({ close: () => new Promise<void>((resolve) => raw.close(() => resolve())) });
    expect(await failure(['why', 'a', 'b', '--agent', `http://127.0.0.1:${port}`])).toBe(`netdiag: the agent at http://127.0.0.1:${port} closed the connection without answering (if it speaks HTTPS, use https://127.0.0.1:${port})`);
  });

  it('an agent that accepts the connection and never answers: the deadline, named', async () => {
    const held: Socket[] = [];
    const mute = createNetServer((s) => void held.push(s));
    const port = await new Promise<number>((resolve) => mute.listen(0, '127.0.0.1', () => resolve((mute.address() as AddressInfo).port)));
    peers.push({ close: () => new Promise<void>((resolve) => { mute.close(() => resolve()); for (const s of held) s.destroy(); }) });
    const [t] = await agentTargets([{ name: null, url: `https://127.0.0.1:${port}` }], { cacert: c.caCert }, { stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {} });
    const e = await askAgent(t as AgentTarget, '/v1/snapshot', { timeoutMs: 300 }).catch((x: unknown) => x as Error);
    expect(e).toMatchObject({ name: 'UsageError', message: `the agent at https://127.0.0.1:${port} did not answer in 0.3 s` });
  });

  it('an agent\'s own refusal (429) is said in its words', async () => {
    const p = await peer({ tls: serverTls(), busy: true });
    expect(await failure(['why', 'a', 'b', '--agent', `https://127.0.0.1:${p.port}`, '--cacert', c.caCert])).toBe(`netdiag: the agent at https://127.0.0.1:${p.port} answered 429: too many requests from user:prom: at most 5 a second on /v1/snapshot`);
  });

  it('a URL that is not http:// or https://', async () => {
    expect(await failure(['why', 'a', 'b', '--agent', 'ftp://127.0.0.1:9700'])).toBe('netdiag: --agent takes an http:// or https:// URL, not ftp://127.0.0.1:9700');
  });
});

describe('inventory: per-host tls_config and basic_auth, in Prometheus\'s names', () => {
  it('relative paths against the inventory\'s directory; a host without its own uses the command line\'s', async () => {
    // h1's agent has a certificate from the CA and wants a client certificate and basic auth; h2's is from the other
    // CA: only the inventory's ca_file for h1 and --cacert for h2 make both succeed.
    const h1 = await peer({ tls: mtls(), users: { prom: 'prom-secret' } });
    const h2 = await peer({ tls: { cert: file(c.otherServerCert), key: file(c.otherServerKey) } });
    const inv = join(dir, 'hosts.yml');
    writeFileSync(inv, [
      'hosts:',
      '  - name: h1',
      `    agent: https://127.0.0.1:${h1.port}`,
      '    tls_config: {ca_file: certs/ca.crt, cert_file: certs/client.crt, key_file: certs/client.key}',
      '    basic_auth: {username: prom, password_file: pw}',
      '  - name: h2',
      `    agent: https://127.0.0.1:${h2.port}`,
      '',
    ].join('\n'));
    const r = await run(['matrix', '--inventory', inv, '--cacert', c.otherCaCert, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(new Set(MatrixResult.parse(JSON.parse(r.out)).pairs.map((x) => x.from.split('/')[0]))).toEqual(new Set(['h1', 'h2']));
    expect(h1.seen[0]).toMatchObject({ clientCn: 'netdiag-client', headers: { authorization: `Basic ${Buffer.from('prom:prom-secret').toString('base64')}` } });
    expect(h2.seen).toHaveLength(1);
  });

  it('insecure_skip_verify: an agent whose certificate no CA here signed is read anyway, as Prometheus would', async () => {
    const p = await peer({ tls: { cert: file(c.otherServerCert), key: file(c.otherServerKey) } });
    const inv = join(dir, 'insecure.yml');
    writeFileSync(inv, `hosts:\n  - name: h1\n    agent: https://127.0.0.1:${p.port}\n    tls_config: {insecure_skip_verify: true}\n`);
    expect((await run(['matrix', '--inventory', inv, '--json'])).code).toBe(0);
    expect(p.seen).toHaveLength(1);
    // Without it the same agent is refused.
    writeFileSync(inv, `hosts:\n  - name: h1\n    agent: https://127.0.0.1:${p.port}\n    tls_config: {ca_file: certs/ca.crt}\n`);
    expect(await failure(['matrix', '--inventory', inv])).toMatch(/its certificate is not signed by the CA in \S+ca\.crt, the only one trusted/);
  });

  it.each<[string, string, string]>([
    ['tls_config on an http:// agent', '    agent: http://10.0.0.1:9700\n    tls_config: {ca_file: ca.crt}', 'hosts.0.tls_config: tls_config needs an https:// agent URL'],
    ['cert_file without key_file', '    agent: https://10.0.0.1:9700\n    tls_config: {cert_file: c.crt}', 'hosts.0.tls_config: cert_file and key_file go together: both or neither'],
    ['a key Prometheus has but netdiag does not read', '    agent: https://10.0.0.1:9700\n    tls_config: {ca: "-----BEGIN"}', 'hosts.0.tls_config: Unrecognized key: "ca"'],
    ['a password written in the inventory', '    agent: https://10.0.0.1:9700\n    basic_auth: {username: prom, password: x}', 'hosts.0.basic_auth: Unrecognized key: "password"'],
    ['insecure_skip_verify not a boolean', '    agent: https://10.0.0.1:9700\n    tls_config: {insecure_skip_verify: "yes"}', 'hosts.0.tls_config.insecure_skip_verify: Invalid input: expected boolean, received string'],
    ['an agent that is not http(s)', '    agent: ftp://10.0.0.1:9700', 'hosts.0.agent: an http:// or https:// URL'],
  ])('refused: %s', async (_name, host, message) => {
    const inv = join(dir, 'bad.yml');
    writeFileSync(inv, `hosts:\n  - name: h1\n${host}\n`);
    expect(await failure(['matrix', '--inventory', inv])).toBe(`netdiag: the inventory ${inv}: ${message} (expected hosts: [{name: h1, agent: https://10.0.0.1:9700, tls_config: {ca_file: ca.crt}}, …])`);
  });

  it('an inventory file that is missing is named with the option that names it', async () => {
    const inv = join(dir, 'missing-ca.yml');
    writeFileSync(inv, 'hosts:\n  - name: h1\n    agent: https://127.0.0.1:9\n    tls_config: {ca_file: nowhere/ca.crt}\n');
    expect(await failure(['matrix', '--inventory', inv])).toBe(`netdiag: cannot read the CA certificate ${join(dir, 'nowhere/ca.crt')}: no such file or directory`);
  });
});

describe('plan, apply and rollback through TLS agents', () => {
  it('the plan stores the agents\' URLs without a password; apply and rollback take TLS per host from --inventory', async () => {
    const snap = (f: string) => readFileSync(join(MOBY, f), 'utf8');
    const docker = await peer({ tls: mtls(), users: { prom: 'prom-secret' }, token: TOKEN, snapshot: snap('docker.json') });
    const other = await peer({ tls: mtls(), users: { prom: 'prom-secret' }, token: TOKEN, snapshot: snap('peer.json') });
    const plan = join(dir, 'plan.json');
    const made = await run(['plan', 'routes', '--agent', `https://prom:prom-secret@127.0.0.1:${docker.port}`, '--agent', `https://prom:prom-secret@127.0.0.1:${other.port}`, ...mine(), '--out', plan, '--json']);
    expect(made.code, made.err).toBe(0);
    const text = readFileSync(plan, 'utf8');
    expect(text).not.toMatch(/prom-secret/);
    expect(JSON.parse(text).hosts.map((h: { agent: string }) => h.agent)).toEqual([`https://prom@127.0.0.1:${docker.port}`, `https://prom@127.0.0.1:${other.port}`]);

    // apply: the inventory names the hosts by the plan's names and gives each its TLS; the token authorises changes.
    const inv = join(dir, 'plan-hosts.yml');
    const tlsLine = '    tls_config: {ca_file: certs/ca.crt, cert_file: certs/client.crt, key_file: certs/client.key}';
    writeFileSync(inv, `hosts:\n  - name: docker\n    agent: https://127.0.0.1:${docker.port}\n${tlsLine}\n  - name: peer\n    agent: https://127.0.0.1:${other.port}\n${tlsLine}\n`);
    const state = join(dir, 'state');
    // The peers' snapshots do not change after "applying", so the verification fails and every host is rolled back:
    // apply's three kinds of requests all cross TLS with the client certificate.
    const applied = await run(['apply', plan, '--inventory', inv, '--state-dir', state, '--json'], { NETDIAG_TOKEN: TOKEN, NETDIAG_AGENT_PASSWORD: 'prom-secret' });
    expect(applied.code, applied.err).toBe(1);
    const id = JSON.parse(text).id as string;
    expect(JSON.parse(applied.out)).toMatchObject({ id, status: 'rolled-back', error: expect.stringMatching(/^after the change the model finds \d+ cross-host pairs reachable/) });
    for (const p of [docker, other]) {
      const asked = p.seen.slice(1).map((s) => `${s.method} ${s.url} ${s.clientCn} ${s.headers.authorization?.split(' ')[0]}`);
      expect(asked).toEqual(['POST /v1/plans/apply netdiag-client Bearer', 'GET /v1/snapshot netdiag-client Basic', `POST /v1/rollback/${id} netdiag-client Bearer`]);
      expect(p.seen[2]?.headers.authorization).toBe(`Basic ${Buffer.from('prom:prom-secret').toString('base64')}`);
      expect(p.seen[3]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }

    // rollback with the command line's TLS options instead of an inventory.
    const undone = await run(['rollback', id, '--state-dir', state, ...mine()], { NETDIAG_TOKEN: TOKEN });
    expect(undone.code, undone.err).toBe(0);
    expect(docker.seen.at(-1)).toMatchObject({ method: 'POST', url: `/v1/rollback/${id}`, clientCn: 'netdiag-client' });
    // …and without the client certificate the agent's refusal is said per host.
    const refused = await run(['rollback', id, '--state-dir', state, '--cacert', c.caCert], { NETDIAG_TOKEN: TOKEN });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`docker (failed: the agent at https://prom@127.0.0.1:${docker.port} requires a client certificate (give --cert FILE and --key FILE`);
  });

  it('a wrong token on a change is said as such', async () => {
    const p = await peer({ tls: serverTls(), token: TOKEN });
    const state = join(dir, 'state-wrong');
    mkdirSync(join(state, 'plans'), { recursive: true });
    const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(MOBY, f), 'utf8')));
    const url = `https://127.0.0.1:${p.port}`;
    const plan = planRoutes([load('docker.json'), load('peer.json')], new Map([['docker', url], ['peer', url]]));
    writeFileSync(join(state, 'plans', `${plan.id}.json`), JSON.stringify(plan));
    const r = await run(['rollback', plan.id, '--state-dir', state, '--cacert', c.caCert], { NETDIAG_TOKEN: 'wrong-token-0123456789abcdef0123456789' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`(failed: the agent at https://127.0.0.1:${p.port} refused the token: wrong token (give the token in the agent's --token-file: --token-file FILE or NETDIAG_TOKEN))`);
  });
});
