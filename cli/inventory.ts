// --inventory FILE: a YAML list of hosts and their agents' URLs (zod-validated).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from './io.js';

export const Inventory = z.object({
  hosts: z
    .array(z.object({ name: z.string().regex(/^[\w.-]+$/, 'a host name has letters, digits, . _ -'), agent: z.url() }).strict())
    .min(1),
});
export type Inventory = z.infer<typeof Inventory>;

export async function readInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the inventory ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const r = Inventory.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`${file}: ${i?.path.join('.') || '(top)'}: ${i?.message}`, 'expected hosts: [{name: h1, agent: http://10.0.0.1:9700}, …]');
  }
  const names = r.data.hosts.map((h) => h.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`${file}: host ${dup} is listed twice`);
  return r.data;
}
