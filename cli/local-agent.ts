// `why` answered by this host's own agent when it holds a fresh snapshot of this host: the agent has already read
// every container, so asking it costs a loopback round trip where collecting costs a process per container.
import { z } from 'zod';
import type { AgentTarget } from './agent-access.js';
import { agentTargets } from './agent-access.js';
import { askAgent } from './agent-client.js';
import type { AgentAnswer } from './agent-client.js';
import type { SourceOptions } from './sources.js';
import type { Io } from './io.js';
import { usageErrorOf } from './io.js';
import { hostNameOf } from '../host/identity.js';
// Where to ask is decided by a module of its own, read before this one (and zod) loads: the quick path asks it first.
import { localAgentUrl } from './local-agent-url.js';

/**
 * Deadlines: the status is a few bytes from a process on this host (refused is instant). An agent in the middle of a
 * refresh on 500 containers holds its event loop for a few hundred ms while it builds the model (seen in the lab bench
 * at 200): waiting that long still beats collecting such a host. The answer may be a walk not memoised yet.
 */
export const STATUS_TIMEOUT_MS = 1_000;
export const ANSWER_TIMEOUT_MS = 3_000;

/** What /v1/status says that the decision needs (the agent's own schema is agent/'s; the CLI reads only these). */
const Status = z.looseObject({
  mode: z.enum(['live', 'snapshot']),
  refreshSeconds: z.number().positive().nullable().optional(),
  hosts: z.array(z.looseObject({ name: z.string(), ageSeconds: z.number().nonnegative(), stale: z.boolean(), collectors: z.record(z.string(), z.looseObject({ status: z.string() })) })),
});
type Status = z.infer<typeof Status>;

export type Freshness = { fresh: true; ageSeconds: number; partial: boolean } | { fresh: false; reason: string };

/**
 * Whether the agent's snapshot is this host's latest: live (not saved files), of one host named as this host is named,
 * not stale (its last collection did not fail), and younger than its refresh interval (Docker's events refresh it
 * sooner; a snapshot older than the interval means the agent fell behind).
 */
export function judgeStatus(body: unknown, hostName: string): Freshness {
  const r = Status.safeParse(body);
  if (!r.success) return { fresh: false, reason: 'its /v1/status is not one this netdiag reads' };
  const s: Status = r.data;
  if (s.mode !== 'live') return { fresh: false, reason: 'it serves saved snapshots, not this host live' };
  const [h, ...more] = s.hosts;
  if (!h || more.length > 0) return { fresh: false, reason: `it serves ${s.hosts.length} hosts` };
  if (h.name !== hostName) return { fresh: false, reason: `it serves host ${JSON.stringify(h.name)}, this host is ${JSON.stringify(hostName)} (--host-name / NETDIAG_HOST_NAME)` };
  if (h.stale) return { fresh: false, reason: 'its last collection failed (it serves an older snapshot)' };
  if (s.refreshSeconds === null || s.refreshSeconds === undefined) return { fresh: false, reason: 'it does not say how often it refreshes' };
  if (h.ageSeconds > s.refreshSeconds) return { fresh: false, reason: `its snapshot is ${Math.round(h.ageSeconds)} s old, older than its refresh interval (${s.refreshSeconds} s)` };
  return { fresh: true, ageSeconds: h.ageSeconds, partial: Object.values(h.collectors).some((c) => c.status !== 'ok') };
}

/** A `why` as the agent's /v1/why and /v1/fixes take it: B's family only when one alone was asked for. */
export interface AgentQuestion {
  from: string;
  to: string;
  port?: string;
  family?: 'ipv4' | 'ipv6';
}

export function agentQuestion(from: string, to: string, port: string | undefined, families: readonly (4 | 6)[]): AgentQuestion {
  return { from, to, ...(port ? { port } : {}), ...(families.length === 1 ? { family: families[0] === 4 ? 'ipv4' as const : 'ipv6' as const } : {}) };
}

export interface LocalAnswer {
  /** The agent's /v1/why answer, as it sent it (the CLI's own --json). */
  text: string;
  /** What it answered: anything more asked of the agent about it (the fixes) is asked of the same question. */
  question: AgentQuestion;
  ageSeconds: number;
  partial: boolean;
  target: AgentTarget;
}

/** Why the local agent did not answer (null: no agent asked). */
export interface NotAnswered {
  reason: string;
  explicit: boolean;
}

const reasonOf = (error: unknown) => usageErrorOf(error)?.message ?? (error instanceof Error ? error.message : String(error));

/**
 * Ask the local agent, status and answer at once (one round trip's wait): its answer when its snapshot is fresh,
 * else why not. `ask` is the HTTP client (tests pass their own).
 */
export async function askLocalAgent(
  q: AgentQuestion,
  opts: SourceOptions & { noAgent?: boolean },
  io: Io,
  ask: typeof askAgent = askAgent,
): Promise<LocalAnswer | NotAnswered | null> {
  const where = localAgentUrl(opts, io.env);
  if (!where) return null;
  let target: AgentTarget;
  try {
    [target] = (await agentTargets([{ name: null, url: where.url }], opts, io)) as [AgentTarget];
  } catch (error) {
    return { reason: reasonOf(error), explicit: where.explicit };
  }
  const query = new URLSearchParams({ from: q.from, to: q.to, ...(q.port ? { port: q.port } : {}), ...(q.family ? { family: q.family } : {}) });
  const status = ask(target, '/v1/status', { timeoutMs: STATUS_TIMEOUT_MS });
  const answer = ask(target, `/v1/why?${query}`, { timeoutMs: ANSWER_TIMEOUT_MS });
  // Whichever is not awaited must not become an unhandled rejection.
  answer.catch(() => undefined);
  let st: AgentAnswer;
  try {
    st = await status;
  } catch (error) {
    return { reason: reasonOf(error), explicit: where.explicit };
  }
  if (st.status !== 200) return { reason: `its /v1/status answered ${st.status}`, explicit: where.explicit };
  let body: unknown;
  try {
    body = JSON.parse(st.text);
  } catch {
    return { reason: 'its /v1/status is not JSON', explicit: where.explicit };
  }
  const fresh = judgeStatus(body, hostNameOf(opts.hostName, io.env));
  if (!fresh.fresh) return { reason: fresh.reason, explicit: where.explicit };
  let res: AgentAnswer;
  try {
    res = await answer;
  } catch (error) {
    return { reason: reasonOf(error), explicit: where.explicit };
  }
  // A name the agent does not know is a 404 with the model's own words: collecting gives the same words, and exit 2.
  if (res.status !== 200) return { reason: `its /v1/why answered ${res.status}`, explicit: where.explicit };
  return { text: res.text, question: q, ageSeconds: fresh.ageSeconds, partial: fresh.partial, target };
}
