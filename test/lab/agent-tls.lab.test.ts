// Lab (issue 27): the agent on a real host's LAN address with --web-config (TLS, client certificates verified,
// basic_auth_users); a real Prometheus scrapes it over HTTPS with a client certificate and Basic credentials; curl,
// run in the host's namespace, sees each refusal (wrong CA, no or expired client certificate, wrong password, wrong
// token, clear text on the TLS port).
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable, nodeFlags, until } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { makeTlsSet } from '../tls-certs.js';
import type { TlsSet } from '../tls-certs.js';

const skip = labUnavailable() ?? (existsSync('/usr/bin/prometheus') ? null : 'the agent TLS lab test needs Prometheus: apt-get install prometheus');
if (skip) {
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but: ${skip}`);
  console.warn(`SKIPPED agent TLS lab tests: ${skip}`);
}

const TOKEN = 'lab-token-5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f';
const LAN = '10.77.0.1';
const AGENT = `https://${LAN}:9443`;
const USER = 'prometheus';
const PASSWORD = 'scrape-password-0f1e2d3c';

describe.skipIf(skip !== null)('netdiag agent over TLS on a real host', () => {
  let lab: Lab;
  let h: LabHost;
  let dir: string;
  let tls: TlsSet;

  /** curl in the host's namespace: its exit code, the HTTP status (-w) and the body. */
  const curl = async (args: string[]) => {
    const body = join(dir, `curl-${Math.random().toString(16).slice(2)}.out`);
    const r = await h.exec('curl', ['-sS', '--max-time', '10', '-o', body, '-w', '%{http_code} %{time_connect} %{time_appconnect}', ...args]);
    const [code, connect, app] = r.stdout.trim().split(' ');
    const text = existsSync(body) ? (await import('node:fs')).readFileSync(body, 'utf8') : '';
    return { exit: r.exitCode, status: Number(code), body: text, stderr: r.stderr, handshakeMs: (Number(app) - Number(connect)) * 1000 };
  };
  const good = () => ['--cacert', tls.caCert, '--cert', tls.clientCert, '--key', tls.clientKey];

  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'h1', { lan: `${LAN}/24` });
    dir = mkdtempSync(join(tmpdir(), 'netdiag-agent-tls-'));
    tls = await makeTlsSet(join(dir, 'tls'), { serverIps: [LAN] });
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    chmodSync(join(dir, 'token'), 0o600);
    // Paths relative to the web config, as exporter-toolkit resolves them.
    writeFileSync(
      join(dir, 'web.yml'),
      ['tls_server_config:', '  cert_file: tls/server.crt', '  key_file: tls/server.key', '  client_auth_type: RequireAndVerifyClientCert', '  client_ca_file: tls/ca.crt', 'basic_auth_users:', `  ${USER}: ${bcrypt.hashSync(PASSWORD, 10)}`, ''].join('\n'),
    );
    const args = ['agent', '--listen', `${LAN}:9443`, '--web-config', join(dir, 'web.yml'), '--token-file', join(dir, 'token'), '--state-dir', join(dir, 'state'), '--refresh', '5m', '--host-name', 'h1'];
    h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, ...args], join(dir, 'agent.log'));
    await until('the TLS agent to be ready', async () => ((await curl([...good(), '-u', `${USER}:${PASSWORD}`, `${AGENT}/readyz`])).status === 200 ? true : null), 60_000);
  }, 180_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('says at start that it speaks HTTPS and how reads are authenticated, with no clear-text warning', async () => {
    const log = (await import('node:fs')).readFileSync(join(dir, 'agent.log'), 'utf8');
    expect(log).toMatch(/^netdiag agent: host h1, listening on 10\.77\.0\.1:9443 \(https, client certificate required and verified; reads need Basic credentials \(1 user\) or the bearer token\), changes need the bearer token$/m);
    expect(log).not.toMatch(/insecure-http/);
  });

  it('a real Prometheus scrapes it over HTTPS with a client certificate and Basic credentials: up is 1 and netdiag series have data', async () => {
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(
      cfg,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: netdiag-tls',
        '    scheme: https',
        '    tls_config:',
        `      ca_file: ${tls.caCert}`,
        `      cert_file: ${tls.clientCert}`,
        `      key_file: ${tls.clientKey}`,
        '    basic_auth:',
        `      username: ${USER}`,
        `      password: ${PASSWORD}`,
        '    static_configs:',
        `      - targets: ['${LAN}:9443']`,
        '',
      ].join('\n'),
    );
    h.startDaemon('/usr/bin/prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--web.listen-address=127.0.0.1:9090'], join(dir, 'prometheus.log'));
    const q = async (query: string) => {
      const r = await h.http(`http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent(query)}`);
      return JSON.parse(r.body).data?.result ?? [];
    };
    const result = await until('Prometheus to have netdiag data over TLS', async () => {
      const r = await q('netdiag_network_pairs_reachable{job="netdiag-tls",from_network="net-redis",to_network="net-redis"}');
      return r.length > 0 ? r : null;
    }, 60_000);
    expect(result[0].value[1]).toBe('2');
    const up = await q('up{job="netdiag-tls"}');
    expect(up[0].value[1]).toBe('1');
    expect((await q('netdiag_web_config_last_reload_successful{job="netdiag-tls"}'))[0].value[1]).toBe('1');
  }, 90_000);

  it('curl with the CA, a client certificate and the password: 200, and the handshake time', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await curl([...good(), '-u', `${USER}:${PASSWORD}`, `${AGENT}/metrics`]);
      expect(r.exit, r.stderr).toBe(0);
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^netdiag_build_info\{/m);
      times.push(r.handshakeMs);
    }
    console.log(`TLS handshake (curl, TLS 1.3, P-256, client certificate): ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  });

  it('curl trusting another CA: exit 60 (the agent\'s certificate cannot be verified)', async () => {
    const r = await curl(['--cacert', tls.otherCaCert, '--cert', tls.clientCert, '--key', tls.clientKey, '-u', `${USER}:${PASSWORD}`, `${AGENT}/metrics`]);
    expect(r.exit, r.stderr).toBe(60);
    expect(r.status).toBe(0);
  });

  it.each([
    ['no client certificate', () => ['--cacert', tls.caCert]],
    ['an expired client certificate', () => ['--cacert', tls.caCert, '--cert', tls.expiredCert, '--key', tls.expiredKey]],
    ['a client certificate of another CA', () => ['--cacert', tls.caCert, '--cert', tls.otherClientCert, '--key', tls.otherClientKey]],
  ])('%s: the handshake is refused, no HTTP answer', async (_what, args) => {
    const r = await curl([...args(), '-u', `${USER}:${PASSWORD}`, `${AGENT}/metrics`]);
    // TLS 1.3: the client's handshake ends before the server has judged its certificate; the server then closes the
    // connection before any HTTP: curl sees that on its first read (56 reset, 52 empty reply) or in the handshake (35).
    expect([35, 52, 56], `${r.exit} ${r.stderr}`).toContain(r.exit);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/alert|certificate|handshake|reset|empty reply/i);
  });

  it('a wrong password: 401 asking for Basic, and the log names the user, not the password', async () => {
    const r = await curl([...good(), '-u', `${USER}:not-the-password`, `${AGENT}/v1/snapshot`]);
    expect(r.exit).toBe(0);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ error: 'Unauthorized', message: 'wrong user name or password' });
    const log = (await import('node:fs')).readFileSync(join(dir, 'agent.log'), 'utf8');
    expect(log).toMatch(/"user":"prometheus","remote":"10\.77\.0\.1".*"msg":"basic auth failed"/);
    expect(log).not.toContain('not-the-password');
  });

  it('a wrong bearer token on a change route: 401; the right one is past authentication (404 for an unknown change)', async () => {
    const wrong = await curl([...good(), '-X', 'POST', '-H', 'Authorization: Bearer not-the-token-at-all-0000000000000', `${AGENT}/v1/rollback/fx-00000000`]);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).message).toBe('wrong token');
    const right = await curl([...good(), '-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`, `${AGENT}/v1/rollback/fx-00000000`]);
    expect(right.status, right.body).not.toBe(401);
  });

  it('plain HTTP to the TLS port: 400 with Go\'s sentence', async () => {
    const r = await curl([`http://${LAN}:9443/metrics`]);
    expect(r.exit, r.stderr).toBe(0);
    expect(r.status).toBe(400);
    expect(r.body).toBe('Client sent an HTTP request to an HTTPS server.\n');
  });
});
