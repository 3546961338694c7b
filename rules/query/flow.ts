// The flow a question is about, from what a user types (`--port 5432/tcp`, `?port=53/udp`): ICMP echo when absent.
import type { Flow } from '../../snapshot/contract.js';

export class FlowError extends Error {
  override name = 'FlowError';
}

export const PING: Flow = { proto: 'icmp', port: null };

export const FLOW_SYNTAX = 'PORT/tcp or PORT/udp (1-65535)';

/** N, N/tcp or N/udp with 1 ≤ N ≤ 65535; the CLI's --port and the agent's port field alike. */
export function parseFlow(port: string | undefined | null): Flow {
  if (port === undefined || port === null) return PING;
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(port.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1 || n > 65535) throw new FlowError(`${FLOW_SYNTAX}, not ${JSON.stringify(port.slice(0, 40))}`);
  return { proto: (m[2] ?? 'tcp') as 'tcp' | 'udp', port: n };
}

/** How a flow reads in a sentence: "ping", "5432/tcp". */
export function flowText(f: Flow): string {
  return f.proto === 'icmp' ? 'ping' : `${f.port}/${f.proto}`;
}

/** Which address families a question covers: -4/--ipv4, -6/--ipv6 (or the agent's `family`), both when neither. */
export function parseFamilies(opts: { ipv4?: boolean; ipv6?: boolean; family?: 'ipv4' | 'ipv6' | null }): (4 | 6)[] {
  if (opts.family === 'ipv4') return [4];
  if (opts.family === 'ipv6') return [6];
  if (opts.ipv4 && !opts.ipv6) return [4];
  if (opts.ipv6 && !opts.ipv4) return [6];
  return [4, 6];
}
