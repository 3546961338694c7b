// Container network namespaces (Docker's SandboxKey) and running commands inside them with nsenter.
import type { CollectContext } from './collector.js';
import { ContainerInspect } from './docker-api.js';
import { firstLine } from './exec.js';
import type { CommandResult } from './exec.js';

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

/** Run a command inside a sandbox's network namespace; a vanished namespace means the container stopped meanwhile. */
export async function execInSandbox(ctx: CollectContext, sandbox: Sandbox, file: string, args: string[]): Promise<CommandResult> {
  const result = await ctx.exec('nsenter', [`--net=${sandbox.sandboxKey}`, file, ...args], { timeoutMs: ctx.timeoutMs });
  if (result.exitCode !== 0 && /nsenter: (cannot open|reassociate)/.test(result.stderr)) {
    throw new SandboxGoneError(`container ${sandbox.name} stopped during collection (${firstLine(result.stderr)})`);
  }
  return result;
}

/** Per-sandbox problems as snapshot error entries: a stopped container is expected churn, anything else is reported with the tool's words. */
export function sandboxProblem(sandbox: Sandbox, error: unknown): { subject: string; message: string; hint: string } {
  if (error instanceof SandboxGoneError) return { subject: sandbox.name, message: error.message, hint: 'collect again; the container is no longer running' };
  const e = error as { message?: string; hint?: string };
  return { subject: sandbox.name, message: `reading container ${sandbox.name}'s namespace: ${e.message ?? String(error)}`, hint: e.hint ?? 'run netdiag as root so it can enter container namespaces (nsenter)' };
}
