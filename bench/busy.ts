// A lab host that grows: containers on 5 networks (busybox httpd), added in parallel up to a size.
import { mapLimit } from '../collectors/collector.js';
import type { Lab, LabHost } from '../test/lab/lab.js';

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
