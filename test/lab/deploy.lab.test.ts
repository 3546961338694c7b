// Lab: deploy/ validated by the real tools (promtool, systemd-analyze), and the agent started the way the unit does.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../host/exec.js';
import { Lab, NETDIAG_BIN, REPO, labUnavailable } from './lab.js';
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
