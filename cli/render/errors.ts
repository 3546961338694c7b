// Collection problems as one line each, for stderr.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { rootErrors } from '../../rules/query/root-errors.js';

/** One line per problem (not those that only repeat Docker's absence); prefixed with the host when several are in view. */
export function describeErrors(s: HostSnapshot, withHost = false): string[] {
  return rootErrors(s).map((e) => `${withHost ? `${s.name}: ` : ''}${e.collector}${e.subject ? ` (${e.subject})` : ''}: ${e.message} — ${e.hint}`);
}
