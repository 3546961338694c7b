// netdiag's command line: commander program, one handler per command, every user error one line and exit 2.
import { Command, CommanderError } from 'commander';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { snapshotCommand } from './commands/snapshot.js';
import { demoCommand } from './commands/demo.js';
import { whyCommand } from './commands/why.js';
import { matrixCommand } from './commands/matrix.js';
import { NETDIAG_VERSION } from '../collectors/version.js';

export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = new Command('netdiag')
    .description("why can't container A reach container B? Diagnose and fix Docker networking")
    .version(NETDIAG_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError(true);

  const run = (fn: (...args: never[]) => Promise<number>) =>
    async (...args: unknown[]) => {
      exitCode = await fn(...(args as never[]));
    };

  program
    .command('snapshot')
    .description('collect this host (Docker, links, routes, firewall, sysctls) as a HostSnapshot')
    .option('--out <file>', 'write the snapshot to FILE instead of stdout')
    .option('--host-name <name>', "this host's name in netdiag (default: NETDIAG_HOST_NAME, then the hostname)")
    .option('--timeout <ms>', 'deadline per collector, in milliseconds', '10000')
    .option('--record <file>', 'also write every raw answer (commands, Docker API, /proc/sys) to FILE, for bug reports')
    .action(run((opts: { out?: string; hostName?: string; timeout: string; record?: string }) => snapshotCommand(opts, io)));

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command('why')
    .description('explain whether container A reaches B, and which rule decides (exit 0 reachable, 1 blocked, 3 unknown)')
    .argument('<from>', 'container: NAME, ID prefix, IP, or HOST/NAME')
    .argument('<to>', 'container or address')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)')
    .option('--snapshot <file>', 'read this snapshot instead of collecting this host (repeatable)', collect)
    .option('--host-name <name>', "this host's name when collecting it")
    .option('--json', 'machine-readable output')
    .action(run((a: string, b: string, opts: { port?: string; snapshot?: string[]; hostName?: string; json?: boolean }) => whyCommand(a, b, opts, io)));

  program
    .command('matrix')
    .description('every ordered pair of containers in view')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)')
    .option('--snapshot <file>', 'read this snapshot instead of collecting this host (repeatable)', collect)
    .option('--host-name <name>', "this host's name when collecting it")
    .option('--json', 'machine-readable output')
    .action(run((opts: { port?: string; snapshot?: string[]; hostName?: string; json?: boolean }) => matrixCommand(opts, io)));

  program
    .command('demo')
    .description('the built-in example: the default bridge and a user network, isolated (needs neither root nor Docker)')
    .option('--json', 'machine-readable output')
    .action(run((opts: { json?: boolean }) => demoCommand(opts, io)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0; parse errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr(`netdiag: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`netdiag: internal error: ${message} (please report this bug)\n`);
    return 2;
  }
}
