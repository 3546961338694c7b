// The shell pool answers as execFile does: the same output, exit code and errors, each program's its own.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandPool } from '../../../host/exec-pool.js';
import type { CommandPool } from '../../../host/exec-pool.js';
import { CommandError, runCommand } from '../../../host/exec.js';

describe('commandPool', () => {
  let pool: CommandPool;
  let tmp: string;
  const savedTmp = process.env.TMPDIR;
  beforeEach(() => {
    // A directory of its own, to see that the pool leaves nothing in it.
    tmp = mkdtempSync(join(tmpdir(), 'netdiag-pool-test-'));
    process.env.TMPDIR = tmp;
    pool = commandPool(2);
  });
  afterEach(() => {
    pool.close();
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });

  it('gives what execFile gives: both streams and the exit code, input fed on stdin', async () => {
    const cases: [string, string[], string | undefined][] = [
      ['sh', ['-c', 'echo out; echo "é err" >&2; exit 3'], undefined],
      ['cat', [], 'addr show\nroute show table all\n∅ no newline at the end'],
      ['sh', ['-c', 'locale 2>/dev/null | grep LC_ALL; printf "%s|" "$@"', 'sh', 'a b', '*', '$HOME', "'q'"], undefined],
    ];
    for (const [file, args, input] of cases) {
      const opts = { timeoutMs: 5_000, ...(input === undefined ? {} : { input }) };
      expect(await pool.run(file, args, opts)).toEqual(await runCommand(file, args, opts));
    }
  });

  it('gives a program fed nothing the end of its input at once (execFile would leave it waiting to its deadline)', async () => {
    expect(await pool.run('sh', ['-c', 'read x; echo "got $x"; cat'], { timeoutMs: 2_000 })).toEqual({ stdout: 'got \n', stderr: '', exitCode: 0 });
  });

  it('keeps each program\'s answer its own, however many run', async () => {
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => pool.run('sh', ['-c', 'printf "%s" "$1"; [ "$1" -lt 60 ] || exit 1', 'sh', String(i)])));
    expect(answers.map((a) => a.stdout)).toEqual(Array.from({ length: 120 }, (_, i) => String(i)));
    expect(answers.map((a) => a.exitCode)).toEqual(Array.from({ length: 120 }, (_, i) => (i < 60 ? 0 : 1)));
  });

  it('passes arguments the shell loop cannot carry (tab, newline, empty) through execFile, unchanged', async () => {
    const args = ['-c', 'printf "[%s]" "$@"', 'sh', 'a\tb', '', 'c\nd'];
    const r = await pool.run('sh', args);
    expect(r.stdout).toBe('[a\tb][][c\nd]');
  });

  it('says a missing program is missing, as execFile does', async () => {
    const err = await pool.run('netdiag-no-such-tool', []).catch((e: unknown) => e);
    const direct = await runCommand('netdiag-no-such-tool', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toEqual(direct);
    expect((err as CommandError).code).toBe('missing');
  });

  it('kills a program at its deadline, and the programs queued behind it still run', async () => {
    const t0 = performance.now();
    const [slow, ...rest] = await Promise.allSettled([pool.run('sleep', ['10'], { timeoutMs: 300 }), ...Array.from({ length: 6 }, (_, i) => pool.run('echo', [`after ${i}`]))]);
    expect(slow.status).toBe('rejected');
    expect((slow as PromiseRejectedResult).reason).toMatchObject({ code: 'timeout', message: 'sleep 10 timed out after 300 ms' });
    expect(rest.map((r) => (r.status === 'fulfilled' ? r.value.stdout : r.reason))).toEqual(Array.from({ length: 6 }, (_, i) => `after ${i}\n`));
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('refuses the programs still queued when it closes (their collection has ended), and runs no more of them', async () => {
    const queued = Array.from({ length: 10 }, () => pool.run('sleep', ['0.2']).then(() => 'ran', (e: CommandError) => e.code));
    await new Promise((r) => setTimeout(r, 50));
    pool.close();
    const ends = await Promise.all(queued);
    // The few already handed to a shell end as they end; the rest are refused at once.
    expect(ends.filter((e) => e === 'failed').length).toBeGreaterThanOrEqual(6);
  });

  it('leaves no files behind once closed, and still runs programs after', async () => {
    await pool.run('echo', ['x'], { input: 'some input' });
    expect(readdirSync(tmp)).toHaveLength(1);
    pool.close();
    expect(readdirSync(tmp)).toEqual([]);
    expect((await pool.run('echo', ['later'])).stdout).toBe('later\n');
  });
});
