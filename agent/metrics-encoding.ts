// Which body a scrape gets: the exposition text gzipped when the scraper accepts gzip (Prometheus asks for it on every
// scrape), made once per render. At 500 containers the text is 28 KB and gzipped 4 KB: the bytes each scrape copies
// through the kernel are most of what it costs the agent beyond node's HTTP parsing.
import type { AgentMetrics } from './metrics.js';

/** True when an Accept-Encoding header takes gzip (named, without q=0; `*` is left alone: identity is always acceptable). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name, ...params] = part.split(';');
    if (name?.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The headers a gzipped body adds; Vary on every /metrics response, as the body depends on Accept-Encoding. */
export const GZIP_HEADERS: Readonly<Record<string, string>> = { 'content-encoding': 'gzip', vary: 'accept-encoding' };
export const IDENTITY_HEADERS: Readonly<Record<string, string>> = { vary: 'accept-encoding' };

/** The body a scrape may take now (null: it must wait for a render) and the headers it adds. */
export function readyBody(metrics: AgentMetrics, acceptEncoding: string | string[] | undefined): { bytes: Buffer; headers: Readonly<Record<string, string>> } | null {
  if (acceptsGzip(acceptEncoding)) {
    const gz = metrics.readyGzip();
    return gz ? { bytes: gz, headers: GZIP_HEADERS } : null;
  }
  const bytes = metrics.ready();
  return bytes ? { bytes, headers: IDENTITY_HEADERS } : null;
}
