// What the hosts in view could not collect, as the answers carry it: every verdict that depends on a gap is unknown.
import type { Missing } from '../../snapshot/contract.js';
import type { World } from '../model/types.js';

export function missingParts(world: World): Missing[] {
  return world.hosts.flatMap((h) => h.snapshot.errors.map((e) => ({ host: h.name, collector: e.collector, ...(e.subject ? { subject: e.subject } : {}), message: e.message, hint: e.hint })));
}
