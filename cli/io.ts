// The CLI's window on the world, injectable so tests run main() in-process: output streams, TTY, environment; and
// the errors a user can fix, each one line and exit 2.
import { EXIT } from './exit-codes.js';
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stdout is a terminal (human output may use colour, unless NO_COLOR is set). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Bytes to stdout as they are, unescaped: for JSON only (its encoder escaped every control character already). */
  stdoutBytes?(bytes: Uint8Array): void;
  /** Whether stdout still holds bytes given to stdoutBytes (not yet handed to the OS): they must not change yet. */
  stdoutHeld?(): boolean;
  /** Resolves once stdout has taken what was written (a slow pipe pushes back); absent where output is not buffered. */
  drained?(): Promise<void>;
}

/**
 * A reader that went away ends the command quietly. Node ignores SIGPIPE, so writing to a closed pipe
 * (`netdiag matrix | head -1`) fails with EPIPE instead, and a stream error nobody handles prints a stack trace:
 * here it ends the process the way a tool killed by SIGPIPE ends (141, and nothing on the terminal). Any other
 * failure to write the output (a full disk under `> file`) is one line and exit 2, like an --out that cannot be written.
 */
export function endOnClosedOutput(exit: (code: number) => void): void {
  for (const [stream, name] of [[process.stdout, 'standard output'], [process.stderr, 'standard error']] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return exit(EXIT.closedOutput);
      if (stream === process.stdout) process.stderr.write(`netdiag: cannot write ${name}: ${error.code ?? error.message}\n`);
      exit(EXIT.badInput);
    });
  }
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  stdoutBytes: (b) => process.stdout.write(b),
  stdoutHeld: () => process.stdout.writableLength > 0,
  drained: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', () => resolve())) : Promise.resolve()),
};

/** A failure the user can fix: one line, what is wrong and what to do; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * What the layers below throw for bad input or a host that says no, as the one line the user sees; null for a bug.
 * Matched by name, so that main() does not load those layers before a command needs them.
 */
export function usageErrorOf(error: unknown): UsageError | null {
  if (error instanceof UsageError) return error;
  if (!(error instanceof Error)) return null;
  const hint = (error as { hint?: string }).hint;
  switch (error.name) {
    case 'UsageError':
      return new UsageError(error.message, hint);
    case 'FlowError':
      return new UsageError(`--port takes ${error.message}`);
    case 'ResolveError':
    case 'FixRefused':
    case 'StepError':
    case 'CommandError':
      return new UsageError(error.message, hint);
    case 'StateDirError':
      return new UsageError(`${error.message}; nothing was changed`, 'give a writable --state-dir (or NETDIAG_STATE_DIR), or run as root');
    default:
      return null;
  }
}
