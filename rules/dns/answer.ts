// `why A 127.0.0.11 --port 53/udp`: Docker's embedded DNS as the answer's name part — the way to dockerd's resolver
// from A, what it answers itself, and where it forwards the rest (each upstream walked from where dockerd queries it).
import type { ContainerModel, World } from '../model/types.js';
import type { Flow, WhyAnswer } from '../../snapshot/contract.js';
import type { Target } from '../query/resolve.js';
import { DOCKER_DNS } from '../meaning/layouts.js';
import { RESOLVER_IP } from '../walk/sandbox-nat.js';
import { resolvConfStep, resolverPath, resolverStep } from './resolver.js';
import { upstreams } from './upstreams.js';

/** A question to Docker's resolver address on port 53 (UDP or TCP). */
export function isResolverQuestion(t: Target, flow: Flow): boolean {
  return t.kind !== 'container' && t.ip === RESOLVER_IP && flow.port === DOCKER_DNS.port && flow.proto !== 'icmp';
}

export function resolverAnswer(world: World, a: ContainerModel, asked: string, proto: 'udp' | 'tcp'): WhyAnswer['dns'] {
  const owner = a.host.containers.find((c) => c.docker.id === a.netnsOwnerId) ?? a;
  const resolver = resolverPath(world, owner, proto);
  const rc = resolvConfStep(owner);
  const steps = [...(rc ? [rc] : []), resolverStep(resolver)];
  const nets = owner.endpoints.map((e) => e.network).filter((n) => n !== null && !n.isDefaultBridge && n.driver !== 'host' && n.driver !== 'null').map((n) => n!.name);
  const up = resolver.verdict === 'blocked' ? [] : upstreams(world, owner);
  if (nets.length > 0 && resolver.verdict !== 'blocked') steps.push({ kind: 'answer', verdict: 'reachable', text: `dockerd answers the names of containers on ${[...new Set(nets)].join(', ')} (their names, aliases and short IDs) itself` });
  if (typeof up === 'string') steps.push({ kind: 'forward', verdict: 'unknown', text: `other names are forwarded upstream; netdiag cannot tell where: ${up}` });
  else if (resolver.verdict !== 'blocked') {
    const list = up.map((u) => `${u.address} (${u.verdict === 'reachable' ? u.reason : `${u.verdict}: ${u.reason}`})`).join('; ');
    const verdict = up.some((u) => u.verdict === 'reachable') ? 'reachable' : up.some((u) => u.verdict === 'unknown') ? 'unknown' : 'blocked';
    steps.push({ kind: 'forward', verdict, text: up.length > 0 ? `other names are forwarded to ${list}` : 'other names have nowhere to go: dockerd has no upstream server (the host lists none)' });
  }
  // Blocked: the advice is Docker's, not the network's — its resolver exists only for containers on user-defined networks.
  const advice = nets.length === 0 ? `: Docker runs its resolver only for containers on user-defined networks (docker network create app && docker network connect app ${owner.name})` : `: dockerd writes these rules and opens its socket when the container starts (docker restart ${owner.name})`;
  const note = resolver.verdict === 'reachable' ? `Docker's embedded DNS serves ${owner.name} at ${resolver.address} (${resolver.socket ?? 'dockerd\'s socket'})` : resolver.verdict === 'blocked' ? `no Docker DNS at ${resolver.address} in ${owner.name}${advice}` : resolver.reason;
  return { resolves: false, name: asked, via: null, network: null, addresses: [], note, steps, resolver, upstreams: typeof up === 'string' ? [] : up };
}
