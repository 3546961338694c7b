// Where applied changes are journaled: --state-dir, NETDIAG_STATE_DIR, else /var/lib/netdiag.
import { DEFAULT_STATE_DIR } from './journal.js';
import type { Io } from '../cli/io.js';

export function stateDir(opt: string | undefined, io: Io): string {
  return opt ?? io.env.NETDIAG_STATE_DIR ?? DEFAULT_STATE_DIR;
}
