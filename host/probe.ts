// The live probe: from inside a container's network namespace, ping or open a TCP connection. Ground truth.
import { join } from 'node:path';
import { packageRoot } from './version.js';
import { CommandError, firstLine, runCommand } from './exec.js';
import type { CommandRunner } from './exec.js';
import type { Flow, ProbeAnswer } from '../snapshot/contract.js';

export interface ProbeTarget {
  /** The container's SandboxKey, or null to probe from the host's own namespace (host network mode). */
  sandboxKey: string | null;
  ip: string;
  proto: 'icmp' | 'tcp' | 'udp';
  port: number | null;
}

export interface ProbeResult {
  reachable: boolean | null;
  ms: number;
  detail: string;
}

// A file of its own (node runs it inside the container's namespace), compiled beside the other modules.
const TCP_CONNECT = join(packageRoot(), 'dist/host/tcp-connect.js');

export async function probe(t: ProbeTarget, timeoutMs = 2000, exec: CommandRunner = runCommand): Promise<ProbeResult> {
  if (t.proto === 'udp') return { reachable: null, ms: 0, detail: 'a UDP probe cannot tell an unanswered datagram from a dropped one; netdiag does not probe UDP' };
  const inNetns = (file: string, args: string[]) => (t.sandboxKey ? exec('nsenter', [`--net=${t.sandboxKey}`, file, ...args], { timeoutMs: timeoutMs + 3000 }) : exec(file, args, { timeoutMs: timeoutMs + 3000 }));
  const t0 = performance.now();
  const r =
    t.proto === 'icmp'
      ? await inNetns('ping', ['-n', '-c', '1', '-W', String(Math.max(1, Math.round(timeoutMs / 1000))), t.ip])
      : await inNetns(process.execPath, [TCP_CONNECT, t.ip, String(t.port), String(timeoutMs)]);
  const ms = Math.round(performance.now() - t0);
  if (/nsenter: failed to execute ping|nsenter: failed to execute .*: No such file/.test(r.stderr)) {
    throw new CommandError('ping not found', 'install the iputils-ping package', 'missing');
  }
  if (/nsenter: (cannot open|reassociate)/.test(r.stderr)) {
    throw new CommandError(`cannot enter the container's namespace: ${firstLine(r.stderr)}`, 'is the container running? netdiag needs root to enter namespaces', 'permission');
  }
  const detail = r.exitCode === 0 ? (t.proto === 'icmp' ? (/time=([\d.]+ ms)/.exec(r.stdout)?.[1] ?? 'echo reply') : 'connected') : firstLine(r.stderr) || firstLine(r.stdout.split('\n').slice(-3).join('\n')) || `exit ${r.exitCode}`;
  return { reachable: r.exitCode === 0, ms, detail };
}

export type { ProbeAnswer };

/** Probe every address of B from inside A's namespace, all at once (a blocked probe costs its whole timeout). */
export async function probeAll(from: string, to: string, where: { sandboxKey: string | null; ips: string[] }, flow: Flow, timeoutMs = 2000): Promise<ProbeAnswer> {
  const results = await Promise.all(where.ips.map(async (ip) => ({ ip, ...(await probe({ sandboxKey: where.sandboxKey, ip, proto: flow.proto, port: flow.port }, timeoutMs)) })));
  return { from, to, flow, results, reachable: results.some((r) => r.reachable === true) };
}
