// Every ordered pair of containers in view, each with a verdict per destination address.
import { numberToIp } from './iptables/addr.js';
import type { ContainerModel, World } from './model/types.js';
import { qualifiedName } from './resolve.js';
import type { AddressVerdict } from './trace.js';
import { walkFlow } from './walk/path.js';
import type { Flow } from './walk/path.js';
import { combine } from './why.js';

export interface MatrixPair {
  from: string;
  to: string;
  verdict: AddressVerdict;
  addresses: { ip: string; verdict: AddressVerdict }[];
}

/** Containers that can be a source: running, with a namespace netdiag read (or the host's). */
export function matrixContainers(world: World): ContainerModel[] {
  return world.hosts.flatMap((h) => h.containers).filter((c) => c.netns !== 'unknown' || c.docker.networkModeKind === 'none');
}

export function matrix(world: World, flow: Flow): MatrixPair[] {
  const cs = matrixContainers(world);
  const pairs: MatrixPair[] = [];
  for (const a of cs) {
    for (const b of cs) {
      if (a === b) continue;
      const addresses = b.endpoints.map((e) => ({ ip: numberToIp(e.ip), verdict: walkFlow(world, { kind: 'container', container: a }, e.ip, flow).outcome }));
      pairs.push({ from: qualifiedName(a, world), to: qualifiedName(b, world), verdict: addresses.length === 0 ? 'unknown' : combine(addresses.map((x) => x.verdict)), addresses });
    }
  }
  return pairs;
}
