// Runs a collection's many short programs through a few long-lived shells instead of one Node fork each.
//
// Node's fork copies its page tables and blocks the event loop until the child has exec'd: 2–6 ms of the main thread
// per program on a 2-core host, and every program of a snapshot waits its turn there (two per container: 1,000 at
// 500 containers). /bin/sh forks in a fraction of that, off Node's thread. Each program is run exactly as execFile
// would (an argument array, never a string a shell parses), its output through files in a private directory.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, unlink, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CommandError, DEFAULT_TIMEOUT_MS, missingError, permissionError, runCommand, timeoutError } from './exec.js';
import type { CommandResult, CommandRunner } from './exec.js';

/**
 * The shell's loop: one job a line, its fields separated by tabs (job id, stdin file, program as an absolute path,
 * arguments). `set -f` and IFS=tab make `set -- $line` split on tabs only, with no globbing: each field reaches the
 * program as one argument, as execFile passes it. Its output and errors go to files named by the job; then one line
 * on stdout says the job ended, with its exit code.
 */
const LOOP = [
  'd=$1',
  "IFS='\t'",
  'set -f',
  'while read -r line; do',
  '  set -- $line',
  '  i=$1; in=$2; shift 2',
  '  "$@" <"$in" >"$d/$i.o" 2>"$d/$i.e"',
  '  echo "$i $?"',
  'done',
].join('\n');

/**
 * Shells for one collection: one per core (at least two, so a slow program never stalls the rest). Each runs its
 * programs one after another; Node, dockerd and the kernel's own walks take the other turns. Measured on 2 cores at
 * 10 and 50 containers: 2 and 3 shells alike, both well ahead of a Node fork per program.
 */
export const COLLECTION_SHELLS = Math.min(8, Math.max(2, availableParallelism()));

/** Jobs written to a shell ahead of the one it runs: it never waits for Node between jobs, nor holds many. */
const DEPTH = 2;

interface Job {
  id: number;
  line: string;
  file: string;
  input: string | undefined;
  args: readonly string[];
  timeoutMs: number;
  resolve(r: CommandResult): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

interface Shell {
  child: ChildProcess;
  jobs: Job[];
  buf: string;
}

export interface CommandPool {
  run: CommandRunner;
  /** End the shells and remove the directory; jobs asked for later run as execFile runs them. */
  close(): void;
}

/** A field the loop cannot carry as one argument: it would be split (tab, newline) or dropped (empty). */
const unsafe = (s: string) => s === '' || s.includes('\t') || s.includes('\n');

/**
 * A pool of `size` shells, started on first use. A program run with an environment or directory of its own, an
 * argument the loop cannot carry, or after the shells could not start, runs through runCommand instead.
 */
export function commandPool(size: number): CommandPool {
  let dir: string | null = null;
  let broken = false;
  let closed = false;
  let nextId = 0;
  const shells: Shell[] = [];
  const queue: Job[] = [];
  const inputs = new Map<string, string>();
  const paths = new Map<string, string | Error>();

  /** Where PATH finds `file` (as execvp would), or the error execFile would have given. */
  const resolvePath = (file: string): string | Error => {
    const known = paths.get(file);
    if (known !== undefined) return known;
    let found: string | Error = missingError(file);
    const candidates = file.includes('/') ? [file] : (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).filter(Boolean).map((d) => join(d, file));
    for (const p of candidates) {
      try {
        if (!statSync(p).isFile()) continue;
      } catch {
        continue;
      }
      try {
        accessSync(p, constants.X_OK);
        found = p.startsWith('/') ? p : join(process.cwd(), p);
        break;
      } catch {
        found = permissionError(file);
      }
    }
    paths.set(file, found);
    return found;
  };

  const workDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), 'netdiag-exec-')));

  /** The file a job reads as stdin: its input, written once however many jobs share it (each sandbox's ip batch). */
  const inputFile = (input: string | undefined): string => {
    if (input === undefined) return '/dev/null';
    let f = inputs.get(input);
    if (!f) {
      f = join(workDir(), `in${inputs.size}`);
      writeFileSync(f, input);
      inputs.set(input, f);
    }
    return f;
  };

  const startShell = (): Shell | null => {
    const d = workDir();
    if (unsafe(d)) return null;
    // Its own process group, so a job that overruns its deadline is killed with the shell running it.
    const child = spawn('/bin/sh', ['-c', LOOP, 'sh', d], { stdio: ['pipe', 'pipe', 'ignore'], detached: true, env: { ...process.env, LC_ALL: 'C' } });
    const shell: Shell = { child, jobs: [], buf: '' };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      shell.buf += chunk;
      for (let nl = shell.buf.indexOf('\n'); nl >= 0; nl = shell.buf.indexOf('\n')) {
        const line = shell.buf.slice(0, nl);
        shell.buf = shell.buf.slice(nl + 1);
        finish(shell, line);
      }
    });
    child.stdin?.on('error', () => undefined);
    child.on('error', () => {
      // No /bin/sh here (a distroless image): everything runs as execFile runs it.
      broken = true;
      lost(shell);
    });
    // 'close', not 'exit': the lines it printed before it ended are read first.
    child.on('close', () => lost(shell));
    shells.push(shell);
    return shell;
  };

  /** A shell gone (killed at a deadline, or died): its jobs still to run go to another, or to execFile. */
  const lost = (shell: Shell) => {
    const i = shells.indexOf(shell);
    if (i < 0) return;
    shells.splice(i, 1);
    const pending = shell.jobs.splice(0);
    for (const j of pending) clearTimeout(j.timer);
    queue.unshift(...pending);
    pump();
  };

  const armHead = (shell: Shell) => {
    const head = shell.jobs[0];
    if (!head || head.timer) return;
    // The deadline runs from when the job starts, as execFile's does: not while it waits behind another.
    head.timer = setTimeout(() => {
      shell.jobs.shift();
      head.reject(timeoutError(head.file, head.args, head.timeoutMs));
      try {
        process.kill(-(shell.child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
      lost(shell);
    }, head.timeoutMs);
  };

  const finish = (shell: Shell, line: string) => {
    const job = shell.jobs.shift();
    const [id, code] = line.split(' ');
    if (!job || String(job.id) !== id) return;
    clearTimeout(job.timer);
    const d = dir as string;
    const read = (ext: string) => {
      const p = join(d, `${job.id}.${ext}`);
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return '';
      } finally {
        // Off the event loop: it hands out the next jobs meanwhile (close() removes whatever is left).
        unlink(p, () => undefined);
      }
    };
    job.resolve({ stdout: read('o'), stderr: read('e'), exitCode: Number(code) });
    armHead(shell);
    pump();
  };

  const pump = () => {
    // One write per shell for all the lines it is given now: each write to a pipe wakes the shell.
    const lines = new Map<Shell, string[]>();
    while (queue.length > 0) {
      // Closed: the collection that asked has ended (a collector past its deadline): not run, or hundreds of
      // programs would still be forked one by one after the snapshot was printed.
      if (closed) {
        for (const j of queue.splice(0)) j.reject(new CommandError(`${j.file} ${j.args.join(' ')} not run: the collection ended`, 'collect again', 'failed'));
        return;
      }
      if (broken) {
        for (const j of queue.splice(0)) runCommand(j.file, j.args, { timeoutMs: j.timeoutMs, ...(j.input === undefined ? {} : { input: j.input }) }).then(j.resolve, j.reject);
        return;
      }
      let target = shells.reduce<Shell | null>((best, s) => (s.jobs.length < DEPTH && (!best || s.jobs.length < best.jobs.length) ? s : best), null);
      if ((!target || target.jobs.length > 0) && shells.length < size) target = startShell() ?? target;
      if (!target) {
        // Every shell has its fill: the next job goes out as one ends. None could start: execFile runs them all.
        if (shells.length > 0) break;
        broken = true;
        continue;
      }
      const job = queue.shift() as Job;
      target.jobs.push(job);
      lines.set(target, [...(lines.get(target) ?? []), job.line]);
      armHead(target);
    }
    for (const [shell, l] of lines) shell.child.stdin?.write(`${l.join('\n')}\n`);
  };

  const run: CommandRunner = (file, args, opts = {}) => {
    if (closed || broken || opts.env || opts.cwd || unsafe(file) || args.some(unsafe)) return runCommand(file, args, opts);
    const path = resolvePath(file);
    if (path instanceof Error) return Promise.reject(path);
    if (unsafe(path)) return runCommand(file, args, opts);
    return new Promise<CommandResult>((resolve, reject) => {
      const id = nextId++;
      const job: Job = { id, line: [id, inputFile(opts.input), path, ...args].join('\t'), file, args, input: opts.input, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, resolve, reject };
      queue.push(job);
      pump();
    });
  };

  const close = () => {
    if (closed) return;
    closed = true;
    pump();
    for (const s of shells) s.child.stdin?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.off('exit', close);
  };
  // A process that ends without closing (an uncaught error) leaves no directory behind.
  process.on('exit', close);
  return { run, close };
}
