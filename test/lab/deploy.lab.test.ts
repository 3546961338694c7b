// Lab: deploy/ validated by the real tools (promtool, systemd-analyze, openssl, curl), and the agent started the way
// each unit starts it: the loopback one, and the hardened one over TLS with its credentials.
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import bcrypt from 'bcryptjs';
import { runCommand } from '../../host/exec.js';
import { Lab, NETDIAG_BIN, REPO, labUnavailable, until } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';

const tools = ['/usr/bin/promtool', '/usr/bin/systemd-analyze'].filter((t) => !existsSync(t));
const skip = labUnavailable() ?? (tools.length ? `deploy checks need ${tools.join(', ')}: apt-get install prometheus systemd` : null);
if (skip) {
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but: ${skip}`);
  console.warn(`SKIPPED deploy lab tests: ${skip}`);
}
const DEPLOY = join(REPO, 'deploy');
const UNIT = join(DEPLOY, 'systemd/netdiag-agent.service');

describe.skipIf(skip !== null)('deploy/ checked by the real tools', () => {
  it.each([
    [['check', 'config', 'prometheus.yml'], /SUCCESS: prometheus\.yml is valid/],
    [['check', 'rules', 'netdiag-alerts.yml'], /SUCCESS: 6 rules found/],
    [['test', 'rules', 'netdiag-alerts.test.yml'], /SUCCESS/],
  ])('promtool %j', async (args, ok) => {
    const r = await runCommand('promtool', args, { timeoutMs: 60_000, cwd: join(DEPLOY, 'prometheus') });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(ok);
  });

  it('systemd-analyze verify accepts the unit (with netdiag where the unit expects it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-unit-'));
    const unit = join(dir, 'netdiag-agent.service');
    writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll('/usr/local/bin/netdiag', NETDIAG_BIN));
    const r = await runCommand('systemd-analyze', ['verify', unit], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    // And it fails loudly when the binary is not there: the check is real.
    const missing = await runCommand('systemd-analyze', ['verify', UNIT], { timeoutMs: 60_000 });
    expect(missing.stderr).toMatch(/Command \/usr\/local\/bin\/netdiag is not executable/);
  });
});

describe.skipIf(skip !== null)('the agent started as the unit starts it', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('ExecStart with the environment file and StateDirectory comes up ready and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-unit-run-'));
    const unit = readFileSync(UNIT, 'utf8');
    const env: Record<string, string> = { STATE_DIRECTORY: join(dir, 'state') };
    for (const line of readFileSync(join(DEPLOY, 'systemd/netdiag-agent.env'), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1] as string] = m[2] as string;
    }
    env.NETDIAG_TOKEN_FILE = join(dir, 'token');
    writeFileSync(env.NETDIAG_TOKEN_FILE, 'unit-token-0123456789abcdef0123456789\n');
    chmodSync(env.NETDIAG_TOKEN_FILE, 0o600);
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => env[k] ?? '');
    const [bin, ...args] = exec.split(/\s+/);
    expect(bin).toBe('/usr/local/bin/netdiag');
    const agent = h.startDaemon(process.execPath, [NETDIAG_BIN, ...args], join(dir, 'agent.log'), env);
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await h.http(`http://${env.NETDIAG_LISTEN}/readyz`).catch(() => ({ status: 0 }))).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(200);
    expect(await agent.stop('SIGTERM')).toBe(0);
  });
});

// ---------- the hardened example: deploy/tls, deploy/agent/web-config.yml, netdiag-agent-tls.service, prometheus-tls.yml ----------

const MAKE_CERTS = join(DEPLOY, 'tls/make-certs.sh');
const TLS_UNIT = join(DEPLOY, 'systemd/netdiag-agent-tls.service');

/** make-certs.sh run for real into a fresh directory; the PKI's files by role. */
async function makeCerts(dir: string, agent: string, sans: string[]): Promise<{ dir: string; ca: string; caKey: string; cert: string; key: string; prom: string; promKey: string; cli: string; cliKey: string; stderr: string }> {
  const r = await runCommand(MAKE_CERTS, [dir, agent, ...sans], { timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  const f = (n: string) => join(dir, n);
  return { dir, ca: f('ca.crt'), caKey: f('ca.key'), cert: f(`${agent}.crt`), key: f(`${agent}.key`), prom: f('prometheus.crt'), promKey: f('prometheus.key'), cli: f('netdiag-cli.crt'), cliKey: f('netdiag-cli.key'), stderr: r.stderr };
}

const openssl = (args: string[]) => runCommand('openssl', args, { timeoutMs: 30_000 });

describe.skipIf(skip !== null)('deploy/ hardened example checked by the real tools', () => {
  it('make-certs.sh: openssl verifies the agent (server) and Prometheus/CLI (client) certificates; SANs as given; keys 0600; the CA reused', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'netdiag-pki-')), 'pki');
    const p = await makeCerts(dir, 'web-1', ['DNS:web-1.lan', 'IP:10.0.0.5', 'localhost', '::1']);
    const server = await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslserver', p.cert]);
    expect(server.stdout).toBe(`${p.cert}: OK\n`);
    for (const c of [p.prom, p.cli]) expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslclient', c])).stdout).toBe(`${c}: OK\n`);
    // A client certificate is not a server's, nor the other way round: each carries its own extended key usage.
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslserver', p.prom])).exitCode).not.toBe(0);
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslclient', p.cert])).exitCode).not.toBe(0);
    const ext = (await openssl(['x509', '-in', p.cert, '-noout', '-ext', 'subjectAltName'])).stdout;
    expect(ext).toMatch(/DNS:web-1\.lan, IP Address:10\.0\.0\.5, DNS:localhost, IP Address:0:0:0:0:0:0:0:1/);
    expect((await openssl(['x509', '-in', p.prom, '-noout', '-subject'])).stdout).toMatch(/CN ?= ?prometheus/);
    for (const k of [p.caKey, p.key, p.promKey, p.cliKey]) expect(statSync(k).mode & 0o777, k).toBe(0o600);
    // A second agent: signed by the same CA (not a new one), the client certificates left as they were.
    const ca = readFileSync(p.ca, 'utf8');
    const prom = readFileSync(p.prom, 'utf8');
    const q = await makeCerts(dir, 'web-2', ['IP:10.0.0.6']);
    expect(readFileSync(q.ca, 'utf8')).toBe(ca);
    expect(readFileSync(q.prom, 'utf8')).toBe(prom);
    expect((await openssl(['verify', '-CAfile', q.ca, '-purpose', 'sslserver', q.cert])).stdout).toBe(`${q.cert}: OK\n`);
    // Bad arguments: one line, exit 2, nothing made.
    const bad = await runCommand(MAKE_CERTS, [dir, 'ca', 'IP:10.0.0.7'], { timeoutMs: 10_000 });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('promtool check config prometheus-tls.yml: valid with make-certs.sh\'s files in tls/, refused without them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-prom-tls-'));
    for (const f of ['prometheus-tls.yml', 'netdiag-alerts.yml']) copyFileSync(join(DEPLOY, 'prometheus', f), join(dir, f));
    cpSync(join(DEPLOY, 'prometheus/targets'), join(dir, 'targets'), { recursive: true });
    const check = () => runCommand('promtool', ['check', 'config', 'prometheus-tls.yml'], { timeoutMs: 60_000, cwd: dir });
    const without = await check();
    expect(without.exitCode).not.toBe(0);
    expect(without.stdout + without.stderr).toMatch(/tls\/(ca|prometheus)\.(crt|key)|netdiag-password/);
    await makeCerts(join(dir, 'tls'), 'web-1', ['DNS:web-1.lan', 'IP:10.0.0.5']);
    writeFileSync(join(dir, 'tls/netdiag-password'), 'a-password\n', { mode: 0o600 });
    const r = await check();
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: prometheus-tls\.yml is valid/);
  });

  it('systemd-analyze verify accepts netdiag-agent-tls.service without a warning (credentials, %d, the hardening)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-unit-tls-'));
    const unit = join(dir, 'netdiag-agent-tls.service');
    writeFileSync(unit, readFileSync(TLS_UNIT, 'utf8').replaceAll('/usr/local/bin/netdiag', NETDIAG_BIN));
    const r = await runCommand('systemd-analyze', ['verify', unit], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    // An unknown key is only a warning to systemd: none may be there.
    expect(r.stderr).not.toMatch(/netdiag-agent-tls\.service/);
    // The hardening of the loopback unit, every line of it, is kept.
    const hardening = (text: string) => text.split('\n').filter((l) => /^(CapabilityBoundingSet|NoNewPrivileges|Protect\w+|ReadWritePaths|PrivateTmp|LockPersonality|Restrict\w+|SystemCallArchitectures|StateDirectory\w*)=/.test(l));
    expect(hardening(readFileSync(TLS_UNIT, 'utf8'))).toEqual(hardening(readFileSync(UNIT, 'utf8')));
  });
});

describe.skipIf(skip !== null)('the agent started as netdiag-agent-tls.service starts it', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await lab.host('tls1', { lan: '10.80.0.2/24' });
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('comes up over TLS, answers curl with the client certificate (and only with it), and the shipped prometheus-tls.yml scrapes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-unit-tls-run-'));
    const p = await makeCerts(join(dir, 'pki'), 'web-1', ['DNS:web-1.lan', 'IP:10.80.0.2']);
    const other = await makeCerts(join(dir, 'other'), 'web-1', ['DNS:web-1.lan']);
    const password = 'prometheus-password-0123';
    const token = 'tls-unit-token-0123456789abcdef0123';
    const webConfig = readFileSync(join(DEPLOY, 'agent/web-config.yml'), 'utf8').replace('REPLACE_WITH_BCRYPT_HASH', await bcrypt.hash(password, 10));
    // What the unit's LoadCredential= lines name, as the install steps put them there.
    const installed: Record<string, string> = {
      '/etc/netdiag/web-config.yml': webConfig,
      '/etc/netdiag/tls/agent.crt': readFileSync(p.cert, 'utf8'),
      '/etc/netdiag/tls/agent.key': readFileSync(p.key, 'utf8'),
      '/etc/netdiag/tls/ca.crt': readFileSync(p.ca, 'utf8'),
      '/etc/netdiag/token': `${token}\n`,
    };
    // systemd copies each credential into $CREDENTIALS_DIRECTORY, mode 0400, before ExecStart.
    const unit = readFileSync(TLS_UNIT, 'utf8');
    const creds = join(dir, 'credentials');
    mkdirSync(creds, { mode: 0o700 });
    const loads = [...unit.matchAll(/^LoadCredential=([^:]+):(.+)$/gm)].map((m) => [m[1] as string, m[2] as string] as const);
    expect(loads.map(([, src]) => src).sort()).toEqual(Object.keys(installed).sort());
    for (const [id, src] of loads) writeFileSync(join(creds, id), installed[src] as string, { mode: 0o400 });
    const env: Record<string, string> = { STATE_DIRECTORY: join(dir, 'state'), CREDENTIALS_DIRECTORY: creds };
    for (const line of readFileSync(join(DEPLOY, 'systemd/netdiag-agent-tls.env'), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1] as string] = m[2] as string;
    }
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.replaceAll('%d', creds).replace(/\$\{(\w+)\}/g, (_, k: string) => env[k] ?? '');
    const [bin, ...args] = exec.split(/\s+/);
    expect(bin).toBe('/usr/local/bin/netdiag');
    const agent = h.startDaemon(process.execPath, [NETDIAG_BIN, ...args], join(dir, 'agent.log'), env);

    // curl in the host's namespace, the agent dialled by the name its certificate carries.
    const url = (path: string) => `https://web-1.lan:9700${path}`;
    const curl = async (path: string, extra: string[]) => {
      const r = await h.exec('curl', ['-sS', '--max-time', '10', '--resolve', 'web-1.lan:9700:10.80.0.2', '-o', '-', '-w', '\n%{http_code}', ...extra, url(path)], 20_000);
      const lines = r.stdout.split('\n');
      return { exit: r.exitCode, status: Number(lines.pop()), body: lines.join('\n'), stderr: r.stderr };
    };
    const withCert = ['--cacert', p.ca, '--cert', p.prom, '--key', p.promKey];
    try {
      await until('the TLS agent to be ready', async () => ((await curl('/readyz', [...withCert, '-u', `prometheus:${password}`])).status === 200 ? true : null), 60_000);
      const metrics = await curl('/metrics', [...withCert, '-u', `prometheus:${password}`]);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^netdiag_/m);
      // The client certificate alone is not enough for a read: basic_auth_users is set.
      const noPassword = await curl('/metrics', withCert);
      expect(noPassword.status).toBe(401);
      // The change token authorises reads too (the CLI's way in).
      expect((await curl('/v1/status', [...withCert, '-H', `Authorization: Bearer ${token}`])).status).toBe(200);
      // No client certificate: the handshake fails, no HTTP at all.
      const noCert = await curl('/metrics', ['--cacert', p.ca, '-u', `prometheus:${password}`]);
      expect(noCert.exit).not.toBe(0);
      expect(noCert.status).toBe(0);
      // A client certificate from another CA: refused the same way.
      const foreign = await curl('/metrics', ['--cacert', p.ca, '--cert', other.prom, '--key', other.promKey, '-u', `prometheus:${password}`]);
      expect(foreign.exit).not.toBe(0);
      // The agent's certificate checked against another CA: curl refuses it (60: peer certificate cannot be authenticated).
      expect((await curl('/metrics', ['--cacert', other.ca, '--cert', p.prom, '--key', p.promKey])).exit).toBe(60);
      // Plain HTTP on the TLS port: Go's answer, not a silent close.
      const plain = await h.exec('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', 'http://10.80.0.2:9700/metrics'], 20_000);
      expect(plain.stdout).toBe('Client sent an HTTP request to an HTTPS server.\n\n400');

      // The real Prometheus with deploy/prometheus/prometheus-tls.yml as shipped (its static target pointed at this
      // agent, scraped every second): TLS with its client certificate, server_name checked, basic auth from the file.
      const promDir = join(dir, 'prometheus');
      mkdirSync(join(promDir, 'tls'), { recursive: true });
      for (const [from, to] of [[p.ca, 'ca.crt'], [p.prom, 'prometheus.crt'], [p.promKey, 'prometheus.key']] as const) copyFileSync(from, join(promDir, 'tls', to));
      writeFileSync(join(promDir, 'tls/netdiag-password'), `${password}\n`, { mode: 0o600 });
      copyFileSync(join(DEPLOY, 'prometheus/netdiag-alerts.yml'), join(promDir, 'netdiag-alerts.yml'));
      const promConfig = parse(readFileSync(join(DEPLOY, 'prometheus/prometheus-tls.yml'), 'utf8'));
      promConfig.global.scrape_interval = '1s';
      promConfig.scrape_configs = promConfig.scrape_configs.filter((j: { job_name: string }) => j.job_name === 'netdiag');
      promConfig.scrape_configs[0].static_configs[0].targets = ['10.80.0.2:9700'];
      writeFileSync(join(promDir, 'prometheus-tls.yml'), stringify(promConfig));
      h.startDaemon('/usr/bin/prometheus', [`--config.file=${join(promDir, 'prometheus-tls.yml')}`, `--storage.tsdb.path=${join(promDir, 'tsdb')}`, '--web.listen-address=127.0.0.1:9090'], join(promDir, 'prometheus.log'));
      const up = await until('Prometheus to scrape the TLS agent', async () => {
        const r = await h.http(`http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent('up{job="netdiag"}')}`).catch(() => null);
        const result = r ? JSON.parse(r.body).data?.result : null;
        return result?.length > 0 && result[0].value[1] === '1' ? result : null;
      }, 60_000);
      expect(up[0].metric.instance).toBe('10.80.0.2:9700');
      const series = JSON.parse((await h.http(`http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent('netdiag_snapshot_age_seconds')}`)).body);
      expect(series.data.result.length).toBeGreaterThan(0);
    } finally {
      expect(await agent.stop('SIGTERM')).toBe(0);
    }
  });
});
