// Collection problems as one line each, for stderr.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';

/** One line per problem; prefixed with the host when several are in view. */
export function describeErrors(s: HostSnapshot, withHost = false): string[] {
  return s.errors.map((e) => `${withHost ? `${s.name}: ` : ''}${e.collector}${e.subject ? ` (${e.subject})` : ''}: ${e.message} — ${e.hint}`);
}
