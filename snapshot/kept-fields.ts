// What a snapshot keeps of Docker's free-form fields (labels, driver options, DOCKER_HOST): only what netdiag reads,
// so a snapshot written, shared or served carries no credentials (Traefik's basic-auth hashes, a plugin's API key).
// Data and pure functions only: the collector, the agent serving saved snapshots and rules/ all import this one list.
import type { DockerPart, HostSnapshot } from './host-snapshot.js';

/** The labels Docker Compose puts on every container it creates (compose's own API: api.ProjectLabel, api.ServiceLabel …). */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
} as const;

/**
 * Labels swarm's executor sets on each task's container (moby daemon/cluster/executor/container: the service's and
 * task's names and IDs, the node's ID): names and IDs, never a user's values.
 */
export const SWARM_LABELS = ['com.docker.swarm.service.id', 'com.docker.swarm.service.name', 'com.docker.swarm.task', 'com.docker.swarm.task.id', 'com.docker.swarm.task.name', 'com.docker.swarm.node.id'] as const;

/** Docker's own namespace for networks (moby libnetwork/netlabel: Prefix): bridge, driver and endpoint settings. */
export const DOCKER_NETWORK_PREFIX = 'com.docker.network.';

/** Labels kept by name without being asked: the ones rules/ reads (compose's) and swarm's names; com.docker.network.* ones are kept too. */
export const KEPT_LABELS: readonly string[] = [...Object.values(COMPOSE_LABELS), ...SWARM_LABELS];

/**
 * Options of the built-in drivers that are not under com.docker.network.* (moby libnetwork/drivers: macvlan's
 * parentOpt and driverModeOpt, ipvlan's parentOpt, driverModeOpt and driverFlagOpt, overlay's secureOption). The
 * bridge driver's are all com.docker.network.bridge.* (drivers/bridge/labels.go). Kept only on a network of that driver:
 * a third-party driver's `parent` or `encrypted` may mean anything.
 */
export const BUILTIN_DRIVER_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  macvlan: ['parent', 'macvlan_mode'],
  ipvlan: ['parent', 'ipvlan_mode', 'ipvlan_flag'],
  overlay: ['encrypted'],
};

/**
 * A --keep-labels glob as a matcher: `*` any run of characters (dots too), `?` one character, the rest literal.
 * Case-sensitive, as Docker's label keys are.
 */
export function labelGlob(glob: string): (key: string) => boolean {
  const body = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  const re = new RegExp(`^${body}$`, 's');
  return (key) => re.test(key);
}

/** Why a --keep-labels value cannot be a glob, or null when it can. */
export function labelGlobProblem(glob: string): string | null {
  if (glob.trim() === '') return '--keep-labels takes a glob of label keys (traefik.*), not an empty string';
  // Docker splits --label KEY=VALUE at the first '=': a key never holds one, so this glob could match nothing.
  if (glob.includes('=')) return `--keep-labels matches label keys, not values: ${JSON.stringify(glob)} holds '='`;
  return null;
}

/** Is this label kept: allow-listed, Docker's network namespace, or matched by one of the globs. */
export function labelKept(key: string, keep: readonly ((key: string) => boolean)[] = []): boolean {
  return KEPT_LABELS.includes(key) || key.startsWith(DOCKER_NETWORK_PREFIX) || keep.some((m) => m(key));
}

/** Is this driver option kept: Docker's own (com.docker.network.*), or a built-in driver's on a network of that driver. */
export function optionKept(driver: string, key: string): boolean {
  return key.startsWith(DOCKER_NETWORK_PREFIX) || (BUILTIN_DRIVER_OPTIONS[driver]?.includes(key) ?? false);
}

function keepOf(record: Record<string, string>, kept: (key: string) => boolean): { out: Record<string, string>; dropped: number } {
  const out: Record<string, string> = {};
  let dropped = 0;
  for (const [k, v] of Object.entries(record)) {
    if (kept(k)) out[k] = v;
    else dropped++;
  }
  return { out, dropped };
}

/**
 * A URL without its userinfo (`ssh://user@host`, `tcp://user:secret@host:2376` → `ssh://host`, `tcp://host:2376`):
 * DOCKER_HOST as a snapshot names it. Anything that is not scheme://… is returned as it is.
 */
export function withoutUserinfo(url: string): string {
  return url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#@]*@/, '$1');
}

/** The same in free text (an error message naming DOCKER_HOST): every scheme://user@ becomes scheme://. */
export function textWithoutUserinfo(text: string): string {
  return text.replace(/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#@\s]*@/g, '$1');
}

/**
 * Docker's part as a snapshot may carry it: labels and options filtered, the endpoint without userinfo, and what was
 * dropped added to what an earlier pass dropped (a saved snapshot filtered again when served).
 */
export function keptDocker(d: DockerPart, keepLabels: readonly string[] = []): DockerPart {
  const keep = keepLabels.map(labelGlob);
  let labels = 0;
  let options = 0;
  const label = (k: string) => labelKept(k, keep);
  const networks = d.networks.map((n) => {
    const l = keepOf(n.labels, label);
    const o = keepOf(n.options, (k) => optionKept(n.driver, k));
    labels += l.dropped;
    options += o.dropped;
    return { ...n, labels: l.out, options: o.out };
  });
  const containers = d.containers.map((c) => {
    const l = keepOf(c.labels, label);
    labels += l.dropped;
    return { ...c, labels: l.out };
  });
  const before = d.dropped ?? { labels: 0, options: 0 };
  return { ...d, endpoint: withoutUserinfo(d.endpoint), networks, containers, dropped: { labels: before.labels + labels, options: before.options + options, keepLabels: [...keepLabels] } };
}

/**
 * A whole snapshot as it may be served: Docker's part filtered (keptDocker), and userinfo taken out of the collection
 * errors, which name DOCKER_HOST (a snapshot from before the endpoint was stripped at collection).
 */
export function keptSnapshot(s: HostSnapshot, keepLabels: readonly string[] = []): HostSnapshot {
  return {
    ...s,
    errors: s.errors.map((e) => ({ ...e, message: textWithoutUserinfo(e.message), hint: textWithoutUserinfo(e.hint) })),
    docker: s.docker ? keptDocker(s.docker, keepLabels) : null,
  };
}
