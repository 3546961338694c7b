// The live mutator's commands, through a recording command runner: the exact argument arrays (never a shell string),
// the xtables lock around iptables, and the one-line errors for a held lock and a missing privilege.
import { describe, expect, it } from 'vitest';
import { liveMutator } from '../../../host/mutate.js';
import type { CommandRunner } from '../../../host/exec.js';

function recorder(answer: (file: string, args: readonly string[]) => { stdout?: string; stderr?: string; exitCode?: number } = () => ({})) {
  const calls: { file: string; args: readonly string[]; timeoutMs?: number }[] = [];
  const exec: CommandRunner = async (file, args, opts) => {
    calls.push({ file, args, timeoutMs: opts?.timeoutMs });
    const a = answer(file, args);
    return { stdout: a.stdout ?? '', stderr: a.stderr ?? '', exitCode: a.exitCode ?? 0 };
  };
  return { exec, calls };
}

describe('liveMutator', () => {
  it('runs iptables under flock on /run/xtables.lock, with -w and the table', async () => {
    const r = recorder();
    const m = liveMutator({ exec: r.exec, lockWaitSeconds: 3 });
    expect(await m.iptables('raw', ['-I', 'PREROUTING', '-s', '10.0.0.1/32', '-j', 'ACCEPT'])).toEqual({ ok: true, stderr: '' });
    await m.iptables('filter', ['-C', 'DOCKER-USER', '-j', 'RETURN']);
    expect(r.calls.map((c) => [c.file, ...c.args])).toEqual([
      ['flock', '-E', '75', '-w', '3', '/run/xtables.lock', 'iptables', '-w', '3', '-t', 'raw', '-I', 'PREROUTING', '-s', '10.0.0.1/32', '-j', 'ACCEPT'],
      ['flock', '-E', '75', '-w', '3', '/run/xtables.lock', 'iptables', '-w', '3', '-C', 'DOCKER-USER', '-j', 'RETURN'],
    ]);
    expect(r.calls.every((c) => c.timeoutMs !== undefined)).toBe(true);
  });

  it('a held lock and a missing privilege are one line each, with what to do', async () => {
    const busy = liveMutator({ exec: recorder(() => ({ exitCode: 75 })).exec });
    await expect(busy.iptables('filter', ['-I', 'DOCKER-USER', '-j', 'ACCEPT'])).rejects.toMatchObject({ name: 'CommandError', message: expect.stringMatching(/locked by another program/), hint: expect.stringMatching(/run the same command again/) });
    const denied = liveMutator({ exec: recorder(() => ({ exitCode: 4, stderr: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' })).exec });
    await expect(denied.iptables('filter', ['-I', 'DOCKER-USER', '-j', 'ACCEPT'])).rejects.toMatchObject({ message: 'iptables: permission denied', hint: 'run netdiag as root' });
  });

  it('writes sysctls with sysctl -w and routes with ip route, as argument arrays', async () => {
    const r = recorder((file) => (file === 'ip' ? { exitCode: 2, stderr: 'RTNETLINK answers: File exists' } : {}));
    const m = liveMutator({ exec: r.exec });
    expect(await m.writeSysctl('net.ipv4.ip_forward', '1')).toEqual({ ok: true, stderr: '' });
    expect(await m.ipRoute('add', '172.30.0.0/16', '10.99.0.2', 'eth0')).toEqual({ ok: false, stderr: 'RTNETLINK answers: File exists' });
    await m.ipRoute('del', '172.30.0.0/16', '10.99.0.2', null);
    expect(r.calls.map((c) => [c.file, ...c.args])).toEqual([
      ['sysctl', '-w', 'net.ipv4.ip_forward=1'],
      ['ip', 'route', 'add', '172.30.0.0/16', 'via', '10.99.0.2', 'dev', 'eth0'],
      ['ip', 'route', 'del', '172.30.0.0/16', 'via', '10.99.0.2'],
    ]);
  });
});
