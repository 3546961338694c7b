// --inventory FILE: a YAML list of hosts and their agents' URLs (zod-validated).
import { z } from 'zod';
import { readUserFile } from './files.js';
import { UsageError } from './io.js';
import { shownPath } from './text.js';

export const Inventory = z.object({
  hosts: z
    .array(z.object({ name: z.string().regex(/^[\w.-]+$/, 'a host name has letters, digits, . _ -'), agent: z.url() }).strict())
    .min(1),
});
export type Inventory = z.infer<typeof Inventory>;

export async function readInventory(file: string): Promise<Inventory> {
  const text = await readUserFile(file, 'inventory', '--inventory');
  // yaml loads only for an inventory: every other command would pay for compiling it at start.
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`the inventory ${shownPath(file)} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const r = Inventory.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`the inventory ${shownPath(file)}: ${i?.path.join('.') || '(top)'}: ${i?.message}`, 'expected hosts: [{name: h1, agent: http://10.0.0.1:9700}, …]');
  }
  const names = r.data.hosts.map((h) => h.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`the inventory ${shownPath(file)}: host ${dup} is listed twice`);
  return r.data;
}
