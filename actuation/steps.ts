// Executes typed plan steps on this host (execFile and the Docker API, never a shell), idempotently, and undoes them.
import type Dockerode from 'dockerode';
import { loadDockerode } from '../host/dockerode-lean.js';
import { describeDockerError } from '../host/docker.js';
import { firstLine, runCommand } from '../host/exec.js';
import type { CommandRunner } from '../host/exec.js';
import type { PlanStep } from '../rules/changes/command.js';
import type { Undo } from './journal.js';

export class StepError extends Error {
  override name = 'StepError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface StepContext {
  exec: CommandRunner;
  docker: () => Dockerode;
  readFile(path: string): Promise<string | null>;
  /** Seconds to wait for the xtables lock before giving up. */
  lockWaitSeconds: number;
}

export function liveStepContext(readFile: StepContext['readFile'], lockWaitSeconds = 5): StepContext {
  let client: Dockerode | undefined;
  return { exec: runCommand, docker: () => (client ??= new (loadDockerode())({ timeout: 15_000 })), readFile, lockWaitSeconds };
}

const LOCK = '/run/xtables.lock';
const LOCK_BUSY = 75;

/**
 * iptables under the xtables lock. iptables-legacy honours `-w` itself; iptables-nft ignores the lock, so netdiag
 * takes it with flock around every call: tools that serialise on it (scripts, firewalld, netdiag itself) never
 * interleave with our changes, whichever backend is in use.
 */
async function iptables(ctx: StepContext, args: string[]): Promise<{ code: number; stderr: string }> {
  const w = String(ctx.lockWaitSeconds);
  const r = await ctx.exec('flock', ['-E', String(LOCK_BUSY), '-w', w, LOCK, 'iptables', '-w', w, ...args], { timeoutMs: (ctx.lockWaitSeconds + 10) * 1000 });
  if (r.exitCode === LOCK_BUSY || /holding the xtables lock/.test(r.stderr)) {
    throw new StepError(`iptables is locked by another program (${LOCK} held for more than ${w} s)`, 'wait for the other program to finish, then run the same command again');
  }
  if (/Permission denied|must be root/i.test(r.stderr)) throw new StepError('iptables: permission denied', 'run netdiag as root');
  return { code: r.exitCode, stderr: r.stderr };
}

const tableArgs = (table: string) => (table === 'filter' ? [] : ['-t', table]);

async function ruleExists(ctx: StepContext, table: string, chain: string, rule: string[]): Promise<boolean> {
  const r = await iptables(ctx, [...tableArgs(table), '-C', chain, ...rule]);
  if (r.code === 0) return true;
  if (/No chain\/target\/match by that name|does not exist/i.test(r.stderr) && !/Bad rule/.test(r.stderr)) {
    throw new StepError(`iptables: chain ${chain} does not exist in table ${table}`, 'Docker creates DOCKER-USER when it starts; is dockerd running with iptables enabled?');
  }
  return false;
}

function dockerFailure(error: unknown): StepError {
  const d = describeDockerError(error, process.env.DOCKER_HOST || 'unix:///var/run/docker.sock');
  return new StepError(d.message, d.hint);
}

/** Do one step; `changed: false` when the host already had it (applying twice changes nothing). */
export async function doStep(ctx: StepContext, step: PlanStep): Promise<{ changed: boolean; undo: Undo }> {
  switch (step.kind) {
    case 'iptables-insert': {
      const undo: Undo = { step: { kind: 'iptables-delete', host: step.host, table: step.table, chain: step.chain, rule: step.rule, position: 1 } };
      if (await ruleExists(ctx, step.table, step.chain, step.rule)) return { changed: false, undo };
      const r = await iptables(ctx, [...tableArgs(step.table), '-I', step.chain, ...step.rule]);
      if (r.code !== 0) throw new StepError(`iptables -I ${step.chain} failed: ${firstLine(r.stderr)}`, 'check the rule with iptables -S');
      return { changed: true, undo };
    }
    case 'iptables-delete': {
      const undo: Undo = { step: { kind: 'iptables-insert', host: step.host, table: step.table, chain: step.chain, rule: step.rule }, note: `re-insert at position ${step.position}` };
      if (!(await ruleExists(ctx, step.table, step.chain, step.rule))) return { changed: false, undo };
      const r = await iptables(ctx, [...tableArgs(step.table), '-D', step.chain, ...step.rule]);
      if (r.code !== 0) throw new StepError(`iptables -D ${step.chain} failed: ${firstLine(r.stderr)}`, 'check the rule with iptables -S');
      return { changed: true, undo };
    }
    case 'sysctl': {
      const path = `/proc/sys/${step.key.replaceAll('.', '/')}`;
      const before = (await ctx.readFile(path))?.trim();
      if (before === undefined) throw new StepError(`sysctl ${step.key} does not exist here`, 'load the module that provides it');
      const undo: Undo = { step: { ...step, value: before } };
      if (before === step.value) return { changed: false, undo };
      const r = await ctx.exec('sysctl', ['-w', `${step.key}=${step.value}`]);
      if (r.exitCode !== 0) throw new StepError(`sysctl -w ${step.key} failed: ${firstLine(r.stderr)}`, 'run netdiag as root');
      return { changed: true, undo };
    }
    case 'docker-network-connect': {
      const undo: Undo = { step: null, note: `disconnect ${step.containerName} from ${step.network}` };
      try {
        const c = (await ctx.docker().getContainer(step.container).inspect()) as { NetworkSettings?: { Networks?: Record<string, unknown> } };
        if (c.NetworkSettings?.Networks && step.network in c.NetworkSettings.Networks) return { changed: false, undo };
        await ctx.docker().getNetwork(step.networkId).connect({ Container: step.container });
      } catch (error) {
        throw dockerFailure(error);
      }
      return { changed: true, undo };
    }
    case 'ip-route-add': {
      const undo: Undo = { step: null, note: `ip route del ${step.dst} via ${step.via}` };
      const r = await ctx.exec('ip', ['route', 'add', step.dst, 'via', step.via, ...(step.dev ? ['dev', step.dev] : [])]);
      if (r.exitCode !== 0) {
        if (/File exists/.test(r.stderr)) return { changed: false, undo };
        throw new StepError(`ip route add ${step.dst} failed: ${firstLine(r.stderr)}`, 'check the host\'s routes (ip route)');
      }
      return { changed: true, undo };
    }
  }
}

/** Undo one step. Whatever is already gone (a rule Docker's restart removed, a disconnected endpoint) is not an error. */
export async function undoStep(ctx: StepContext, step: PlanStep, undo: Undo | null): Promise<{ changed: boolean }> {
  switch (step.kind) {
    case 'iptables-insert': {
      if (!(await ruleExists(ctx, step.table, step.chain, step.rule))) return { changed: false };
      const r = await iptables(ctx, [...tableArgs(step.table), '-D', step.chain, ...step.rule]);
      if (r.code !== 0) throw new StepError(`iptables -D ${step.chain} failed: ${firstLine(r.stderr)}`, 'check the rule with iptables -S');
      return { changed: true };
    }
    case 'iptables-delete': {
      if (await ruleExists(ctx, step.table, step.chain, step.rule)) return { changed: false };
      const r = await iptables(ctx, [...tableArgs(step.table), '-I', step.chain, String(step.position), ...step.rule]);
      if (r.code !== 0) {
        // The chain got shorter meanwhile: put it back at the end rather than nowhere.
        const again = await iptables(ctx, [...tableArgs(step.table), '-A', step.chain, ...step.rule]);
        if (again.code !== 0) throw new StepError(`iptables could not restore the rule: ${firstLine(again.stderr)}`, 'restore it by hand from the journal');
      }
      return { changed: true };
    }
    case 'sysctl': {
      const previous = undo?.step?.kind === 'sysctl' ? undo.step.value : null;
      if (previous === null) return { changed: false };
      const path = `/proc/sys/${step.key.replaceAll('.', '/')}`;
      if ((await ctx.readFile(path))?.trim() === previous) return { changed: false };
      const r = await ctx.exec('sysctl', ['-w', `${step.key}=${previous}`]);
      if (r.exitCode !== 0) throw new StepError(`sysctl -w ${step.key} failed: ${firstLine(r.stderr)}`, 'run netdiag as root');
      return { changed: true };
    }
    case 'docker-network-connect': {
      try {
        const c = (await ctx.docker().getContainer(step.container).inspect()) as { NetworkSettings?: { Networks?: Record<string, unknown> } };
        if (!c.NetworkSettings?.Networks || !(step.network in c.NetworkSettings.Networks)) return { changed: false };
        await ctx.docker().getNetwork(step.networkId).disconnect({ Container: step.container, Force: false });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return { changed: false };
        throw dockerFailure(error);
      }
      return { changed: true };
    }
    case 'ip-route-add': {
      const r = await ctx.exec('ip', ['route', 'del', step.dst, 'via', step.via]);
      if (r.exitCode !== 0) {
        if (/No such process|not found/i.test(r.stderr)) return { changed: false };
        throw new StepError(`ip route del ${step.dst} failed: ${firstLine(r.stderr)}`, 'check the host\'s routes (ip route)');
      }
      return { changed: true };
    }
  }
}
