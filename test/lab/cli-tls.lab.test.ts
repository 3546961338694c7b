// Lab: the real CLI against real agents speaking TLS (--web-config: a client certificate required, basic auth for
// reads) on two lab hosts: why and matrix over https, plan, apply and rollback through both agents; and each way it
// goes wrong (wrong CA, no client certificate, an expired one, a wrong token or password, plain HTTP to the TLS port)
// as the one line the CLI prints.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable, nodeFlags, until } from './lab.js';
import type { LabHost } from './lab.js';
import { makeTlsSet } from '../tls-certs.js';
import type { TlsSet } from '../tls-certs.js';

const skip = labUnavailable();
if (skip) {
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but: ${skip}`);
  console.warn(`SKIPPED CLI TLS lab tests: ${skip}`);
}

const TOKEN = 'cli-tls-lab-token-0123456789abcdef01234567';
const PASSWORD = 'prom-lab-secret';
const SPECS = [
  { name: 'h1', bip: '192.168.100.1/24', lan: '10.99.0.1' },
  { name: 'h2', bip: '192.168.200.1/24', lan: '10.99.0.2' },
];

describe.skipIf(skip !== null)('the CLI and TLS agents on real hosts', () => {
  let lab: Lab;
  let hosts: LabHost[];
  let dir: string;
  let c: TlsSet;
  const url = (i: number, user = '') => `https://${user ? `${user}@` : ''}${SPECS[i]!.lan}:9700`;
  const mine = () => ['--cacert', c.caCert, '--cert', c.clientCert, '--key', c.clientKey];
  /** The CLI on h1, which reaches both agents over the LAN. */
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => hosts[0]!.netdiag(args, 180_000, { NETDIAG_STATE_DIR: join(dir, 'cli-state'), ...env });
  /** A failure as the user sees it: exit 2 and one line. */
  async function failure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await cli(args, env);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
    return r.stderr.trimEnd();
  }

  beforeAll(async () => {
    lab = await Lab.create();
    dir = mkdtempSync(join(tmpdir(), 'netdiag-cli-tls-'));
    c = await makeTlsSet(join(dir, 'certs'), { serverIps: SPECS.map((s) => s.lan) });
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    chmodSync(join(dir, 'token'), 0o600);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    // The bcrypt the agent's basic_auth_users holds (bcryptjs: the agent's own dependency).
    const { hashSync } = await import('bcryptjs');
    writeFileSync(
      join(dir, 'web.yml'),
      [
        'tls_server_config:',
        `  cert_file: ${c.serverCert}`,
        `  key_file: ${c.serverKey}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        `  client_ca_file: ${c.caCert}`,
        'basic_auth_users:',
        `  prom: '${hashSync(PASSWORD, 10)}'`,
        '',
      ].join('\n'),
    );
    hosts = await Promise.all(SPECS.map((s) => lab.host(s.name, { bip: s.bip, lan: `${s.lan}/24` })));
    for (const [i, h] of hosts.entries()) {
      await h.run(`${h.name}-c1`);
      // On the LAN with TLS: no --insecure-http, and the token only ever crosses the network inside TLS.
      h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'agent', '--listen', `${SPECS[i]!.lan}:9700`, '--web-config', join(dir, 'web.yml'), '--token-file', join(dir, 'token'), '--state-dir', join(dir, `state-${h.name}`), '--host-name', h.name, '--refresh', '5m'], join(dir, `agent-${h.name}.log`));
    }
    for (const [i, h] of hosts.entries()) {
      await until(`the TLS agent on ${h.name}`, async () => {
        const r = await h.exec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', c.caCert, '--cert', c.clientCert, '--key', c.clientKey, '-u', `prom:${PASSWORD}`, `${url(i)}/readyz`]);
        return r.stdout === '200' ? true : null;
      }, 60_000);
    }
  }, 300_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('why and matrix over https with a CA, a client certificate and basic auth', async () => {
    const agents = ['--agent', url(0, 'prom'), '--agent', url(1, 'prom')];
    const why = await cli(['why', 'h1/h1-c1', 'h2/h2-c1', ...agents, ...mine(), '--password-file', join(dir, 'password'), '--json']);
    expect(why.exitCode, why.stderr).toBe(1);
    expect(JSON.parse(why.stdout)).toMatchObject({ verdict: 'blocked' });
    const matrix = await cli(['matrix', ...agents, ...mine(), '--json'], { NETDIAG_AGENT_PASSWORD: PASSWORD });
    expect(matrix.exitCode, matrix.stderr).toBe(0);
    // One container a host: the two cross-host pairs, both blocked before any plan.
    expect(JSON.parse(matrix.stdout).pairs.map((p: { from: string; to: string; verdict: string }) => `${p.from} ${p.to} ${p.verdict}`).sort()).toEqual(['h1/h1-c1 h2/h2-c1 blocked', 'h2/h2-c1 h1/h1-c1 blocked']);
    // The change token is read auth too: no user needed.
    const byToken = await cli(['matrix', '--agent', url(0), '--agent', url(1), ...mine(), '--json'], { NETDIAG_TOKEN: TOKEN });
    expect(byToken.exitCode, byToken.stderr).toBe(0);
    expect(JSON.parse(byToken.stdout).pairs).toHaveLength(2);
  });

  it('a CA that did not sign the agent\'s certificate', async () => {
    expect(await failure(['why', 'a', 'b', '--agent', url(0), '--cacert', c.otherCaCert, '--cert', c.clientCert, '--key', c.clientKey], { NETDIAG_TOKEN: TOKEN })).toBe(
      `netdiag: the agent at ${url(0)}: its certificate is not signed by the CA in ${c.otherCaCert}, the only one trusted (give --cacert with the CA that signed it; in an inventory, tls_config.ca_file)`,
    );
  });

  it('no client certificate', async () => {
    expect(await failure(['why', 'a', 'b', '--agent', url(0), '--cacert', c.caCert], { NETDIAG_TOKEN: TOKEN })).toBe(`netdiag: the agent at ${url(0)} requires a client certificate (give --cert FILE and --key FILE; in an inventory, tls_config.cert_file and key_file)`);
  });

  it('an expired client certificate', async () => {
    // A Node agent closes the connection (no alert); an agent that sends the alert is said the same way, in its words.
    expect(await failure(['why', 'a', 'b', '--agent', url(0), '--cacert', c.caCert, '--cert', c.expiredCert, '--key', c.expiredKey], { NETDIAG_TOKEN: TOKEN })).toMatch(
      new RegExp(`^netdiag: the agent at ${url(0).replace(/\./g, '\\.')} (closed the connection: your client certificate ${c.expiredCert} expired on 2020-01-02|refused your client certificate ${c.expiredCert}: it has expired \\(on 2020-01-02\\)) \\(renew it with the CA the agent trusts, its client_ca_file\\)$`),
    );
  });

  it('a wrong token, a wrong password, no credentials', async () => {
    expect(await failure(['why', 'a', 'b', '--agent', url(0), ...mine()], { NETDIAG_TOKEN: 'wrong-token-0123456789abcdef0123456789' })).toBe(`netdiag: the agent at ${url(0)} refused the token: wrong token (give the token in the agent's --token-file: --token-file FILE or NETDIAG_TOKEN)`);
    expect(await failure(['why', 'a', 'b', '--agent', url(0, 'prom'), ...mine()], { NETDIAG_AGENT_PASSWORD: 'not-it' })).toBe(`netdiag: the agent at ${url(0, 'prom')} refused user prom: wrong user or password (check the user in the URL and --password-file or NETDIAG_AGENT_PASSWORD; in an inventory, basic_auth)`);
    expect(await failure(['why', 'a', 'b', '--agent', url(0), ...mine()])).toBe(`netdiag: the agent at ${url(0)} needs credentials for reads (give a user in the URL, https://USER@host:9700, with --password-file FILE or NETDIAG_AGENT_PASSWORD; or the token: --token-file FILE or NETDIAG_TOKEN)`);
  });

  it('plain HTTP to the TLS port', async () => {
    const plain = `http://${SPECS[0]!.lan}:9700`;
    expect(await failure(['why', 'a', 'b', '--agent', plain])).toBe(`netdiag: the agent at ${plain} speaks HTTPS (use https://${SPECS[0]!.lan}:9700, with --cacert FILE if a CA of your own signed its certificate)`);
  });

  it('plan, apply and rollback through both TLS agents, per-host TLS from an inventory; the probes agree', async () => {
    const inv = join(dir, 'hosts.yml');
    writeFileSync(
      inv,
      [
        'hosts:',
        ...SPECS.flatMap((s, i) => [
          `  - name: ${s.name}`,
          `    agent: ${url(i)}`,
          '    tls_config: {ca_file: certs/ca.crt, cert_file: certs/client.crt, key_file: certs/client.key}',
          '    basic_auth: {username: prom, password_file: password}',
        ]),
        '',
      ].join('\n'),
    );
    const plan = join(dir, 'plan.json');
    const planned = await cli(['plan', 'routes', '--inventory', inv, '--out', plan, '--json']);
    expect(planned.exitCode, planned.stderr).toBe(0);
    const id = JSON.parse(readFileSync(plan, 'utf8')).id as string;
    expect(readFileSync(plan, 'utf8')).not.toContain(PASSWORD);
    const [h1, h2] = hosts as [LabHost, LabHost];
    const to = await h2.ip('h2-c1', 'bridge');
    expect(await h1.probe('h1-c1', to)).toBe(false);

    const applied = await cli(['apply', plan, '--inventory', inv, '--json'], { NETDIAG_TOKEN: TOKEN });
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ id, status: 'applied' });
    expect(await h1.probe('h1-c1', to)).toBe(true);

    // A wrong token on the change is refused per host, and nothing is undone by it.
    const wrong = await cli(['rollback', id, '--inventory', inv], { NETDIAG_TOKEN: 'wrong-token-0123456789abcdef0123456789' });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stdout).toContain(`h1 (failed: the agent at ${url(0)} refused the token: wrong token`);
    expect(await h1.probe('h1-c1', to)).toBe(true);

    const undone = await cli(['rollback', id, '--inventory', inv], { NETDIAG_TOKEN: TOKEN });
    expect(undone.exitCode, `${undone.stdout}\n${undone.stderr}`).toBe(0);
    expect(await h1.probe('h1-c1', to)).toBe(false);
  });
});
