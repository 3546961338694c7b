// The helper that starts a collection's programs answers exactly what runCommand answers here (output, exit code,
// input, environment, and each CommandError), with the helper bundled from source as the build bundles it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, forkingRunner, runCommand } from '../../../host/exec.js';
import type { CommandRunner, ForkingRunner } from '../../../host/exec.js';
import { REPO } from '../fixtures.js';

let file = '';
let helper: ForkingRunner;

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'netdiag-exec-helper-')), 'exec-helper.mjs');
  await build({ entryPoints: [join(REPO, 'host/exec-helper.ts')], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'warning' });
  helper = forkingRunner(file);
  helper.start();
  // Until the helper says it is up, programs run here: wait until one has gone through it.
  for (let i = 0; i < 100 && !(await ranByHelper()); i++) await new Promise((r) => setTimeout(r, 50));
}, 60_000);
afterAll(() => helper.close());

/** Whether a program now runs from the helper: its parent is not this process. */
async function ranByHelper(): Promise<boolean> {
  const r = await helper.exec('sh', ['-c', 'echo $PPID']);
  return Number(r.stdout.trim()) !== process.pid;
}

const outcome = (run: CommandRunner, file: string, args: string[], opts?: Parameters<CommandRunner>[2]) =>
  run(file, args, opts).then(
    (r) => ({ ok: r }),
    (e: unknown) => ({ error: e instanceof CommandError ? { name: e.name, message: e.message, hint: e.hint, code: e.code } : String(e) }),
  );

describe('programs run from the helper process', () => {
  it('run from the helper, not from this process, once it is up', async () => {
    expect(await ranByHelper()).toBe(true);
  });

  it.each<[string, string, string[], Parameters<CommandRunner>[2]]>([
    ['arguments stay an array: spaces, quotes and $ are not a shell\'s', 'printf', ['%s|', 'a b', '"q"', '$HOME', '*'], {}],
    ['a non-zero exit code and stderr', 'ls', ['/no/such/dir'], {}],
    ['input on stdin', 'cat', [], { input: 'line one\nline two\n' }],
    ['the environment: the caller\'s, its additions and LC_ALL=C', 'sh', ['-c', 'echo "$NETDIAG_T $LC_ALL $PATH"'], { env: { NETDIAG_T: 'seen' } }],
    ['the working directory', 'pwd', [], { cwd: '/proc' }],
    ['a program that is not installed', 'netdiag-no-such-program', [], {}],
    ['a program past its timeout', 'sleep', ['5'], { timeoutMs: 200 }],
  ])('%s: the same answer as runCommand', async (_what, f, args, opts) => {
    const [mine, theirs] = await Promise.all([outcome(helper.exec, f, args, opts), outcome(runCommand, f, args, opts)]);
    expect(mine).toEqual(theirs);
  });

  it('answers many programs at once, each its own', async () => {
    const n = Array.from({ length: 40 }, (_, i) => i);
    const out = await Promise.all(n.map((i) => helper.exec('echo', [`n${i}`])));
    expect(out.map((r) => r.stdout.trim())).toEqual(n.map((i) => `n${i}`));
  });

  it('runs programs here until it is started, and when the helper is gone (closed, or it could not start)', async () => {
    const unstarted = forkingRunner(file);
    expect(Number((await unstarted.exec('sh', ['-c', 'echo $PPID'])).stdout.trim())).toBe(process.pid);
    unstarted.close();
    const gone = forkingRunner(file);
    gone.start();
    gone.close();
    const r = await gone.exec('sh', ['-c', 'echo $PPID']);
    expect(Number(r.stdout.trim())).toBe(process.pid);
    const none = forkingRunner(join(file, 'missing.mjs'));
    none.start();
    expect((await none.exec('echo', ['still'])).stdout).toBe('still\n');
    none.close();
  });
});
