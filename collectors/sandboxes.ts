// Container network namespaces (Docker's SandboxKey) and running commands inside them with nsenter.
import type { CollectContext, Sandbox, SandboxReading } from './collector.js';
import { mapLimit } from './collector.js';
import { parseInspect } from './docker-api.js';
import type { ContainerInspect } from './docker-api.js';
import { firstLine } from '../host/exec.js';
import type { CommandResult } from '../host/exec.js';
import { SANDBOX_BATCH, SANDBOX_IP6_ARGS, SANDBOX_IP_ARGS, inNamespace, ownNamespace } from './first-reads.js';


/**
 * Running containers that own a network namespace (host mode shares the host's; container:X mode shares X's), with
 * their inspection as parsed here, for collectors that need more of it than the namespace.
 */
export async function inspectedSandboxes(ctx: CollectContext): Promise<{ sandbox: Sandbox; inspect: ContainerInspect }[]> {
  const out: { sandbox: Sandbox; inspect: ContainerInspect }[] = [];
  for (const c of await ctx.containers()) {
    const r = parseInspect(c.raw);
    if (!r.success) continue;
    const ns = ownNamespace(r.data);
    if (!ns) continue;
    out.push({ sandbox: { containerId: c.id, name: r.data.Name.replace(/^\//, ''), ...ns }, inspect: r.data });
  }
  return out;
}

/** Running containers that own a network namespace. */
export async function ownSandboxes(ctx: CollectContext): Promise<Sandbox[]> {
  return (await inspectedSandboxes(ctx)).map((x) => x.sandbox);
}

export class SandboxGoneError extends Error {
  override name = 'SandboxGoneError';
}

/**
 * Run `file args` inside a sandbox's network namespace. A namespace gone away (the container stopped meanwhile) is
 * thrown as SandboxGoneError, told apart from being refused entry; any other failure is the caller's to word.
 */
export async function inSandbox(ctx: CollectContext, sandbox: Sandbox, file: string, args: readonly string[], input?: string): Promise<CommandResult> {
  const read = inNamespace(sandbox.sandboxKey, file, args, input);
  const r = await ctx.exec(read.file, read.args, { timeoutMs: ctx.timeoutMs, ...(input === undefined ? {} : { input }) });
  if (r.exitCode !== 0 && /nsenter: (cannot open|reassociate)/.test(r.stderr) && !/Permission denied/.test(r.stderr)) {
    throw new SandboxGoneError(`container ${sandbox.name} stopped during collection (${firstLine(r.stderr)})`);
  }
  return r;
}


// The batches' arguments and input: collectors/first-reads.ts (one process per sandbox for all four listings).

/** The IPv6 addresses (ip -6 addr) added to each link of the IPv4 listing, matched by ifindex. */
function mergeAddresses(addr4: string, addr6: string): string {
  const links4 = JSON.parse(addr4) as { ifindex: number; addr_info?: unknown[] }[];
  const links6 = JSON.parse(addr6) as { ifindex: number; addr_info?: unknown[] }[];
  for (const l of links4) l.addr_info = [...(l.addr_info ?? []), ...(links6.find((x) => x.ifindex === l.ifindex)?.addr_info ?? [])];
  return JSON.stringify(links4);
}

/** One `ip -batch` inside the sandbox: its addresses, routes, policy rules and neighbours, one JSON document per line. */
async function ipBatch(ctx: CollectContext, sandbox: Sandbox, args: readonly string[]): Promise<[addr: string, routes: string, rules: string, neigh: string]> {
  const r = await inSandbox(ctx, sandbox, 'ip', args, SANDBOX_BATCH);
  if (r.exitCode !== 0) throw new Error(firstLine(r.stderr) || `exit code ${r.exitCode}`);
  const [addr, routes, rules, neigh] = r.stdout.split('\n').filter((l) => l.trim().length > 0);
  if (addr === undefined || routes === undefined || rules === undefined || neigh === undefined) throw new Error(`ip ${args.join(' ')} printed ${JSON.stringify(r.stdout.slice(0, 40))}, not four JSON lists`);
  return [addr, routes, rules, neigh];
}

export async function readSandbox(ctx: CollectContext, sandbox: Sandbox): Promise<SandboxReading> {
  try {
    const [[addr, routes, rules, neigh], v6] = await Promise.all([ipBatch(ctx, sandbox, SANDBOX_IP_ARGS), sandbox.ipv6 ? ipBatch(ctx, sandbox, SANDBOX_IP6_ARGS) : null]);
    if (v6 === null) return { sandbox, result: { addr, routes, rules, neigh, routes6: null, rules6: null, neigh6: null } };
    const [addr6, routes6, rules6, neigh6] = v6;
    return { sandbox, result: { addr: mergeAddresses(addr, addr6), routes, rules, neigh, routes6, rules6, neigh6 } };
  } catch (error) {
    return { sandbox, result: { error } };
  }
}

// A read spends most of its time in fork/exec/setns, not on a CPU: measured on a 2-core host with 50 containers,
// 8 in flight took ~1.1 s for the whole snapshot, 64 ~0.9 s. Bounded so a host with 1,000 containers is not forked flat.
const SANDBOX_READS_IN_FLIGHT = 64;

/** Read every sandbox once, shared by the links and routes collectors (like the container inspection). */
export async function readAllSandboxes(ctx: CollectContext): Promise<SandboxReading[]> {
  const entered = (await ctx.namespacesEntered?.()) ?? null;
  const own = (await ownSandboxes(ctx)).filter((sb) => entered === null || entered.has(sb.containerId));
  return mapLimit(own, SANDBOX_READS_IN_FLIGHT, (sb) => readSandbox(ctx, sb));
}

/** Per-sandbox problems as snapshot error entries: a stopped container is expected churn, anything else is reported with the tool's words. */
export function sandboxProblem(sandbox: Sandbox, error: unknown): { subject: string; message: string; hint: string } {
  if (error instanceof SandboxGoneError) return { subject: sandbox.name, message: error.message, hint: 'collect again; the container is no longer running' };
  const e = error as { message?: string; hint?: string };
  return { subject: sandbox.name, message: `reading container ${sandbox.name}'s namespace: ${e.message ?? String(error)}`, hint: e.hint ?? 'run netdiag as root so it can enter container namespaces (nsenter)' };
}
