// Talking to agents: the bearer token (--token-file or NETDIAG_TOKEN) and one-line errors that name the agent.
import { readUserFile } from './files.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';

export async function agentToken(file: string | undefined, io: Io): Promise<string> {
  if (file) {
    return (await readUserFile(file, 'token file', '--token-file')).trim();
  }
  const t = io.env.NETDIAG_TOKEN?.trim();
  if (!t) throw new UsageError('changes through agents need their token', 'give --token-file FILE or set NETDIAG_TOKEN');
  return t;
}

export interface AgentReply {
  status: number;
  body: Record<string, unknown>;
}

export async function postToAgent(base: string, path: string, token: string, body: unknown | null, timeoutMs = 120_000): Promise<AgentReply> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
      body: body === null ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { status: 0, body: { error: 'unreachable', message: `cannot reach the agent at ${base}: ${fetchFailure(error)}` } };
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: 'bad reply', message: text.slice(0, 200) } };
  }
}

/** Why fetch failed, in words: the cause's code (ECONNREFUSED …), else its message ("bad port"), else the error's. */
export function fetchFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  // The fetch standard refuses some ports outright (9, 25, 6000 …): say so rather than "bad port".
  return why === 'bad port' ? 'bad port: the fetch standard refuses to connect to this port; run the agent on another (9700)' : why;
}
