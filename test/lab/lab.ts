// The lab: real dockerd daemons, each in its own network namespace ("host"), on an optional shared LAN, torn down always.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, readFile, readdir, rm, symlink, copyFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runCommand } from '../../host/exec.js';
import type { CommandResult } from '../../host/exec.js';

export const LAB_ROOT = '/tmp/netdiag-lab';
const NS_PREFIX = 'ndl';
const BUSYBOX = '/bin/busybox';
const REQUIRED = ['dockerd', 'docker', 'iptables', 'iptables-save', 'ip', 'nsenter'];
/** The repository root: the nearest directory above this file with a package.json (this file also runs from dist/). */
export const REPO = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dir !== '/') dir = dirname(dir);
  return dir;
})();
/** What users run: the bundled binary (package.json's bin; dist/netdiag.mjs is the same CLI as an ES module). */
export const NETDIAG_BIN = join(REPO, 'dist/netdiag.cjs');

let flags: string[] | null = null;

/** The node flags the binary's #! line gives (`env -S node …`): run with process.execPath, it runs as users run it. */
export function nodeFlags(): string[] {
  if (flags) return flags;
  if (!existsSync(NETDIAG_BIN)) return [];
  const first = readFileSync(NETDIAG_BIN, 'utf8').split('\n', 1)[0] ?? '';
  return (flags = (/^#!\/usr\/bin\/env -S node (.*)$/.exec(first)?.[1] ?? '').split(' ').filter(Boolean));
}

function which(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => existsSync(join(d, tool)));
}

/** Poll `fn` until it gives something other than null (errors count as not yet), or fail after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Why the lab cannot run here, or null when it can. Lab tests skip with this message, never silently. */
export function labUnavailable(): string | null {
  const why = labBlocker();
  if (why && process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but the lab cannot run: ${why}`);
  return why;
}

function labBlocker(): string | null {
  if (process.getuid?.() !== 0) return 'lab tests need root (they start dockerd in network namespaces); run `sudo npm run test:lab`';
  const missing = REQUIRED.filter((t) => !which(t));
  if (!existsSync(BUSYBOX)) missing.push('busybox (busybox-static)');
  if (missing.length > 0) return `lab tests need ${missing.join(', ')}: apt-get install docker.io iptables iproute2 busybox-static`;
  if (!existsSync(NETDIAG_BIN)) return `lab tests need the built CLI at ${NETDIAG_BIN}: run npm run build`;
  return null;
}

function run(file: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CommandResult> {
  return runCommand(file, args, opts);
}

export async function must(file: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function unmountBelow(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]);
}

/** Stop a lab host's dockerd and everything it started, whatever state it is in. */
async function stopDaemon(dir: string, socket: string): Promise<void> {
  if (existsSync(socket)) {
    const ids = await run('docker', ['ps', '-aq'], { env: { DOCKER_HOST: `unix://${socket}` }, timeoutMs: 10_000 }).catch(() => null);
    const list = ids?.stdout.split('\n').filter(Boolean) ?? [];
    if (list.length > 0) await run('docker', ['rm', '-f', ...list], { env: { DOCKER_HOST: `unix://${socket}` }, timeoutMs: 30_000 }).catch(() => null);
  }
  const pidText = await readFile(join(dir, 'docker.pid'), 'utf8').catch(() => '');
  const pid = Number(pidText.trim());
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  // Shims of containers that outlived their daemon (a crashed run): their command line names our exec-root.
  for (const p of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(`${dir}/`)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  await unmountBelow(dir);
}

/** Remove what an earlier, crashed run left behind: daemons, mounts, directories, namespaces. */
export async function clearStaleLabs(): Promise<void> {
  for (const run_ of await readdir(LAB_ROOT).catch(() => [] as string[])) {
    const runDir = join(LAB_ROOT, run_);
    for (const h of await readdir(runDir).catch(() => [] as string[])) {
      const hostDir = join(runDir, h);
      if (existsSync(join(hostDir, 'docker.pid')) || existsSync(join(hostDir, 'exec'))) await stopDaemon(hostDir, join(hostDir, 'docker.sock'));
    }
    await unmountBelow(runDir);
    await rm(runDir, { recursive: true, force: true });
  }
  const ns = await run('ip', ['-j', 'netns', 'list']);
  const names = ns.exitCode === 0 && ns.stdout.trim() ? (JSON.parse(ns.stdout) as { name: string }[]).map((n) => n.name) : [];
  for (const n of names.filter((n) => n.startsWith(`${NS_PREFIX}-`))) await run('ip', ['netns', 'del', n]);
}

export interface HostOptions {
  /** --bip for docker0, e.g. 192.168.100.1/24. */
  bip?: string;
  /** Set net.ipv4.ip_forward=1 before dockerd starts (Docker then leaves FORWARD's policy at ACCEPT). */
  ipForwardBeforeDocker?: boolean;
  /** Join the lab LAN with this address (CIDR), as eth0. */
  lan?: string;
  extraDaemonArgs?: string[];
  /** false: no dockerd is started here (a host without Docker, as a plain Linux box is). */
  docker?: boolean;
}

export class LabHost {
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  constructor(
    readonly name: string,
    readonly netns: string,
    readonly dir: string,
  ) {
    this.socket = join(dir, 'docker.sock');
    this.env = { DOCKER_HOST: `unix://${this.socket}` };
  }

  /** The docker CLI against this host's daemon. */
  docker(args: string[], timeoutMs = 60_000): Promise<string> {
    return must('docker', args, { env: this.env, timeoutMs });
  }

  /** A command in this host's network namespace (nsenter, not `ip netns exec`, which remounts /sys and breaks dockerd). */
  exec(file: string, args: string[], timeoutMs = 20_000, input?: string): Promise<CommandResult> {
    // With this host's DOCKER_HOST: a program run here that talks to Docker talks to this host's daemon.
    return run('nsenter', [`--net=/run/netns/${this.netns}`, file, ...args], { timeoutMs, env: this.env, ...(input === undefined ? {} : { input }) });
  }

  mustExec(file: string, args: string[]): Promise<string> {
    return must('nsenter', [`--net=/run/netns/${this.netns}`, file, ...args]);
  }

  /** A command in this host's namespace that reads `input` on stdin (nft -f -, iptables-restore). */
  feed(file: string, args: string[], input: string): Promise<string> {
    return must('nsenter', [`--net=/run/netns/${this.netns}`, file, ...args], { input });
  }

  /** The built netdiag CLI, run inside this host's namespace against this host's daemon. */
  netdiag(args: string[], timeoutMs = 60_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
    return run('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, ...nodeFlags(), NETDIAG_BIN, ...args], { timeoutMs, env: { ...this.env, ...extraEnv } });
  }

  /** An HTTP request from inside this host's namespace (where the agent listens on loopback). */
  async http(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const r = await must('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, join(REPO, 'dist/test/lab/http-client.js'), 'request', url, JSON.stringify(init)], { timeoutMs: 30_000 });
    return JSON.parse(r);
  }

  /** A bounded load from inside this host's namespace. */
  async load(url: string, requests: number, concurrency: number, init: RequestInit = {}): Promise<import('../../bench/load.js').LoadResult> {
    const r = await must('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, join(REPO, 'dist/test/lab/http-client.js'), 'load', url, String(requests), String(concurrency), JSON.stringify(init)], { timeoutMs: 300_000 });
    return JSON.parse(r);
  }

  /** A burst against `url` while `measured` is loaded at `measuredConcurrency` for exactly as long as the burst lasts. */
  async loadDuring(url: string, requests: number, concurrency: number, measured: string, measuredConcurrency: number): Promise<{ burst: import('../../bench/load.js').LoadResult; measured: import('../../bench/load.js').LoadResult }> {
    const r = await must('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, join(REPO, 'dist/test/lab/http-client.js'), 'during', url, String(requests), String(concurrency), measured, String(measuredConcurrency)], { timeoutMs: 300_000 });
    return JSON.parse(r);
  }

  /** Raw requests on raw sockets from inside this host's namespace: the bytes as given (a client library would fix them). */
  async raw(url: string, requests: { data: Buffer | string; byteDelayMs?: number; timeoutMs?: number }[], concurrency = 1): Promise<import('./http-client.js').RawResult[]> {
    const file = join(mkdtempSync(join(tmpdir(), 'netdiag-raw-')), 'requests.json');
    writeFileSync(file, JSON.stringify(requests.map((q) => ({ ...q, data: Buffer.from(q.data).toString('base64') }))));
    const r = await must('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, join(REPO, 'dist/test/lab/http-client.js'), 'raw', url, file, String(concurrency)], { timeoutMs: 600_000 });
    return JSON.parse(r);
  }

  /**
   * `netdiag agent` on 127.0.0.1:9700 in this host's namespace, run as the binary's #! line runs it, with a token file
   * of its own; resolves once it serves a snapshot (within `readyMs`, 30 s by default: a bench on a loaded machine
   * at 500 containers needs longer). The directory holds the token, its state and agent.log.
   */
  async startAgent(token: string, opts: { refresh?: string; hostName?: string; args?: string[]; readyMs?: number } = {}): Promise<{ daemon: ReturnType<LabHost['startDaemon']>; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-agent-'));
    writeFileSync(join(dir, 'token'), `${token}\n`);
    chmodSync(join(dir, 'token'), 0o600);
    const args = ['agent', '--listen', '127.0.0.1:9700', '--token-file', join(dir, 'token'), '--state-dir', join(dir, 'state'), '--refresh', opts.refresh ?? '5m', ...(opts.hostName ? ['--host-name', opts.hostName] : []), ...(opts.args ?? [])];
    const daemon = this.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, ...args], join(dir, 'agent.log'));
    await until('the agent to be ready', async () => ((await this.http('http://127.0.0.1:9700/readyz')).status === 200 ? true : null), opts.readyMs);
    return { daemon, dir };
  }

  /** Start a long-running process in this host's namespace (the agent, Prometheus); stopped by the returned function. */
  startDaemon(file: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): { pid: number; stop(signal?: NodeJS.Signals): Promise<number | null> } {
    const log = openSync(logFile, 'a');
    const child = spawn('nsenter', [`--net=/run/netns/${this.netns}`, file, ...args], { stdio: ['ignore', log, log], env: { ...process.env, ...this.env, ...env } });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.daemons.push(() => {
      child.kill('SIGKILL');
    });
    return {
      pid: child.pid as number,
      async stop(signal: NodeJS.Signals = 'SIGTERM') {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
    };
  }

  readonly daemons: (() => void)[] = [];

  /** Stop this host's dockerd as an operator would (its containers removed first): what it wrote to the host stays. */
  stopDocker(): Promise<void> {
    return stopDaemon(this.dir, this.socket);
  }

  private daemonArgs: string[] = [];

  /** Start this host's dockerd with `args` (kept for a restart); resolves once it answers. */
  async startDocker(args: string[] = this.daemonArgs): Promise<void> {
    this.daemonArgs = args;
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    // A daemon, so spawn (argument array, detached) rather than execFile; it is stopped through its pidfile.
    spawn('nsenter', [`--net=/run/netns/${this.netns}`, 'dockerd', ...args], { detached: true, stdio: ['ignore', log, log] }).unref();
    closeSync(log);
    for (let i = 0; ; i++) {
      const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env: this.env, timeoutMs: 5_000 }).catch(() => null);
      if (r?.exitCode === 0) break;
      if (i > 150) throw new Error(`dockerd for ${this.name} did not start: ${(await readFile(join(this.dir, 'dockerd.log'), 'utf8').catch(() => '')).slice(-500)}`);
      await sleep(200);
    }
  }

  /**
   * `systemctl restart docker` as an operator runs it: dockerd stops (its containers stop with it, nothing removed),
   * starts again and writes its rules anew; containers without a restart policy are started again by hand, as then.
   */
  async restartDocker(): Promise<void> {
    const pid = Number((await readFile(join(this.dir, 'docker.pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0 && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 200 && alive(pid); i++) await sleep(100);
      if (alive(pid)) throw new Error(`dockerd for ${this.name} did not stop`);
    }
    await this.startDocker();
    // A swarm node must be back in its swarm before a container on an overlay can attach (the manager allocates the
    // attachment): until then `docker start` times out ("attaching to network failed … context deadline exceeded").
    const state = async () => (await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { env: this.env, timeoutMs: 10_000 })).stdout.trim();
    if ((await state()) !== 'inactive') await until(`${this.name} to rejoin its swarm`, async () => ((await state()) === 'active' ? true : null), 60_000);
    const ids = (await this.docker(['ps', '-aq'])).split('\n').filter(Boolean).reverse();
    for (const id of ids) {
      await until(`container ${id} to start`, async () => ((await run('docker', ['start', id], { env: this.env, timeoutMs: 60_000 })).exitCode === 0 ? true : null), 120_000);
    }
  }

  /** Start a container from the lab image; by default it serves HTTP on port 80, so TCP probes have a listener. */
  async run(name: string, opts: { network?: string; publish?: string[]; cmd?: string[]; capAdd?: string[]; extra?: string[] } = {}): Promise<string> {
    const args = ['run', '-d', '--name', name];
    // Docker refuses a hostname for containers sharing another namespace's UTS settings.
    if (!opts.network || !/^(host|container:)/.test(opts.network)) args.push('--hostname', name);
    if (opts.network) args.push('--network', opts.network);
    for (const p of opts.publish ?? []) args.push('-p', p);
    for (const c of opts.capAdd ?? []) args.push('--cap-add', c);
    args.push(...(opts.extra ?? []));
    args.push('bb:lab', ...(opts.cmd ?? ['httpd', '-f', '-p', '80', '-h', '/var/www']));
    return (await this.docker(args)).trim();
  }

  /** Ground truth: ping (or a TCP connect to `port`) from inside a container. */
  async probe(container: string, ip: string, port?: number): Promise<boolean> {
    const args = port === undefined ? ['exec', container, 'ping', '-c1', '-W1', ip] : ['exec', container, 'nc', '-w', '2', ip, String(port)];
    const r = await run('docker', args, { env: this.env, timeoutMs: 15_000, input: '' });
    return r.exitCode === 0;
  }

  /** Ground truth for names: what `name` resolves to inside a container (libc: /etc/hosts, then DNS), or null. */
  async lookup(container: string, name: string): Promise<string | null> {
    const r = await run('docker', ['exec', container, 'ping', '-c1', '-W1', name], { env: this.env, timeoutMs: 20_000, input: '' });
    return /^PING \S+ \((\d+\.\d+\.\d+\.\d+)\)/m.exec(r.stdout)?.[1] ?? null;
  }

  async ip(container: string, network: string): Promise<string> {
    return (await this.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container])).trim();
  }
}

export class Lab {
  readonly hosts: LabHost[] = [];
  private switchNs: string | null = null;
  private switchReady: Promise<string> | null = null;
  private constructor(
    readonly id: string,
    readonly dir: string,
  ) {}

  static async create(): Promise<Lab> {
    await clearStaleLabs();
    const id = randomBytes(3).toString('hex');
    const dir = join(LAB_ROOT, id);
    await mkdir(dir, { recursive: true });
    const lab = new Lab(id, dir);
    await lab.buildImage();
    return lab;
  }

  /** busybox-static as an image: no registry is reachable here. */
  private async buildImage(): Promise<void> {
    const root = join(this.dir, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'var/www']) await mkdir(join(root, d), { recursive: true });
    await copyFile(BUSYBOX, join(root, 'bin/busybox'));
    for (const a of ['sh', 'ip', 'ping', 'nc', 'httpd', 'sleep', 'hostname', 'cat', 'echo', 'ifconfig', 'route', 'nslookup', 'netstat']) await symlink('busybox', join(root, 'bin', a));
    await writeFile(join(root, 'var/www/index.html'), 'netdiag lab\n');
    await must('tar', ['-C', root, '-cf', join(this.dir, 'rootfs.tar'), '.']);
  }

  /** The LAN: one bridge in a namespace of its own; created once even when hosts start concurrently. */
  private lanSwitch(): Promise<string> {
    return (this.switchReady ??= this.createSwitch());
  }

  private async createSwitch(): Promise<string> {
    const ns = `${NS_PREFIX}-${this.id}-sw`;
    await must('ip', ['netns', 'add', ns]);
    this.switchNs = ns;
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'bridge']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    return ns;
  }

  /** A host: its own network namespace and dockerd, optionally on the LAN. Ready when the image is imported. */
  async host(name: string, opts: HostOptions = {}): Promise<LabHost> {
    const netns = `${NS_PREFIX}-${this.id}-${name}`;
    const dir = join(this.dir, name);
    await mkdir(dir, { recursive: true });
    await must('ip', ['netns', 'add', netns]);
    const host = new LabHost(name, netns, dir);
    this.hosts.push(host);
    await must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    if (opts.lan) {
      const sw = await this.lanSwitch();
      const port = `${name}-${this.id}`.slice(0, 15);
      await must('ip', ['link', 'add', 'eth0', 'netns', netns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      await must('ip', ['-n', sw, 'link', 'set', port, 'master', 'lan0', 'up']);
      await must('ip', ['-n', netns, 'addr', 'add', opts.lan, 'dev', 'eth0']);
      await must('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    }
    if (opts.ipForwardBeforeDocker) await host.mustExec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    if (opts.docker === false) return host;
    const args = ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${host.socket}`, '--pidfile', join(dir, 'docker.pid')];
    if (opts.bip) args.push('--bip', opts.bip);
    args.push(...(opts.extraDaemonArgs ?? []));
    await host.startDocker(args);
    await host.docker(['import', join(this.dir, 'rootfs.tar'), 'bb:lab']);
    return host;
  }

  async teardown(): Promise<void> {
    for (const h of this.hosts) for (const kill of h.daemons) kill();
    for (const h of this.hosts) await stopDaemon(h.dir, h.socket).catch(() => undefined);
    for (const h of this.hosts) await run('ip', ['netns', 'del', h.netns]);
    if (this.switchNs) await run('ip', ['netns', 'del', this.switchNs]);
    await unmountBelow(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }
}
