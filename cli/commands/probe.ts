// `netdiag probe A B`: ping or TCP connect from inside A's network namespace — the ground truth the model answers to.
import { probe } from '../../agent/actuation/probe.js';
import { sandboxKeyOf } from '../../agent/actuation/verify.js';
import type { ProbeResult } from '../../agent/actuation/probe.js';
import { CommandError } from '../../collectors/exec.js';
import { numberToIp } from '../../rules/iptables/addr.js';
import type { ContainerModel, World } from '../../rules/model/types.js';
import { resolve, resolveContainer, ResolveError } from '../../rules/resolve.js';
import type { Flow } from '../../rules/walk/path.js';
import { parseFlow } from '../flow-option.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { loadWorld } from '../sources.js';
import { styleFor } from '../render/style.js';


export interface ProbeAnswer {
  from: string;
  to: string;
  flow: Flow;
  results: ({ ip: string } & ProbeResult)[];
  reachable: boolean;
}

/** Probe every address of B from A (all at once: blocked probes cost their timeout). */
export async function probeAll(world: World, fromText: string, toText: string, flow: Flow, timeoutMs = 2000): Promise<ProbeAnswer> {
  let a: ContainerModel;
  let ips: number[];
  try {
    a = resolveContainer(world, fromText);
    const t = resolve(world, toText);
    ips = t.kind === 'container' ? t.container.endpoints.map((e) => e.ip) : [t.ip];
  } catch (error) {
    if (error instanceof ResolveError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const key = sandboxKeyOf(world, fromText);
  if (key === null && a.netns !== 'host') throw new UsageError(`${a.name} has no network namespace netdiag can enter`, 'is it running?');
  const results = await Promise.all(
    ips.map(async (ip) => {
      try {
        return { ip: numberToIp(ip), ...(await probe({ sandboxKey: key, ip: numberToIp(ip), proto: flow.proto, port: flow.port }, timeoutMs)) };
      } catch (error) {
        if (error instanceof CommandError) throw new UsageError(error.message, error.hint);
        throw error;
      }
    }),
  );
  return { from: fromText, to: toText, flow, results, reachable: results.some((r) => r.reachable === true) };
}

export async function probeCommand(a: string, b: string, opts: { port?: string; json?: boolean; timeout?: string; hostName?: string }, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  const timeoutMs = Number(opts.timeout ?? 2000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, not ${JSON.stringify(opts.timeout)}`);
  const world = await loadWorld({ hostName: opts.hostName }, io);
  const answer = await probeAll(world, a, b, flow, timeoutMs);
  if (opts.json) io.stdout(`${JSON.stringify(answer)}\n`);
  else {
    const st = styleFor(io);
    for (const r of answer.results) io.stdout(`${a} → ${r.ip} (${flow.proto === 'icmp' ? 'ping' : `${flow.port}/${flow.proto}`}): ${st.verdict(r.reachable === null ? 'unknown' : r.reachable ? 'reachable' : 'blocked')} in ${r.ms} ms — ${r.detail}\n`);
  }
  if (answer.results.every((r) => r.reachable === null)) return 3;
  return answer.reachable ? 0 : 1;
}
