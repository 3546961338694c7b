// Collection problems as one line each, for stderr.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';

export function describeErrors(s: HostSnapshot): string[] {
  return s.errors.map((e) => `${e.collector}${e.subject ? ` (${e.subject})` : ''}: ${e.message} — ${e.hint}`);
}
