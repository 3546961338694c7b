// --port N/tcp|udp → the flow asked about (ICMP echo when absent).
import type { Flow } from '../snapshot/contract.js';
import { UsageError } from './io.js';

export function parseFlow(port: string | undefined): Flow {
  if (port === undefined) return { proto: 'icmp', port: null };
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(port.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1 || n > 65535) throw new UsageError(`--port takes PORT/tcp or PORT/udp (1-65535), not ${JSON.stringify(port)}`);
  return { proto: (m[2] ?? 'tcp') as 'tcp' | 'udp', port: n };
}
