// The machine a bench ran on, printed first: figures mean little without the cores, CPU, memory, kernel and node they
// were measured on (and whether anything else was running: the load average at start).
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() || 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  return `machine: ${availableParallelism()} cores (${cpu}), ${gib} GiB, Linux ${release()}, node ${process.versions.node}; load average at start ${load}`;
}
