// Compose's names for containers, read from the labels `docker compose` puts on every container it creates: the
// service (`web`) and the project-service pair (`shop-web`, as Compose v2 names containers; `shop_web`, as v1 did).
import type { ContainerModel } from '../model/types.js';
import { COMPOSE_LABELS } from '../meaning/layouts.js';

const { project: PROJECT, service: SERVICE, number: NUMBER, oneoff: ONEOFF } = COMPOSE_LABELS;

export interface ComposeName {
  project: string;
  service: string;
  /** The replica's number (1 for the first); null when the label is absent. */
  number: number | null;
}

/** A container's compose identity; null for one compose did not create, or a one-off (`docker compose run`). */
export function composeOf(c: ContainerModel): ComposeName | null {
  const l = c.docker.labels;
  const project = l[PROJECT];
  const service = l[SERVICE];
  if (!project || !service || l[ONEOFF]?.toLowerCase() === 'true') return null;
  const n = Number(l[NUMBER]);
  return { project, service, number: Number.isInteger(n) && n > 0 ? n : null };
}

/** The ways a compose container's service is typed: service, project-service, project_service. */
export function serviceWords(n: ComposeName): string[] {
  return [n.service, `${n.project}-${n.service}`, `${n.project}_${n.service}`];
}

export type ServiceMatch = { kind: 'none' } | { kind: 'one'; container: ContainerModel } | { kind: 'ambiguous'; message: string; hint: string };

/**
 * What `word` names as a compose service among `cs`. Like `docker compose exec web`: the service's replica #1; one
 * replica when only one runs; otherwise (replica #1 not running, or the service in several projects) an error naming
 * the candidates — netdiag does not pick among containers that may sit on different networks.
 */
export function byService(cs: ContainerModel[], word: string): ServiceMatch {
  const hits = cs.flatMap((c) => {
    const n = composeOf(c);
    return n && serviceWords(n).includes(word) ? [{ c, n }] : [];
  });
  if (hits.length === 0) return { kind: 'none' };
  const projects = [...new Set(hits.map((h) => `${h.c.host.name}\u0000${h.n.project}`))];
  if (projects.length > 1) {
    return { kind: 'ambiguous', message: `service ${word} is in ${projects.length} compose projects: ${hits.map((h) => `${h.n.project}-${h.n.service} (${h.c.host.name}/${h.c.name})`).join(', ')}`, hint: 'name it as PROJECT-SERVICE (HOST/PROJECT-SERVICE across hosts), or by container name' };
  }
  if (hits.length === 1) return { kind: 'one', container: (hits[0] as { c: ContainerModel }).c };
  const first = hits.find((h) => h.n.number === 1);
  if (first) return { kind: 'one', container: first.c };
  const sorted = [...hits].sort((x, y) => (x.n.number ?? 0) - (y.n.number ?? 0));
  return { kind: 'ambiguous', message: `service ${word} has ${hits.length} replicas and #1 is not running: ${sorted.map((h) => h.c.name).join(', ')}`, hint: 'name one replica by its container name' };
}
