// `netdiag agent`: configuration errors are one line and exit 2; a clean shutdown exits 0.
import { AgentConfigError, parseDuration, runAgent } from '../../agent/server.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { stateDir } from '../../actuation/state-dir.js';
import { EXIT } from '../exit-codes.js';

export async function agentCommand(opts: { listen: string; tokenFile?: string; stateDir?: string; hostName?: string; refresh: string }, io: Io): Promise<number> {
  try {
    await runAgent({ listen: opts.listen, tokenFile: opts.tokenFile, stateDir: stateDir(opts.stateDir, io.env), hostName: opts.hostName, refreshMs: parseDuration(opts.refresh), log: (l) => io.stderr(`${l}\n`) });
  } catch (error) {
    if (error instanceof AgentConfigError) throw new UsageError(error.message, error.hint);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`${opts.listen} is already in use`, 'is another agent running? pick another --listen');
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`${opts.listen}: no such address on this host`);
    if (code === 'EACCES') throw new UsageError(`${opts.listen}: permission denied`, 'ports below 1024 need root');
    throw error;
  }
  return EXIT.ok;
}
