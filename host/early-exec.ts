// Programs started before the code that reads their output has loaded; each answer handed out once, to the first ask.
import { runCommand } from './exec.js';
import type { CommandResult, CommandRunner } from './exec.js';

/** A program to start early: what runs, and what it is fed on stdin. */
export interface EarlyRead {
  file: string;
  args: readonly string[];
  input?: string;
}

/** Programs started early, handed out to whoever asks for exactly one of them. */
export interface EarlyExec {
  /** Start these now (each with the timeout given, its input fed); one already started and not yet taken is not doubled. */
  start(reads: readonly EarlyRead[]): void;
  /**
   * The running or finished answer of exactly this program with exactly this input (a failure to start included, as
   * running it then would have thrown), handed out once; undefined for anything else: the caller runs it, as it would have.
   */
  take(file: string, args: readonly string[], input?: string): Promise<CommandResult> | undefined;
}

const keyOf = (file: string, args: readonly string[], input: string | undefined) => JSON.stringify([file, args, input ?? null]);

export function earlyExec(timeoutMs: number, run: CommandRunner = runCommand): EarlyExec {
  const started = new Map<string, Promise<CommandResult>>();
  return {
    start(reads) {
      for (const { file, args, input } of reads) {
        const key = keyOf(file, args, input);
        if (started.has(key)) continue;
        const p = run(file, args, { timeoutMs, ...(input === undefined ? {} : { input }) });
        // Not asked after all (its collector failed first, or was skipped): not the process's failure.
        p.catch(() => undefined);
        started.set(key, p);
      }
    },
    take(file, args, input) {
      const key = keyOf(file, args, input);
      const p = started.get(key);
      if (p) started.delete(key);
      return p;
    },
  };
}
