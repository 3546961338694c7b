// deploy/: the Grafana dashboard and the alert rules query only series the agent really exports; the hardened
// example's files agree with each other and with the agent's web-config loader.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadWebConfig } from '../../agent/web-config.js';
import { AgentConfigError } from '../../agent/config-error.js';
import { makeTlsSet } from '../tls-certs.js';
import { ChangeLedger } from '../../actuation/ledger.js';
import { createMetrics } from '../../agent/metrics.js';
import { SnapshotStore } from '../../agent/snapshot-store.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import { REPO } from './fixtures.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));

async function exported(): Promise<Set<string>> {
  const m = createMetrics(SnapshotStore.fixed(seed), new ChangeLedger('/nonexistent'));
  m.observeRefresh(seed);
  const names = new Set<string>(['up']);
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (metric.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${s}`);
  }
  return names;
}

const metricNames = (expr: string) => [...expr.matchAll(/\b((?:netdiag|process)_[a-z_]+|up)\b/g)].map((m) => m[1] as string);

describe('deploy/', () => {
  it('the Grafana dashboard is valid JSON whose every query names exported series', async () => {
    const names = await exported();
    const dash = JSON.parse(readFileSync(join(REPO, 'deploy/grafana/netdiag-dashboard.json'), 'utf8'));
    const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const e of exprs) for (const n of metricNames(e)) expect(names, `${n} in ${e}`).toContain(n);
  });

  it('every alert names exported series', async () => {
    const names = await exported();
    const rules = parse(readFileSync(join(REPO, 'deploy/prometheus/netdiag-alerts.yml'), 'utf8'));
    const exprs: string[] = rules.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
    expect(exprs).toHaveLength(6);
    for (const e of exprs) for (const n of metricNames(e)) expect(names, `${n} in ${e}`).toContain(n);
  });
});

describe('deploy/: the hardened example hangs together', () => {
  const unit = readFileSync(join(REPO, 'deploy/systemd/netdiag-agent-tls.service'), 'utf8');
  const credentials = [...unit.matchAll(/^LoadCredential=([^:]+):/gm)].map((m) => m[1] as string);
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  const webConfig = parse(readFileSync(join(REPO, 'deploy/agent/web-config.yml'), 'utf8'));

  it('web-config.yml has only exporter-toolkit\'s keys, requires verified client certificates and TLS 1.2+', () => {
    expect(Object.keys(webConfig).every((k) => ['tls_server_config', 'http_server_config', 'basic_auth_users'].includes(k))).toBe(true);
    expect(webConfig.tls_server_config.client_auth_type).toBe('RequireAndVerifyClientCert');
    expect(webConfig.tls_server_config.min_version).toBe('TLS12');
    // A placeholder, not a hash anyone knows the password of: the agent refuses to start until it is replaced.
    expect(Object.values(webConfig.basic_auth_users)).toEqual(['REPLACE_WITH_BCRYPT_HASH']);
  });

  it('the unit loads, as credentials, the web config, every file the web config names, and the token; the agent reads them there', () => {
    const named = ['cert_file', 'key_file', 'client_ca_file'].map((k) => webConfig.tls_server_config[k] as string);
    // Relative: they resolve against the web config's own directory, the credentials directory.
    for (const f of named) expect(f).not.toMatch(/^\//);
    expect([...credentials].sort()).toEqual([...named, 'web-config.yml', 'token'].sort());
    expect(exec).toContain('--web-config %d/web-config.yml');
    expect(exec).toContain('--token-file %d/token');
    expect(exec).not.toContain('--insecure-http');
  });

  it('prometheus-tls.yml scrapes over https with the CA, its client certificate and basic auth, as make-certs.sh names them', () => {
    const prom = parse(readFileSync(join(REPO, 'deploy/prometheus/prometheus-tls.yml'), 'utf8'));
    expect(prom.scrape_configs.length).toBeGreaterThan(0);
    for (const job of prom.scrape_configs) {
      expect(job.scheme, job.job_name).toBe('https');
      expect(job.tls_config).toMatchObject({ ca_file: 'tls/ca.crt', cert_file: 'tls/prometheus.crt', key_file: 'tls/prometheus.key' });
      expect(job.basic_auth.username).toBe(Object.keys(webConfig.basic_auth_users)[0]);
      expect(job.basic_auth.password_file).toBeDefined();
      expect(job.basic_auth.password).toBeUndefined();
    }
    const script = readFileSync(join(REPO, 'deploy/tls/make-certs.sh'), 'utf8');
    expect(script).toMatch(/for client in prometheus netdiag-cli/);
    expect(script).toMatch(/^set -eu$/m);
  });

  it('the compose example listens on loopback only (beyond it, the TLS unit\'s web config is the way)', () => {
    const compose = parse(readFileSync(join(REPO, 'deploy/docker/compose.yaml'), 'utf8'));
    const command: string[] = compose.services['netdiag-agent'].command;
    expect(command[command.indexOf('--listen') + 1]).toMatch(/^127\./);
  });
});

describe('deploy/agent/web-config.yml read by the agent\'s own loader', () => {
  /** The shipped file in a directory beside real certificates under the names it gives them (as the unit's credentials are). */
  async function installed(hash: string | null): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-webcfg-'));
    const s = await makeTlsSet(dir);
    copyFileSync(s.serverCert, join(dir, 'agent.crt'));
    copyFileSync(s.serverKey, join(dir, 'agent.key'));
    copyFileSync(s.caCert, join(dir, 'ca.crt'));
    const text = readFileSync(join(REPO, 'deploy/agent/web-config.yml'), 'utf8');
    writeFileSync(join(dir, 'web-config.yml'), hash === null ? text : text.replace('REPLACE_WITH_BCRYPT_HASH', hash));
    return join(dir, 'web-config.yml');
  }

  it('as shipped: refused, one line naming the placeholder\'s key (nobody runs it with a password from the repository)', async () => {
    const file = await installed(null);
    expect(() => loadWebConfig(file)).toThrow(AgentConfigError);
    expect(() => loadWebConfig(file)).toThrow(/basic_auth_users\.prometheus: not a bcrypt hash/);
  });

  it('with a real bcrypt hash: TLS 1.2+, verified client certificates from ca.crt, one user', async () => {
    const c = loadWebConfig(await installed(bcrypt.hashSync('a-password', 10)));
    expect(c.tls?.clientAuth).toBe('RequireAndVerifyClientCert');
    expect(c.tls?.context.minVersion).toBe('TLSv1.2');
    expect([...c.users.keys()]).toEqual(['prometheus']);
    expect(c.files.map((f) => f.split('/').pop()).sort()).toEqual(['agent.crt', 'agent.key', 'ca.crt', 'web-config.yml']);
  });
});
