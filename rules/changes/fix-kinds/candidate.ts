// What every kind of fix proposes before it is predicted: its steps, scope and note, and an ID stable for the same change.
import type { Fix, FixPersistence } from '../../../snapshot/contract.js';
import { shortHash } from '../../steps/hash.js';

export type Candidate = Omit<Fix, 'alsoOpens' | 'alsoOpensNotRead' | 'predicted' | 'commands' | 'byName' | 'rollback'>;

/** A fix's ID: stable for the same change on the same host, so applying it twice is recognised. */
export const fixId = (parts: string[]) => `fx-${shortHash(parts.join('\u0000'))}`;

/** Several changes made as one fix last as long as the least lasting of them; `keep` says how to keep them all. */
export function leastLasting(parts: FixPersistence[], keep: string): FixPersistence {
  return { daemonRestart: parts.every((p) => p.daemonRestart), reboot: parts.every((p) => p.reboot), keep };
}
