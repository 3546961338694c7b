// Golden files: the expected text of a case, read from disk; written only when the update switch is on.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The golden text `actual` must equal. With `update` the file is (re)written from `actual` first; without it, a missing
 * file is an error: a case whose golden was never committed (or was deleted) would otherwise write one and pass.
 */
export function goldenText(file: string, actual: string, update: boolean): string {
  if (update) writeFileSync(file, actual);
  else if (!existsSync(file)) throw new Error(`golden file ${file} is missing: run NETDIAG_UPDATE_GOLDEN=1 npm test to write it, and review it before committing`);
  return readFileSync(file, 'utf8');
}
