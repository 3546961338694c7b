// The only way netdiag runs a program: execFile with an argument array, a timeout, and errors a user can act on.
import { execFile } from 'node:child_process';

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
