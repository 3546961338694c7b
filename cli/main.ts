// netdiag's command line: commander program, one handler per command, every user error one line and exit 2.
import { Command, CommanderError } from 'commander';
import type { Io } from './io.js';
import { usageErrorOf } from './io.js';
import { COMMAND_EXIT_HELP, EXIT, EXIT_HELP } from './exit-codes.js';
import { oneLine, terminalSafeIo } from './text.js';
import type { FixOptions } from './commands/fix.js';
// Commands are loaded when run: `why` should not pay for fastify and prom-client, which only the agent needs.
import { NETDIAG_VERSION } from '../host/version.js';
import { LOCAL_AGENT_URL } from './local-agent-url.js';

/** `asked`: what bin.ts's quick path learnt from the local agent about this `why` when it could not answer it. */
export async function main(argv: string[], rawIo: Io, asked?: import('./commands/why.js').AskedAgent): Promise<number> {
  const io = terminalSafeIo(rawIo);
  let exitCode: number = EXIT.ok;
  const program = new Command('netdiag')
    .description("why can't container A reach container B? Diagnose and fix Docker networking")
    .version(NETDIAG_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_HELP);

  const run = (fn: (...args: never[]) => Promise<number>) =>
    async (...args: unknown[]) => {
      exitCode = await fn(...(args as never[]));
    };

  program
    .command('snapshot')
    .description('collect this host (Docker, links, routes, firewall, sysctls) as a HostSnapshot')
    .option('--out <file>', 'write the snapshot to FILE instead of stdout')
    .option('--host-name <name>', "this host's name in netdiag (default: NETDIAG_HOST_NAME, then the hostname)")
    .option('--timeout <ms>', 'deadline per collector, in milliseconds, and 20 ms more for each container on the host', '10000')
    .option('--record <file>', 'also write every raw answer (commands, Docker API, /proc/sys) to FILE, for bug reports')
    .option('--keep-labels <glob>', 'also keep labels whose key matches GLOB (* and ?; repeatable): by default only those netdiag reads are kept', (v: string, prev: string[] = []) => [...prev, v])
    .action(run((opts: { out?: string; hostName?: string; timeout: string; record?: string }) => import('./commands/snapshot.js').then((m) => m.snapshotCommand(opts, io))));

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  /** How to reach agents over TLS and prove who asks: wherever agents are asked. */
  const agentAccess = (cmd: Command, tokenHelp = 'the agents\' token (or NETDIAG_TOKEN); reads send it too, the agent accepts it as read auth') =>
    cmd
      .option('--cacert <file>', 'trust only this CA for https:// agents (default: the system\'s CAs); an inventory host\'s tls_config overrides it')
      .option('--cert <file>', 'client certificate for agents that require one (with --key)')
      .option('--key <file>', 'the client certificate\'s private key (with --cert)')
      .option('--password-file <file>', 'password for the user in an agent URL (https://USER@host:9700), or NETDIAG_AGENT_PASSWORD; a password written in the URL works too, but ps shows it to every user and your shell history keeps it')
      .option('--token-file <file>', tokenHelp);
  /** Where a query's hosts come from: snapshot files, agents, an inventory, else this host. */
  const hostSources = (cmd: Command, purpose = 'read') =>
    agentAccess(cmd
      .option('--snapshot <file>', `${purpose} this snapshot instead of collecting this host (repeatable)`, collect)
      .option('--agent <url>', `${purpose} this agent's host (repeatable; http:// or https://, a user as https://USER@host:9700)`, collect)
      .option('--inventory <file>', `${purpose} every host of this YAML inventory, through its agent (per host: tls_config, basic_auth)`)
      .option('--host-name <name>', "this host's name when collecting it"));
  hostSources(program
    .command('why')
    .description('explain whether container A reaches B, and which rule decides')
    .argument('<from>', 'container (NAME or /NAME, ID prefix, compose SERVICE or PROJECT-SERVICE, IP; HOST/NAME across hosts), or the host: host, HOST, HOST/host')
    .argument('<to>', 'the same, or any address')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)'))
    .option('-4, --ipv4', "only B's IPv4 addresses (B with none: one line, exit 2)")
    .option('-6, --ipv6', "only B's IPv6 addresses (B with none: one line, exit 2)")
    .option('--json', 'machine-readable output')
    .option('--all-namespaces', "with --json, collecting: enter every container on A's and B's networks, so what each fix also opens is walked from namespaces read, none taken as Docker makes them (alsoOpensNotRead stays empty)")
    // Without --agent: this host's own agent answers when its snapshot is fresh (--agent false is --no-agent).
    .option('--no-agent', `collect this host now, even when its agent (NETDIAG_AGENT, default ${LOCAL_AGENT_URL}) holds a fresh snapshot`)
    .action(run((a: string, b: string, opts: { port?: string; snapshot?: string[]; agent?: string[] | false; inventory?: string; hostName?: string; json?: boolean; ipv4?: boolean; ipv6?: boolean; allNamespaces?: boolean }) => import('./commands/why-jitless.js').then(() => import('./commands/why.js')).then((m) => m.whyCommand(a, b, { ...opts, agent: opts.agent || undefined, noAgent: opts.agent === false }, io, asked))));

  hostSources(program
    .command('matrix')
    .description('every ordered pair of containers in view')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)'))
    .option('-4, --ipv4', 'only IPv4 addresses (a pair whose B has none shows "no IPv4 address", JSON verdict "no-address")')
    .option('-6, --ipv6', 'only IPv6 addresses (a pair whose B has none shows "no IPv6 address", JSON verdict "no-address")')
    .option('--format <format>', 'text, json (the same as --json) or ndjson (one pair per line)')
    .option('--json', 'machine-readable output')
    .action(run((opts: { port?: string; snapshot?: string[]; agent?: string[]; inventory?: string; hostName?: string; json?: boolean; format?: string; ipv4?: boolean; ipv6?: boolean }) => import('./commands/matrix.js').then((m) => m.matrixCommand(opts, io))));

  hostSources(program
    .command('map')
    .description('draw the hosts, their networks and containers, and who reaches whom between networks (svg, dot, mermaid, html)')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)'))
    .option('--format <format>', 'svg, dot, mermaid, html or json (default: svg, or from --out\'s extension)')
    .option('--out <file>', 'write it to this file instead of standard output')
    .option('--containers', 'draw every container (default: only up to 40 containers in view; past that each network shows a count)')
    .option('--no-containers', 'fold containers into a count per network whatever the size')
    .option('-4, --ipv4', 'only IPv4 addresses (a network with none says so; it gets no edge, not a blocked one)')
    .option('-6, --ipv6', 'only IPv6 addresses (a network with none says so; it gets no edge, not a blocked one)')
    .option('--serve', 'serve the web view over the --snapshot files (read-only) instead of drawing')
    .option('--listen <addr:port>', 'where --serve listens (default: 127.0.0.1:9700)')
    .option('--web-config <file>', "with --serve: TLS, client certificates and basic_auth_users, in exporter-toolkit's web config format")
    .option('--insecure-http', 'with --serve: allow plain HTTP on an address other than loopback')
    .action(run((opts: { port?: string; snapshot?: string[]; agent?: string[]; inventory?: string; hostName?: string; format?: string; out?: string; ipv4?: boolean; ipv6?: boolean; serve?: boolean; listen?: string; webConfig?: string; insecureHttp?: boolean }) => import('./commands/map.js').then((m) => m.mapCommand(opts, io))));

  hostSources(program
    .command('fix')
    .description('ranked fixes for a blocked pair, with their predicted effect; --apply changes the host, verifies, keeps a rollback')
    .argument('<from>', 'container (NAME or /NAME, ID prefix, compose SERVICE or PROJECT-SERVICE, IP; HOST/NAME across hosts), or the host: host, HOST, HOST/host')
    .argument('<to>', 'the same, or any address')
    .option('--port <port>', 'a TCP or UDP port, as N/tcp or N/udp (default: ping)')
    .option('--apply', 'apply the top fix (or --fix ID), verify it with a live probe, undo it if that fails')
    .option('--fix <id>', 'the fix to apply (default: the top one)')
    .option('--yes', 'do not ask for confirmation; accept a fix that opens more than this pair')
    .option('--state-dir <dir>', 'where applied changes are journaled (default: NETDIAG_STATE_DIR or /var/lib/netdiag)'), 'plan fixes from')
    .option('-4, --ipv4', "only B's IPv4 addresses: fixes judged, chosen and verified over IPv4")
    .option('-6, --ipv6', "only B's IPv6 addresses: fixes judged, chosen and verified over IPv6")
    .option('--json', 'machine-readable output')
    .action(run((a: string, b: string, opts: FixOptions) => import('./commands/fix.js').then((m) => m.fixCommand(a, b, opts, io))));

  agentAccess(program
    .command('rollback')
    .description('undo an applied fix or plan')
    .argument('<id>', 'the ID printed when it was applied')
    .option('--state-dir <dir>', 'where applied changes are journaled (default: NETDIAG_STATE_DIR or /var/lib/netdiag)'), 'the agents\' token, to roll back a plan applied through them (or NETDIAG_TOKEN)')
    .option('--inventory <file>', 'per-host tls_config and basic_auth for a plan\'s agents (matched by host name)')
    .option('--json', 'machine-readable output')
    .action(run((id: string, opts: import('./commands/apply.js').PlanAccess & { json?: boolean; stateDir?: string }) => import('./commands/rollback.js').then((m) => m.rollbackCommand(id, opts, io))));

  agentAccess(program
    .command('plan')
    .description('plan routes: the cross-host routing plan for the hosts in view')
    .argument('<what>', 'routes')
    .option('--agent <url>', 'a host\'s agent (repeatable; http:// or https://)', collect)
    .option('--inventory <file>', 'the agents of this YAML inventory (per host: tls_config, basic_auth)'))
    .option('--snapshot <file>', 'a host\'s snapshot (repeatable; the plan then has no agent URLs to apply through)', collect)
    .option('--out <file>', 'write the plan to FILE')
    .option('--shape <shape>', 'per-host (netdiag/plan@1) or shared: one table every host takes from (netdiag/plan@2); default: shared above 10,000 steps')
    .option('--json', 'machine-readable output')
    .action(run((what: string, opts: import('./sources.js').SourceOptions & { out?: string; json?: boolean; shape?: string }) => import('./commands/plan.js').then((m) => m.planCommand(what, opts, io))));

  agentAccess(program
    .command('apply')
    .description('apply a plan through the agents, in parallel; verify; roll every host back on failure')
    .argument('<plan>', 'a plan file from netdiag plan routes --out'), 'the agents\' token (or NETDIAG_TOKEN)')
    .option('--inventory <file>', 'per-host tls_config and basic_auth for the plan\'s agents (matched by host name; the plan stores no credentials)')
    .option('--state-dir <dir>', 'where applied plans are recorded (default: NETDIAG_STATE_DIR or /var/lib/netdiag)')
    .option('--json', 'machine-readable output')
    .action(run((file: string, opts: import('./commands/apply.js').PlanAccess & { json?: boolean; stateDir?: string }) => import('./commands/apply.js').then((m) => m.applyCommand(file, opts, io))));

  program
    .command('probe')
    .description('live probe from inside A\'s network namespace: ping, or a TCP connect with --port')
    .argument('<from>', 'container')
    .argument('<to>', 'container or address')
    .option('--port <port>', 'a TCP port, as N/tcp (default: ping)')
    .option('--timeout <ms>', 'how long to wait for an answer', '2000')
    .option('--host-name <name>', "this host's name when collecting it")
    .option('--json', 'machine-readable output')
    .action(run((a: string, b: string, opts: { port?: string; json?: boolean; timeout?: string; hostName?: string }) => import('./commands/probe.js').then((m) => m.probeCommand(a, b, opts, io))));

  program
    .command('agent')
    .description('run the per-host agent: HTTP API and Prometheus /metrics')
    .option('--listen <addr:port>', 'where to listen', '127.0.0.1:9700')
    .option('--token-file <file>', 'bearer token for mutating endpoints (a file only its owner can read)')
    .option('--state-dir <dir>', 'journal of applied changes (default: NETDIAG_STATE_DIR or /var/lib/netdiag)')
    .option('--host-name <name>', "this host's name (default: NETDIAG_HOST_NAME, then the hostname)")
    .option('--refresh <duration>', 'how often to collect, besides on Docker events', '15s')
    .option('--snapshot <file>', 'serve this saved snapshot read-only instead (repeatable: several hosts; no Docker, no changes)', collect)
    .option('--keep-labels <glob>', 'also collect and serve labels whose key matches GLOB (* and ?; repeatable): by default only those netdiag reads', collect)
    .option('--web-config <file>', "TLS, client certificates and basic_auth_users for reads, in Prometheus exporter-toolkit's web config format (reloaded on change)")
    .option('--insecure-http', 'allow plain HTTP on an address other than loopback (reads, and the token of every change, in clear text)')
    .option('--public-metrics', '/metrics needs no read credentials even when the web config has basic_auth_users')
    .option('--allowed-host <name>', 'another name the Host header may carry, e.g. a reverse proxy\'s (repeatable; on loopback only loopback names and the listen address are answered)', collect)
    .option('--rate-limit <rate>', 'per client, on the expensive routes (snapshot, why, matrix, grid, map, fixes, changes): N/s or N/m, burst twice the per-second rate, at least 10', '10/s')
    .option('--max-walks <n>', 'walks (matrix, grid, map, why, fixes) computed at once; 32 more wait, beyond that 503', '2')
    .action(run((opts: import('./commands/agent.js').AgentCommandOptions & import('./commands/agent.js').HardeningFlags) => import('./commands/agent.js').then((m) => m.agentCommand(opts, io))));

  hostSources(program
    .command('doctor')
    .description('host-wide problems that break container networking, with evidence and fixes'), 'examine')
    .option('--json', 'machine-readable output')
    .action(run((opts: { snapshot?: string[]; agent?: string[]; inventory?: string; hostName?: string; json?: boolean }) => import('./commands/doctor.js').then((m) => m.doctorCommand(opts, io))));

  program
    .command('demo')
    .description('the built-in example: the default bridge and a user network, isolated (needs neither root nor Docker)')
    .option('--json', 'machine-readable output')
    .action(run((opts: { json?: boolean }) => import('./commands/demo.js').then((m) => m.demoCommand(opts, io))));

  // Each command's help ends with what its exit codes mean for it (the program's with the table for all).
  for (const cmd of program.commands) {
    const help = COMMAND_EXIT_HELP[cmd.name() as keyof typeof COMMAND_EXIT_HELP];
    if (help) cmd.addHelpText('after', help);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0; parse errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    const usage = usageErrorOf(error);
    if (usage) {
      io.stderr(`netdiag: ${oneLine(`${usage.message}${usage.hint ? ` (${usage.hint})` : ''}`)}\n`);
      return EXIT.badInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`netdiag: internal error: ${oneLine(message)} (please report this bug)\n`);
    return EXIT.internal;
  }
}
