// Fix: `docker network connect`, either container joining the other's network (each way opens something different).
import type { FixPersistence } from '../../../snapshot/contract.js';
import { COMPOSE_LABELS } from '../../meaning/layouts.js';
import type { ContainerModel } from '../../model/types.js';
import { fixId } from './candidate.js';
import type { Candidate } from './candidate.js';

/**
 * Docker keeps an endpoint in the container's own configuration: it outlives daemon restarts and reboots (with the
 * container). Compose does not: `docker compose up` recreates a changed service from its file, without it.
 */
function connectPersistence(c: ContainerModel, network: string, defaultBridge: boolean): FixPersistence {
  const service = c.docker.labels[COMPOSE_LABELS.service];
  // Compose puts a service on the default bridge only as network_mode: bridge, which excludes every other network.
  if (service && defaultBridge) return { daemonRestart: true, reboot: true, keep: `Kept with the container; but compose recreates ${c.name} from its file, and compose cannot add the default bridge beside its own networks (only network_mode: bridge, alone): the next \`docker compose up\` drops it. Put both on a network compose defines instead.` };
  return {
    daemonRestart: true,
    reboot: true,
    keep: service
      ? `Kept with the container; but compose recreates ${c.name} from its file: add ${network} to service ${service}'s networks: (as an external network) or the next \`docker compose up\` drops it.`
      : `Kept with the container (docker inspect shows it), until the container is removed: recreate it with --network ${network} as well.`,
  };
}

/** Whether Docker lets `c` join another network: only a container with a namespace of its own on a network driver. */
export function connectable(c: ContainerModel): boolean {
  return c.docker.networkModeKind === 'bridge' || c.docker.networkModeKind === 'network';
}

export function networkConnects(a: ContainerModel, b: ContainerModel): Candidate[] {
  const out: Candidate[] = [];
  // Either container can join the other's network; each way opens something different (one direction only).
  for (const [joiner, other] of [[a, b], [b, a]] as const) {
    // Docker refuses to connect a container that shares another's namespace, the host's, or has none (--network
    // container:X, host, none): such a container cannot join a network.
    if (!connectable(joiner)) continue;
    const seen = new Set<string>();
    for (const ep of other.endpoints) {
      const n = ep.network;
      // A dual-stack network is one network with two addresses: one candidate.
      if (!n || seen.has(n.id) || joiner.endpoints.some((e) => e.network?.id === n.id)) continue;
      // A standalone container may join a swarm overlay only when it was created --attachable (never ingress); on
      // another host only a swarm-scoped network is the same network (a local one there is another of that name).
      if (n.driver === 'overlay' && (!n.attachable || n.ingress)) continue;
      if (joiner.host !== other.host && n.scope !== 'swarm') continue;
      seen.add(n.id);
      out.push({
        id: fixId(['connect', joiner.host.name, joiner.docker.id, n.id]),
        kind: 'network-connect',
        title: `connect ${joiner.name} to ${n.name}`,
        steps: [{ kind: 'docker-network-connect', host: joiner.host.name, network: n.name, networkId: n.id, container: joiner.docker.id, containerName: joiner.name }],
        scope: joiner === a ? `${a.name} joins ${n.name}: it can reach every container there, and they can reach it at its new address` : `${b.name} joins ${n.name}: every container there can reach it at its new address`,
        note:
          joiner === a
            ? `This lets ${a.name} reach ${b.name}. ${b.name} reaching ${a.name}'s original address still needs ${b.name} connected to ${a.name}'s network too (docker network connect fixes one direction only).`
            : `${a.name} then reaches ${b.name} at its new address on ${n.name}, not at its current ones.`,
        discouraged: false,
        persistence: connectPersistence(joiner, n.name, n.isDefaultBridge),
      });
    }
  }
  return out;
}
