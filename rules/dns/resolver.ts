// The way from a container to Docker's embedded resolver, walked: 127.0.0.11:53 through its namespace's NAT to the
// socket dockerd holds there, and the reply back; what resolv.conf says; and where dockerd sends what it does not know.
import type { ContainerModel, World } from '../model/types.js';
import type { AddressVerdict, DnsResolver, DnsStep, Decision } from '../../snapshot/contract.js';
import { DOCKER_DNS } from '../meaning/layouts.js';
import { walkFlow } from '../walk/flow.js';
import { RESOLVER_IP } from '../walk/sandbox-nat.js';

/** The rule a decision cites, as people read it. */
function cited(d: Decision | null): string | null {
  return d?.kind === 'rule' ? `${d.table} ${d.chain} rule ${d.index}: ${d.text}` : null;
}

/** A query from `c` to 127.0.0.11:53 over `proto`, request and reply, as the walk decides it. */
export function resolverPath(world: World, c: ContainerModel, proto: 'udp' | 'tcp' = 'udp'): DnsResolver {
  const address = `${DOCKER_DNS.address}:${DOCKER_DNS.port}/${proto}`;
  const r = walkFlow(world, { kind: 'container', container: c }, RESOLVER_IP, { proto, port: DOCKER_DNS.port }, 0, true);
  // The socket step of the request says where it landed (127.0.0.11:<port>), when a socket took it.
  const sock = r.request.flatMap((h) => h.steps).find((s) => s.type === 'socket' && s.result === 'listening');
  const socket = sock?.type === 'socket' ? sock.socket : null;
  if (r.outcome === 'reachable') {
    return { address, socket, verdict: 'reachable', rule: cited(r.decidedBy), reason: `${c.name}'s namespace sends ${address} to dockerd's resolver at ${socket ?? 'its socket'}${r.decidedBy?.kind === 'rule' ? ` (${r.decidedBy.table} ${r.decidedBy.chain} rule ${r.decidedBy.index})` : ''}, and the answer comes back from ${DOCKER_DNS.address}:${DOCKER_DNS.port}` };
  }
  return { address, socket: null, verdict: r.outcome, rule: null, reason: r.decidedBy?.reason ?? 'netdiag cannot tell' };
}

/** What A's resolv.conf says about using Docker's resolver: a step, or null when it was not collected. */
export function resolvConfStep(c: ContainerModel): DnsStep | null {
  const rc = c.dns?.resolvConf;
  if (!rc) return null;
  const listed = rc.nameservers.includes(DOCKER_DNS.address);
  if (listed) return { kind: 'resolv-conf', verdict: 'reachable', text: `${c.name}'s resolv.conf names ${DOCKER_DNS.address}${rc.nameservers.length > 1 ? ` first of ${rc.nameservers.join(', ')}` : ''}: Docker's embedded resolver` };
  return { kind: 'resolv-conf', verdict: 'blocked', text: `${c.name}'s resolv.conf names ${rc.nameservers.length > 0 ? rc.nameservers.join(', ') : 'no nameserver'}, not Docker's resolver (${DOCKER_DNS.address})` };
}

/** The resolver step from a walked path. */
export function resolverStep(r: DnsResolver): DnsStep {
  return { kind: 'resolver', verdict: r.verdict, text: r.reason };
}

/** The verdict of a path of steps: blocked at the first blocked step, unknown if any is, else reachable. */
export function stepsVerdict(steps: DnsStep[]): AddressVerdict {
  if (steps.some((s) => s.verdict === 'blocked')) return 'blocked';
  return steps.some((s) => s.verdict === 'unknown') ? 'unknown' : 'reachable';
}
