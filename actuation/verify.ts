// Verification after a change: the model on a fresh snapshot, and the live probe from inside A's namespace.
import { probeAll } from '../host/probe.js';
import { buildWorld } from '../rules/model/build.js';
import { probeTargets } from '../rules/query/resolve.js';
import { why } from '../rules/why/why.js';
import type { Flow } from '../snapshot/contract.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import type { Verification } from './apply.js';

export async function verifyReach(collect: () => Promise<HostSnapshot>, from: string, to: string, flow: Flow, progress: (l: string) => void): Promise<Verification> {
  const world = buildWorld([await collect()]);
  const model = why(world, from, to, flow).verdict;
  progress(`probing ${from} → ${to} from inside ${from}'s namespace`);
  const p = await probeAll(from, to, probeTargets(world, from, to), flow);
  return { ok: p.reachable, detail: `probe: ${p.results.map((x) => `${x.ip} ${x.reachable ? 'reachable' : 'blocked'}`).join(', ')}; model: ${model}` };
}
