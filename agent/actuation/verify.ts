// Verification after a change: the model on a fresh snapshot, and the live probe from inside A's namespace.
import type { HostSnapshot } from '../../collectors/snapshot.js';
import { numberToIp } from '../../rules/iptables/addr.js';
import { buildWorld } from '../../rules/model/build.js';
import { resolve, resolveContainer } from '../../rules/resolve.js';
import type { Flow } from '../../rules/walk/path.js';
import { why } from '../../rules/why.js';
import { probe } from './probe.js';
import type { Verification } from './apply.js';

/** The namespace a container's traffic starts in: its sandbox, its netns owner's (container:X), or the host's (null). */
export function sandboxKeyOf(world: ReturnType<typeof buildWorld>, name: string): string | null {
  const c = resolveContainer(world, name);
  if (c.netns === 'host') return null;
  const owner = c.docker.sharesNetnsWith ? c.host.containers.find((x) => x.docker.id === c.docker.sharesNetnsWith) : c;
  return owner?.docker.sandboxKey ?? null;
}

export async function verifyReach(collect: () => Promise<HostSnapshot>, from: string, to: string, flow: Flow, progress: (l: string) => void): Promise<Verification> {
  const world = buildWorld([await collect()]);
  const model = why(world, from, to, flow).verdict;
  const t = resolve(world, to);
  const ips = t.kind === 'container' ? t.container.endpoints.map((e) => e.ip) : [t.ip];
  progress(`probing ${from} → ${to} from inside ${from}'s namespace`);
  const key = sandboxKeyOf(world, from);
  const results = await Promise.all(ips.map(async (ip) => ({ ip: numberToIp(ip), r: await probe({ sandboxKey: key, ip: numberToIp(ip), proto: flow.proto, port: flow.port }) })));
  return { ok: results.some((x) => x.r.reachable === true), detail: `probe: ${results.map((x) => `${x.ip} ${x.r.reachable ? 'reachable' : 'blocked'}`).join(', ')}; model: ${model}` };
}
