// The only code that changes a host: iptables under the xtables lock, sysctl writes, route changes, Docker network
// (dis)connects. Each call says what happened; deciding what to change, and undoing it, is actuation/'s job.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { describeDockerError, dockerEndpoint } from './docker.js';
import { withoutUserinfo } from '../snapshot/kept-fields.js';
import { loadDockerode } from './dockerode-lean.js';
import { CommandError, firstLine, runCommand } from './exec.js';
import type { CommandRunner } from './exec.js';

export interface Outcome {
  ok: boolean;
  /** The tool's own words when it failed. */
  stderr: string;
}

/** What actuation may do to a host; tests pass one that records the calls and keeps the state in memory. */
export interface HostMutator {
  /** `iptables -w [-t table] ARGS` (ip6tables with `v6`) under /run/xtables.lock (-C checks, -I/-D/-A change). */
  iptables(table: string, args: string[], v6?: boolean): Promise<Outcome>;
  readSysctl(key: string): Promise<string | null>;
  writeSysctl(key: string, value: string): Promise<Outcome>;
  ipRoute(verb: 'add' | 'del', dst: string, via: string, dev: string | null): Promise<Outcome>;
  /** Names of the networks a container is attached to; null when there is no such container. */
  containerNetworks(container: string): Promise<string[] | null>;
  dockerConnect(networkId: string, container: string): Promise<void>;
  dockerDisconnect(networkId: string, container: string): Promise<void>;
  /** A link of this namespace as `ip -j -d addr show dev NAME` shows it; null when there is none. */
  linkInfo(name: string): Promise<LinkInfo | null>;
  /** `ip link add NAME link PARENT type macvlan mode MODE`, `ip link del NAME`, `ip link set NAME up|down`. */
  ipLink(args: IpLinkArgs): Promise<Outcome>;
  /** `ip addr add|del ADDRESS dev DEV`. */
  ipAddr(verb: 'add' | 'del', address: string, dev: string): Promise<Outcome>;
  /** `ip route add|del DST dev DEV`: a route onto a link, no gateway. */
  ipLinkRoute(verb: 'add' | 'del', dst: string, dev: string): Promise<Outcome>;
  /** The devices of the main table's routes for exactly `dst` (`ip -j route show exact DST`). */
  routeDevs(dst: string): Promise<string[]>;
  /** nft with libnftables-json on stdin (`nft -j -e -a -f -`: one transaction, echoed back with handles), or a listing. */
  nft(commands: unknown[] | null, list?: string[]): Promise<Outcome & { stdout: string }>;
  /**
   * `ip -force -batch -`: one command a line on stdin (the arguments after `ip`), every line tried; the lines that
   * failed (0-based) with ip's words. Absent on a host that cannot batch: actuation then runs one `ip` per step.
   */
  ipBatch?(commands: string[][]): Promise<BatchOutcome>;
  /** `iptables-restore --noflush` (ip6tables-restore with `v6`) of one table: these commands in one transaction, all or none. */
  iptablesRestore?(table: string, commands: string[][], v6?: boolean): Promise<Outcome>;
  /** The rules of one chain as `iptables -S CHAIN` prints them (its `-A` lines); null when there is no such chain. */
  iptablesList?(table: string, chain: string, v6?: boolean): Promise<string[] | null>;
}

/** What `ip -force -batch` said: each failed line (0-based) and the error printed for it. */
export interface BatchOutcome {
  failed: Map<number, string>;
}

/**
 * ip -batch's report (iproute2 6.1, captured in test/fixtures/captured/ip-batch): the tool's error lines for a line,
 * then `Command failed -:N` (1-based) after them; with -force every line is tried and the report goes on.
 */
export function parseBatchErrors(stderr: string): Map<number, string> {
  const failed = new Map<number, string>();
  let said: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^Command failed -:(\d+)$/.exec(line);
    if (!m) {
      said.push(line);
      continue;
    }
    failed.set(Number(m[1]) - 1, said.join('; ') || 'failed');
    said = [];
  }
  return failed;
}

/** A word ip -batch or iptables-restore would split, quote or read as a comment: such a step is run on its own. */
export const BATCH_WORD = /^[^\s"'\\#]+$/;

/** Commands as a batch's input, a line each; refused when a word would be read differently there (see BATCH_WORD). */
function batchInput(tool: string, commands: string[][]): string {
  if (commands.some((c) => !c.every((w) => BATCH_WORD.test(w)))) throw new CommandError(`${tool}: a word that would be read differently on a line`, 'run the steps one by one', 'failed');
  return commands.map((c) => `${c.join(' ')}\n`).join('');
}

/** What netdiag needs to know of a link before it adds, changes or deletes one: its kind, parent, mode, state, addresses. */
export interface LinkInfo {
  kind: string | null;
  /** The parent in this namespace (`link`), for a macvlan child. */
  parent: string | null;
  mode: string | null;
  up: boolean;
  /** Its addresses as CIDRs. */
  addresses: string[];
}

export type IpLinkArgs = ['add', string, 'link', string, 'type', 'macvlan', 'mode', string] | ['del', string] | ['set', string, 'up' | 'down'];

/** The one entry of `ip -j -d addr show dev NAME`, read for what LinkInfo says. */
function linkInfoOf(json: string): LinkInfo | null {
  const [l] = JSON.parse(json) as { link?: string | null; flags?: string[]; linkinfo?: { info_kind?: string; info_data?: { mode?: string } }; addr_info?: { local?: string; prefixlen?: number }[] }[];
  if (!l) return null;
  return {
    kind: l.linkinfo?.info_kind ?? null,
    parent: l.link ?? null,
    mode: l.linkinfo?.info_data?.mode ?? null,
    up: (l.flags ?? []).includes('UP'),
    addresses: (l.addr_info ?? []).filter((a) => a.local !== undefined).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

const LOCK = '/run/xtables.lock';
const LOCK_BUSY = 75;

export interface LiveMutatorOptions {
  exec?: CommandRunner;
  /** Seconds to wait for the xtables lock before giving up. */
  lockWaitSeconds?: number;
  docker?: () => Dockerode;
}

function dockerFailure(error: unknown): CommandError {
  // Said to the client (an agent's apply answer): DOCKER_HOST without userinfo, as the snapshot names it.
  const d = describeDockerError(error, withoutUserinfo(dockerEndpoint()));
  return new CommandError(d.message, d.hint, 'failed');
}

export function liveMutator(o: LiveMutatorOptions = {}): HostMutator {
  const exec = o.exec ?? runCommand;
  const wait = String(o.lockWaitSeconds ?? 5);
  let client: Dockerode | undefined;
  const docker = o.docker ?? (() => (client ??= new (loadDockerode())({ timeout: 15_000 })));
  const outcome = (r: { exitCode: number; stderr: string }): Outcome => ({ ok: r.exitCode === 0, stderr: r.stderr });
  /**
   * An xtables tool under the lock (flock: iptables-nft ignores `-w`), its refusals said as the user can act on them:
   * the lock held too long, no privilege. `extraMs`: a batch's lines on top of the lock's wait.
   */
  const xtables = async (tool: string, args: string[], input?: string, extraMs = 0) => {
    const r = await exec('flock', ['-E', String(LOCK_BUSY), '-w', wait, LOCK, tool, '-w', wait, ...args], { ...(input === undefined ? {} : { input }), timeoutMs: (Number(wait) + 10) * 1000 + extraMs });
    if (r.exitCode === LOCK_BUSY || /holding the xtables lock/.test(r.stderr)) {
      throw new CommandError(`${tool} is locked by another program (${LOCK} held for more than ${wait} s)`, 'wait for the other program to finish, then run the same command again', 'timeout');
    }
    if (/Permission denied|must be root/i.test(r.stderr)) throw new CommandError(`${tool}: permission denied`, 'run netdiag as root', 'permission');
    return r;
  };
  return {
    /**
     * iptables-legacy honours `-w` itself; iptables-nft ignores the lock, so it is taken with flock around every call:
     * tools that serialise on it (scripts, firewalld, netdiag itself) never interleave with these changes.
     */
    async iptables(table, args, v6 = false) {
      // ip6tables shares the xtables lock with iptables.
      const tool = v6 ? 'ip6tables' : 'iptables';
      return outcome(await xtables(tool, [...(table === 'filter' ? [] : ['-t', table]), ...args]));
    },
    async readSysctl(key) {
      return readFile(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').then((t) => t.trim(), () => null);
    },
    async writeSysctl(key, value) {
      return outcome(await exec('sysctl', ['-w', `${key}=${value}`]));
    },
    async ipRoute(verb, dst, via, dev) {
      return outcome(await exec('ip', ['route', verb, dst, 'via', via, ...(dev ? ['dev', dev] : [])]));
    },
    async linkInfo(name) {
      const r = await exec('ip', ['-j', '-d', 'addr', 'show', 'dev', name]);
      if (r.exitCode !== 0) {
        if (/does not exist/.test(r.stderr)) return null;
        throw new CommandError(`ip addr show dev ${name} failed: ${firstLine(r.stderr)}`, 'check that iproute2 works here (ip addr)', 'failed');
      }
      return linkInfoOf(r.stdout);
    },
    async ipLink(args) {
      return outcome(await exec('ip', ['link', ...args]));
    },
    async ipAddr(verb, address, dev) {
      return outcome(await exec('ip', ['addr', verb, address, 'dev', dev]));
    },
    async ipLinkRoute(verb, dst, dev) {
      return outcome(await exec('ip', ['route', verb, dst, 'dev', dev]));
    },
    async routeDevs(dst) {
      const r = await exec('ip', ['-j', 'route', 'show', 'exact', dst]);
      if (r.exitCode !== 0) throw new CommandError(`ip route show exact ${dst} failed: ${firstLine(r.stderr)}`, "check the host's routes (ip route)", 'failed');
      return (JSON.parse(r.stdout || '[]') as { dev?: string }[]).flatMap((x) => (x.dev ? [x.dev] : []));
    },
    async containerNetworks(container) {
      try {
        const c = (await docker().getContainer(container).inspect()) as { NetworkSettings?: { Networks?: Record<string, unknown> } };
        return Object.keys(c.NetworkSettings?.Networks ?? {});
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return null;
        throw dockerFailure(error);
      }
    },
    async dockerConnect(networkId, container) {
      await docker().getNetwork(networkId).connect({ Container: container }).catch((e: unknown) => Promise.reject(dockerFailure(e)));
    },
    async nft(commands, list) {
      if (commands === null) {
        const r = await exec('nft', ['-j', 'list', ...(list ?? ['ruleset'])]);
        return { ...outcome(r), stdout: r.stdout };
      }
      // nft reads JSON input by opening the file it is given, and /dev/stdin cannot be opened on a pipe node made (a
      // socket): the transaction goes through a private temporary file instead.
      const dir = await mkdtemp(join(tmpdir(), 'netdiag-nft-'));
      const file = join(dir, 'change.json');
      let r;
      try {
        await writeFile(file, JSON.stringify({ nftables: commands }), { mode: 0o600 });
        r = await exec('nft', ['-j', '-e', '-a', '-f', file]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      if (/Operation not permitted|Permission denied/i.test(r.stderr)) throw new CommandError('nft: permission denied', 'run netdiag as root', 'permission');
      return { ...outcome(r), stdout: r.stdout };
    },
    async ipBatch(commands) {
      const input = batchInput('ip -batch', commands);
      // 10 s and 1 ms a line: ip spends tens of microseconds on a route, the rest is the kernel and a loaded machine.
      const r = await exec('ip', ['-force', '-batch', '-'], { input, timeoutMs: 10_000 + commands.length });
      const failed = parseBatchErrors(r.stderr);
      // Every line refused for want of privilege: said once, as the one-by-one path says it.
      if (failed.size === commands.length && /Operation not permitted/.test(r.stderr)) throw new CommandError('ip: permission denied', 'run netdiag as root', 'permission');
      // A failure ip did not pin on a line (it could not read its input): nothing can be said of any line.
      if (r.exitCode !== 0 && failed.size === 0) throw new CommandError(`ip -batch failed: ${firstLine(r.stderr)}`, "check the host's routes (ip route)", 'failed');
      return { failed };
    },
    async iptablesRestore(table, commands, v6 = false) {
      const tool = v6 ? 'ip6tables-restore' : 'iptables-restore';
      const input = `*${table}\n${batchInput(tool, commands)}COMMIT\n`;
      // Under the xtables lock like every iptables call; --noflush: only these commands, the rest of the table stays.
      return outcome(await xtables(tool, ['--noflush'], input, commands.length));
    },
    async iptablesList(table, chain, v6 = false) {
      const tool = v6 ? 'ip6tables' : 'iptables';
      const r = await xtables(tool, ['-t', table, '-S', chain]);
      if (r.exitCode !== 0) return null;
      return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
    },
    async dockerDisconnect(networkId, container) {
      await docker().getNetwork(networkId).disconnect({ Container: container, Force: false }).catch((e: unknown) => Promise.reject(dockerFailure(e)));
    },
  };
}

export { firstLine };
