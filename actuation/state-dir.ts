// Where applied changes are journaled: --state-dir, NETDIAG_STATE_DIR, else /var/lib/netdiag.
import { DEFAULT_STATE_DIR } from './journal.js';

export function stateDir(opt: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return opt || env.NETDIAG_STATE_DIR || DEFAULT_STATE_DIR;
}
