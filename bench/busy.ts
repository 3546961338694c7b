// A lab host that grows: containers on 5 networks (busybox httpd), added in parallel up to a size.
import { mapLimit } from '../collectors/collector.js';
import { Lab, labUnavailable } from '../test/lab/lab.js';
import type { LabHost } from '../test/lab/lab.js';

export interface BusyHost {
  h: LabHost;
  count: number;
}

const NETS = ['n1', 'n2', 'n3', 'n4', 'n5'];

export async function busyHost(lab: Lab, name = 'bench'): Promise<BusyHost> {
  const h = await lab.host(name);
  for (const n of NETS) await h.docker(['network', 'create', n]);
  return { h, count: 0 };
}

/** Add containers c<count>… round-robin over the networks until there are `total`; then let dockerd settle. */
export async function growTo(b: BusyHost, total: number): Promise<void> {
  if (b.count >= total) return;
  process.stderr.write(`bench: growing ${b.h.name} to ${total} containers…\n`);
  const todo = Array.from({ length: total - b.count }, (_, i) => b.count + i);
  await mapLimit(todo, 6, (i) => b.h.run(`c${i}`, { network: NETS[i % NETS.length] }));
  b.count = total;
  await new Promise((r) => setTimeout(r, 3000));
}

/**
 * A driver for one lab bench (`node dist/bench/X-only.js [sizes…]`): a busy host grown to each size in turn (the
 * command line's, else `defaults`), `each` run at it, the lab torn down whatever happens; said and skipped without a lab.
 */
export async function atEachSize(defaults: number[], each: (b: BusyHost, size: number) => Promise<void>): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const why = labUnavailable();
  if (why) return void console.log(`bench: the lab is not available: ${why}`);
  const lab = await Lab.create();
  try {
    const b = await busyHost(lab);
    for (const size of sizes.length ? sizes : defaults) {
      await growTo(b, size);
      await each(b, size);
    }
  } finally {
    await lab.teardown();
  }
}
