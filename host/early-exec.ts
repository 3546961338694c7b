// Programs started before the code that reads their output has loaded; each answer handed out once, to the first ask.
import { runCommand } from './exec.js';
import type { CommandResult, CommandRunner } from './exec.js';

const keyOf = (file: string, args: readonly string[]) => [file, ...args].join('\0');

/**
 * Start `commands` now (each with this timeout, no input). `take(file, args)` gives the first caller asking for
 * exactly that command its running or finished answer (a failure to start included, as running it then would have
 * thrown), and undefined to anyone else: they run it themselves, as they would have.
 */
export function earlyExec(commands: readonly (readonly [string, readonly string[]])[], timeoutMs: number, run: CommandRunner = runCommand): { take(file: string, args: readonly string[]): Promise<CommandResult> | undefined } {
  const started = new Map<string, Promise<CommandResult>>();
  for (const [file, args] of commands) {
    const p = run(file, args, { timeoutMs });
    // Not asked after all (its collector failed first, or was skipped): not the process's failure.
    p.catch(() => undefined);
    started.set(keyOf(file, args), p);
  }
  return {
    take(file, args) {
      const key = keyOf(file, args);
      const p = started.get(key);
      if (p) started.delete(key);
      return p;
    },
  };
}
