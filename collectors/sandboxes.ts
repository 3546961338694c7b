// Container network namespaces (Docker's SandboxKey) and running commands inside them with nsenter.
import type { CollectContext } from './collector.js';
import { mapLimit } from './collector.js';
import { ContainerInspect } from './docker-api.js';
import { firstLine } from '../host/exec.js';

export interface Sandbox {
  containerId: string;
  name: string;
  sandboxKey: string;
}

/** Running containers that own a network namespace (host mode shares the host's; container:X mode shares X's). */
export async function ownSandboxes(ctx: CollectContext): Promise<Sandbox[]> {
  const out: Sandbox[] = [];
  for (const c of await ctx.containers()) {
    const r = ContainerInspect.safeParse(c.raw);
    if (!r.success) continue;
    const { State, HostConfig, NetworkSettings, Name } = r.data;
    if (State.Status !== 'running' || !NetworkSettings.SandboxKey) continue;
    if (HostConfig.NetworkMode === 'host' || HostConfig.NetworkMode.startsWith('container:')) continue;
    out.push({ containerId: c.id, name: Name.replace(/^\//, ''), sandboxKey: NetworkSettings.SandboxKey });
  }
  return out;
}

export class SandboxGoneError extends Error {
  override name = 'SandboxGoneError';
}

/** What iproute2 says inside one sandbox: its links with addresses, its routes and its policy rules (raw JSON text). */
export interface SandboxReading {
  sandbox: Sandbox;
  result: { addr: string; routes: string; rules: string } | { error: unknown };
}

// One process per sandbox for all three questions: spawning nsenter is the dominant cost with many containers.
const BATCH = 'addr show\nroute show table all\nrule show\n';
export const SANDBOX_IP_ARGS = ['-j', '-d', '-4', '-batch', '-'];

export async function readSandbox(ctx: CollectContext, sandbox: Sandbox): Promise<SandboxReading> {
  try {
    const r = await ctx.exec('nsenter', [`--net=${sandbox.sandboxKey}`, 'ip', ...SANDBOX_IP_ARGS], { timeoutMs: ctx.timeoutMs, input: BATCH });
    if (r.exitCode !== 0) {
      if (/nsenter: (cannot open|reassociate)/.test(r.stderr) && !/Permission denied/.test(r.stderr)) {
        throw new SandboxGoneError(`container ${sandbox.name} stopped during collection (${firstLine(r.stderr)})`);
      }
      throw new Error(firstLine(r.stderr) || `exit code ${r.exitCode}`);
    }
    // ip -batch prints one JSON document per command, one per line.
    const [addr, routes, rules] = r.stdout.split('\n').filter((l) => l.trim().length > 0);
    if (addr === undefined || routes === undefined || rules === undefined) throw new Error(`ip -batch printed ${JSON.stringify(r.stdout.slice(0, 40))}, not three JSON lists`);
    return { sandbox, result: { addr, routes, rules } };
  } catch (error) {
    return { sandbox, result: { error } };
  }
}

// A read spends most of its time in fork/exec/setns, not on a CPU: measured on a 2-core host with 50 containers,
// 8 in flight took ~1.1 s for the whole snapshot, 64 ~0.9 s. Bounded so a host with 1,000 containers is not forked flat.
const SANDBOX_READS_IN_FLIGHT = 64;

/** Read every sandbox once, shared by the links and routes collectors (like the container inspection). */
export async function readAllSandboxes(ctx: CollectContext): Promise<SandboxReading[]> {
  return mapLimit(await ownSandboxes(ctx), SANDBOX_READS_IN_FLIGHT, (sb) => readSandbox(ctx, sb));
}

/** Per-sandbox problems as snapshot error entries: a stopped container is expected churn, anything else is reported with the tool's words. */
export function sandboxProblem(sandbox: Sandbox, error: unknown): { subject: string; message: string; hint: string } {
  if (error instanceof SandboxGoneError) return { subject: sandbox.name, message: error.message, hint: 'collect again; the container is no longer running' };
  const e = error as { message?: string; hint?: string };
  return { subject: sandbox.name, message: `reading container ${sandbox.name}'s namespace: ${e.message ?? String(error)}`, hint: e.hint ?? 'run netdiag as root so it can enter container namespaces (nsenter)' };
}
