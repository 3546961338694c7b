// The CLI's window on the world, injectable so tests run main() in-process: output streams, TTY, environment.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stdout is a terminal (human output may use colour, unless NO_COLOR is set). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
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
