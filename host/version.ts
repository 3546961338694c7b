// netdiag's version and where it is installed (the bundle and the compiled modules live at different depths).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NETDIAG_VERSION = '0.1.0';

let root: string | undefined;

/** The package's root: the nearest directory above this code with netdiag's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (root = dir);
}
