// Talking to agents: the bearer token (--token-file or NETDIAG_TOKEN) and one-line errors that name the agent.
import { readFile } from 'node:fs/promises';
import type { Io } from './io.js';
import { UsageError } from './io.js';

export async function agentToken(file: string | undefined, io: Io): Promise<string> {
  if (file) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new UsageError(`cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
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
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { status: 0, body: { error: 'unreachable', message: `cannot reach the agent at ${base}: ${cause}` } };
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: 'bad reply', message: text.slice(0, 200) } };
  }
}
