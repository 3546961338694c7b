// Docker's first reads of a whole-host collection, asked before the collectors' code has loaded.
import { dockerSource } from './docker.js';
import type { DockerSource } from './docker.js';

/**
 * `netdiag snapshot` spent ~50 ms loading the collectors, zod and the contract's schemas before it asked Docker
 * anything, while Docker's chain (the list, then every container's inspect, then each namespace entered) is the
 * collection's longest. These are the reads a collection of the whole host always starts with, asked at once: the
 * version, the networks, the container list and, as soon as the list answers, the inspect of every container in it
 * (what the docker collector inspects when no question narrows it). Each answer is handed out once, to the first
 * call that asks for it; any later call asks Docker again, as it would have. GET /info, the Engine API's slowest read,
 * is asked now too and once only (the swarm collector of a whole-host collection always asks it, the docker collector
 * of a daemon that reports its firewall backend); so is GET /networks, which the docker collector and a swarm node's
 * swarm collector both read (collectors/run.ts's onceInfo shares them so for a collection without early reads). `on` hears the list and each inspection as they answer, so reads
 * that depend on them (a container's namespace) can start before the collectors have loaded.
 */
export function earlyDockerSource(
  timeoutMs: number,
  live: DockerSource = dockerSource(timeoutMs),
  on: { list?(list: unknown[]): void; inspected?(inspect: unknown): void } = {},
): DockerSource {
  const early = new Map<string, Promise<unknown>>();
  const start = (key: string, p: Promise<unknown>) => {
    // Nobody may ever ask (a collector that failed first): its failure is the collector's to report, not the process's.
    p.catch(() => undefined);
    early.set(key, p);
    return p;
  };
  const take = (key: string, ask: () => Promise<unknown>): Promise<unknown> => {
    const p = early.get(key);
    if (!p) return ask();
    early.delete(key);
    return p;
  };
  start('version', live.version());
  const networks = live.listNetworks();
  networks.catch(() => undefined);
  const info = live.info();
  info.catch(() => undefined);
  start('listContainers', live.listContainers()).then((list) => {
    if (!Array.isArray(list)) return;
    on.list?.(list);
    for (const c of list as { Id?: unknown }[]) {
      if (typeof c?.Id !== 'string') continue;
      const inspect = start(`inspectContainer ${c.Id}`, live.inspectContainer(c.Id));
      if (on.inspected) inspect.then(on.inspected, () => undefined);
    }
  }, () => undefined);
  return {
    endpoint: live.endpoint,
    version: () => take('version', () => live.version()),
    info: () => info,
    listNetworks: () => networks,
    listContainers: () => take('listContainers', () => live.listContainers()),
    inspectContainer: (id) => take(`inspectContainer ${id}`, () => live.inspectContainer(id)),
    inspectNetwork: (id) => live.inspectNetwork(id),
    listServices: () => live.listServices(),
  };
}
