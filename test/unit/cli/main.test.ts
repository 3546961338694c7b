// The CLI entered the way users enter it: main(argv, io) in-process, and the built binary for the demo.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { REPO } from '../fixtures.js';

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('netdiag command line', () => {
  it('rejects an unknown command with exit 2 and a suggestion', async () => {
    const io = captureIo();
    expect(await main(['snapshto'], io)).toBe(2);
    expect(io.err).toMatch(/unknown command 'snapshto'/);
    expect(io.err).toMatch(/Did you mean snapshot\?/);
  });

  it('rejects a bad --timeout with one line and exit 2', async () => {
    const io = captureIo();
    expect(await main(['snapshot', '--timeout', 'soon'], io)).toBe(2);
    expect(io.err).toBe('netdiag: --timeout must be a positive number of milliseconds, not "soon"\n');
    expect(io.out).toBe('');
  });

  it('prints its version', async () => {
    const io = captureIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('demo runs from the built binary without root or Docker, and exits 0', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [`${REPO}/dist/netdiag.mjs`, 'demo'], { env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent' } });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/alpine-01 → redis-1 \(ping\): blocked/);
    expect(stdout).toMatch(/decided by lab-h1: filter DOCKER-ISOLATION-STAGE-2 rule 1/);
    expect(stdout).toMatch(/-A DOCKER-ISOLATION-STAGE-2 -o br-[0-9a-f]{12} -j DROP/);
    expect(stdout).toMatch(/\$ docker network connect net-redis alpine-01/);
    expect(stdout).toMatch(/\$ iptables -w -I DOCKER-USER/);
  });
});
