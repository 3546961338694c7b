// Lab: fixes applied for real, verified by probes, rolled back to exactly the state before; crashes and bad input.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

/** What must come back exactly after a rollback: the rule set (without counters) and every container's networks. */
async function hostState(h: LabHost): Promise<string> {
  const rules = (await h.mustExec('iptables-save', [])).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n');
  const endpoints = await h.docker(['inspect', '-f', '{{.Name}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}', 'alpine-01', 'redis-1', 'redis-2']);
  return `${rules}\n${endpoints}`;
}

describe.skipIf(skip !== null)('netdiag fix --apply and rollback on the seed host', () => {
  let lab: Lab;
  let h: LabHost;
  let state: string;
  const env = () => ({ NETDIAG_STATE_DIR: state });
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab);
    await h.run('nonet', { network: 'none' });
    state = mkdtempSync(join(tmpdir(), 'netdiag-state-'));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it.each([
    ['alpine-01', 'redis-1'],
    ['alpine-01', 'redis-2'],
    ['redis-1', 'alpine-01'],
    ['redis-2', 'alpine-01'],
  ])('%s → %s: the top fix opens it (probe and model agree), rollback restores the host exactly', async (a, b) => {
    const before = await hostState(h);
    expect((await h.netdiag(['probe', a, b], 30_000, env())).exitCode).toBe(1);
    const applied = await h.netdiag(['fix', a, b, '--apply', '--yes', '--json'], 60_000, env());
    expect(applied.exitCode, applied.stderr).toBe(0);
    const r = JSON.parse(applied.stdout);
    expect(r).toMatchObject({ status: 'applied', verified: true });
    expect((await h.netdiag(['probe', a, b], 30_000, env())).exitCode).toBe(0);
    expect((await h.netdiag(['why', a, b], 30_000, env())).exitCode).toBe(0);
    // Applying the same fix again changes nothing.
    const again = await h.netdiag(['fix', a, b, '--apply', '--yes', '--fix', r.id, '--json'], 60_000, env());
    expect(again.exitCode, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/already reaches/);
    const rolled = await h.netdiag(['rollback', r.id, '--json'], 60_000, env());
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({ id: r.id, status: 'rolled-back' });
    expect((await h.netdiag(['probe', a, b], 30_000, env())).exitCode).toBe(1);
    expect(await hostState(h)).toBe(before);
  });

  it('a docker network connect fix (it opens more than the pair: refused without --yes), then rolled back', async () => {
    const before = await hostState(h);
    const list = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--json'], 30_000, env())).stdout);
    const connect = list.fixes.find((f: { kind: string; title: string }) => f.kind === 'network-connect' && f.title === 'connect alpine-01 to net-redis');
    expect(connect.alsoOpens).toContain('alpine-01 → redis-2');
    const refused = await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--fix', connect.id], 30_000, env());
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/also opens alpine-01 → redis-2.*--yes/);
    expect(await hostState(h)).toBe(before);
    const applied = await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--fix', connect.id, '--json'], 60_000, env());
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect((await h.docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'alpine-01'])).trim().split(' ').sort()).toEqual(['bridge', 'net-redis']);
    // One way, as operators observe: redis-1 reaches alpine-01's new address, not its original one.
    const back = JSON.parse((await h.netdiag(['why', 'redis-1', 'alpine-01', '--json'], 30_000, env())).stdout);
    expect(back.addresses.map((x: { network: string; verdict: string }) => `${x.network} ${x.verdict}`).sort()).toEqual(['bridge blocked', 'net-redis reachable']);
    expect((await h.netdiag(['rollback', connect.id], 60_000, env())).exitCode).toBe(0);
    expect(await hostState(h)).toBe(before);
  });

  it('killed between two steps: rollback finishes the job from the journal', async () => {
    const before = await hostState(h);
    // The DOCKER-USER pair: two steps, so there is a moment between them.
    const id = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--json'], 30_000, env())).stdout).fixes.find((f: { kind: string }) => f.kind === 'docker-user').id;
    const journal = join(state, 'changes', id, 'journal.jsonl');
    const doneSoFar = () => (existsSync(journal) ? readFileSync(journal, 'utf8').split('"step-done"').length - 1 : 0);
    const earlier = doneSoFar();
    const child = spawn('nsenter', [`--net=/run/netns/${h.netns}`, process.execPath, NETDIAG_BIN, 'fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--fix', id], {
      env: { ...process.env, ...h.env, ...env(), NETDIAG_PAUSE_BETWEEN_STEPS_MS: '60000' },
      stdio: 'ignore',
    });
    for (let i = 0; i < 300 && doneSoFar() === earlier; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const half = await h.mustExec('iptables', ['-S', 'DOCKER-USER']);
    expect(half.match(new RegExp(`netdiag:${id}`, 'g'))).toHaveLength(1);
    const again = await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--fix', id], 60_000, env());
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`${id} was interrupted while being applied \\(run \`netdiag rollback ${id}\` first\\)`));
    const rolled = await h.netdiag(['rollback', id], 60_000, env());
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(await hostState(h)).toBe(before);
  });

  it('rollback after dockerd restarted and the DOCKER-USER rules are gone is not an error', async () => {
    const user = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--json'], 30_000, env())).stdout).fixes.find((f: { kind: string }) => f.kind === 'docker-user').id;
    const applied = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--fix', user, '--json'], 60_000, env())).stdout);
    const rules = (await h.mustExec('iptables', ['-S', 'DOCKER-USER'])).split('\n').filter((l) => l.includes(`netdiag:${applied.id}`));
    for (const rule of rules) await h.mustExec('iptables', ['-D', ...rule.replace(/^-A /, '').split(' ').map((w) => w.replace(/^"|"$/g, ''))]);
    const rolled = await h.netdiag(['rollback', applied.id], 60_000, env());
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/already gone/);
  });

  it('every pair of the scenario: each fix offered is predicted to work, and why names a fix only when fix lists one', async () => {
    const names = ['alpine-01', 'redis-1', 'redis-2', 'nonet'];
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        const f = await h.netdiag(['fix', a, b, '--json'], 30_000, env());
        const list = JSON.parse(f.stdout) as { status: string; fixes: { predicted: { forward: string } }[] };
        for (const x of list.fixes) expect(x.predicted.forward, `${a} → ${b}`).toBe('reachable');
        expect(f.exitCode, `${a} → ${b}`).toBe(list.status === 'no-fix' ? 1 : 0);
        const w = await h.netdiag(['why', a, b], 30_000, env());
        expect(/next: netdiag fix/.test(w.stdout), `${a} → ${b}: ${w.stdout}`).toBe(list.status === 'fixes');
      }
    }
  });

  it.each([
    [['fix', 'nosuch', 'redis-1', '--apply', '--yes'], /^netdiag: no running container "nosuch"/],
    [['fix', 'redis-1', 'redis-2', '--apply', '--yes'], /^netdiag: redis-1 already reaches redis-2 .*nothing to fix/],
    // The top fix (joining net-redis) opens more than the pair: that needs --yes before anything is asked.
    [['fix', 'alpine-01', 'redis-1', '--apply'], /^netdiag: fx-\w+ \(connect alpine-01 to net-redis\) also opens alpine-01 → redis-2.*--yes/],
    [['fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--state-dir', '/etc/hostname/netdiag'], /^netdiag: the state directory \/etc\/hostname\/netdiag is not writable \(ENOTDIR\); nothing was changed/],
  ])('bad input %j: exit 2, one clear line, nothing changed', async (argv, message) => {
    const before = await hostState(h);
    const r = await h.netdiag(argv as string[], 60_000, env());
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await hostState(h)).toBe(before);
  });

  it('a narrow fix applied without --yes and not at a terminal: nothing changed, exit 2, says to confirm with --yes', async () => {
    const before = await hostState(h);
    const user = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--json'], 30_000, env())).stdout).fixes.find((f: { kind: string }) => f.kind === 'docker-user').id;
    const r = await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--fix', user], 60_000, env());
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^netdiag: nothing was changed \(confirm with --yes when not at a terminal\)/);
    expect(await hostState(h)).toBe(before);
  });

  it('iptables lock held by another program: exit 2, nothing half-applied', async () => {
    const before = await hostState(h);
    // --no-fork: flock becomes the sleep, so killing it releases the lock. With a fork, the sleep kept the lock for
    // the rest of its 30 s, and the next lab file's iptables changes (plan apply through agents) timed out on it.
    const holder = spawn('flock', ['--no-fork', '/run/xtables.lock', 'sleep', '30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    try {
      const user = JSON.parse((await h.netdiag(['fix', 'alpine-01', 'redis-1', '--json'], 30_000, env())).stdout).fixes.find((f: { kind: string }) => f.kind === 'docker-user').id;
      const r = await h.netdiag(['fix', 'alpine-01', 'redis-1', '--apply', '--yes', '--fix', user], 60_000, env());
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/iptables is locked by another program \(\/run\/xtables.lock held for more than 5 s\)/);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(await hostState(h)).toBe(before);
  });

  it('a container with --network none: no connect is offered (Docker refuses it, as a real connect shows), nothing changed', async () => {
    const before = await hostState(h);
    const list = JSON.parse((await h.netdiag(['fix', 'nonet', 'redis-1', '--json'], 30_000, env())).stdout) as { fixes: { kind: string; steps: { kind: string; containerName?: string }[] }[] };
    expect(list.fixes.flatMap((f) => f.steps).filter((x) => x.kind === 'docker-network-connect' && x.containerName === 'nonet')).toEqual([]);
    // Ground truth: Docker says no to exactly that.
    const real = await h.exec('docker', ['network', 'connect', 'net-redis', 'nonet']);
    expect(real.exitCode).not.toBe(0);
    expect(real.stderr).toMatch(/none|private/);
    expect(await hostState(h)).toBe(before);
  });
});
