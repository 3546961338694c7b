// Verification after a change: the model on a fresh snapshot, and the live probe from inside A's namespace.
import { probeAll } from '../host/probe.js';
import { familyOf, parseIp } from '../rules/addr/addr.js';
import type { Family } from '../rules/addr/addr.js';
import { buildWorld } from '../rules/model/build.js';
import { probeTargets } from '../rules/query/resolve.js';
import { why } from '../rules/why/why.js';
import type { Flow } from '../snapshot/contract.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import type { Verification } from './apply.js';

/** `collect` gives this host afresh, and with it the other hosts in view when the pair crosses hosts (peers read again). */
export async function verifyReach(collect: () => Promise<HostSnapshot | HostSnapshot[]>, from: string, to: string, flow: Flow, progress: (l: string) => void, families: readonly Family[] = [4, 6]): Promise<Verification> {
  const fresh = await collect();
  const world = buildWorld(Array.isArray(fresh) ? fresh : [fresh]);
  const model = why(world, from, to, flow, families).verdict;
  progress(`probing ${from} → ${to} from inside ${from}'s namespace`);
  // Only B's addresses of the families asked: a fix for -4 is not judged by an IPv6 address it never meant to open.
  const targets = probeTargets(world, from, to);
  const ips = targets.ips.filter((ip) => families.includes(familyOf(parseIp(ip) ?? 0)));
  const p = await probeAll(from, to, { ...targets, ips }, flow);
  return { ok: p.reachable, detail: `probe: ${p.results.map((x) => `${x.ip} ${x.reachable ? 'reachable' : 'blocked'}`).join(', ')}; model: ${model}` };
}
