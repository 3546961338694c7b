// The only way netdiag runs a program: execFile with an argument array, a timeout, and errors a user can act on.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a program; resolves with its output whatever its exit code, rejects only when it could not run or timed out. */
export type CommandRunner = (file: string, args: readonly string[], opts?: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; cwd?: string }) => Promise<CommandResult>;

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly hint: string,
    readonly code: 'missing' | 'permission' | 'timeout' | 'failed',
  ) {
    super(message);
  }
}

/** Debian package that provides each tool we call, for "install X" hints. */
const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  nsenter: 'util-linux',
  'iptables-save': 'iptables',
  'iptables-legacy-save': 'iptables',
  'iptables-nft-save': 'iptables',
  iptables: 'iptables',
  sysctl: 'procps',
};

export const DEFAULT_TIMEOUT_MS = 5_000;

/** The program is not installed (or not on PATH): which package has it. */
function missingError(file: string): CommandError {
  const pkg = PACKAGE_OF[file];
  return new CommandError(`${file} not found`, pkg ? `install the ${pkg} package` : `install ${file} or add it to PATH`, 'missing');
}

function permissionError(file: string): CommandError {
  return new CommandError(`${file} cannot be executed: permission denied`, 'run netdiag as root', 'permission');
}

function timeoutError(file: string, args: readonly string[], timeoutMs: number): CommandError {
  return new CommandError(`${file} ${args.join(' ')} timed out after ${timeoutMs} ms`, 'the host may be overloaded or a lock is held; retry, or raise --timeout', 'timeout');
}
const MAX_OUTPUT = 64 * 1024 * 1024;

export const runCommand: CommandRunner = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const child = execFile(
      file,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, exitCode: 0 });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string; code?: number | string };
        if (e.code === 'ENOENT') return reject(missingError(file));
        if (e.code === 'EACCES') return reject(permissionError(file));
        if (e.killed && e.signal === 'SIGKILL') return reject(timeoutError(file, args, timeoutMs));
        if (typeof e.code === 'number') return resolve({ stdout, stderr, exitCode: e.code });
        reject(new CommandError(`${file} failed: ${e.message}`, 'see the message above', 'failed'));
      },
    );
    // A program that exits without reading its input (nc that connected, or failed, at once) closes the pipe first:
    // the write then fails with EPIPE, which says nothing about the program's own outcome (its exit code does).
    child.stdin?.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });

/** First line of a program's complaint, for one-line error messages. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/** A request to the helper process (host/exec-helper.ts), one JSON line. */
export interface HelperRequest {
  id: number;
  file: string;
  args: readonly string[];
  opts: Parameters<CommandRunner>[2];
}

/** Its answer: runCommand's result, or the CommandError it rejected with. */
export type HelperAnswer = { id: number; result: CommandResult } | { id: number; error: { message: string; hint: string; code: CommandError['code'] } } | { ready: true };

/**
 * The helper's entry file beside this module: tsc's output (dist/host/exec-helper.js) or the bundle's
 * (dist/exec-helper.mjs, one level above its chunks); null when running from source.
 */
function helperFile(): string | null {
  for (const rel of ['./exec-helper.js', '../exec-helper.mjs', './exec-helper.mjs']) {
    const url = new URL(rel, import.meta.url);
    if (url.protocol === 'file:' && existsSync(url)) return fileURLToPath(url);
  }
  return null;
}

/** A runner for reads that runs each program from a small helper process once start() has started it and it is up. */
export interface ForkingRunner {
  exec: CommandRunner;
  /** Start the helper (once): worth it when many programs are to come, its own start costs ~50 ms of the other core. */
  start(): void;
  /** Programs it is running still answer through it; new ones run here, and the helper ends. */
  close(): void;
}

/**
 * Runs programs through host/exec-helper.ts: a fork from a big process blocks its event loop for milliseconds per
 * program (see that file). Until the helper has started, and whenever it cannot, a program runs here directly
 * (runCommand); a program the helper was running when it died runs again here, so use it for reads only.
 */
export function forkingRunner(file: string | null = helperFile()): ForkingRunner {
  let helper: { exec: CommandRunner; close(): void } | null = null;
  let closed = false;
  return {
    exec: (f, args, opts) => (helper && !closed ? helper.exec(f, args, opts) : runCommand(f, args, opts)),
    start: () => {
      if (!helper && !closed && file) helper = startHelper(file);
    },
    close: () => {
      closed = true;
      helper?.close();
    },
  };
}

function startHelper(file: string): { exec: CommandRunner; close(): void } {
  const child = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'ignore'], env: process.env });
  let ready = false;
  let dead = false;
  let nextId = 0;
  const pending = new Map<number, { run: () => void; resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  // Only pending requests keep this process alive: an idle helper must not hold up a CLI that is done.
  const hold = (on: boolean) => {
    for (const h of [child, child.stdout, child.stdin] as unknown as { ref(): void; unref(): void }[]) (on ? h.ref() : h.unref());
  };
  hold(false);
  const die = () => {
    if (dead) return;
    dead = true;
    hold(false);
    for (const p of pending.values()) p.run();
    pending.clear();
  };
  child.on('error', die);
  child.on('exit', die);
  child.stdin.on('error', die);
  createInterface({ input: child.stdout }).on('line', (line) => {
    let a: HelperAnswer;
    try {
      a = JSON.parse(line) as HelperAnswer;
    } catch {
      // Not our helper's line (a node warning on stdout, a truncated write): stop trusting it; what it held runs here.
      child.kill('SIGKILL');
      return die();
    }
    if ('ready' in a) return void (ready = true);
    const p = pending.get(a.id);
    if (!p) return;
    pending.delete(a.id);
    if (pending.size === 0) hold(false);
    if ('result' in a) p.resolve(a.result);
    else p.reject(new CommandError(a.error.message, a.error.hint, a.error.code));
  });
  const exec: CommandRunner = (f, args, opts = {}) => {
    if (!ready || dead) return runCommand(f, args, opts);
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const run = () => void runCommand(f, args, opts).then(resolve, reject);
      if (pending.size === 0) hold(true);
      pending.set(id, { run, resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, file: f, args, opts } satisfies HelperRequest)}\n`);
    });
  };
  return { exec, close: () => child.stdin.end() };
}
