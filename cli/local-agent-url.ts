// Which local agent `why` asks, if any: a module of its own with nothing to load, so that the executable can tell
// whether a `why` may be answered by the agent before it loads the rest of the CLI.
import type { SourceOptions } from './sources.js';

/** Where `netdiag agent` listens by default: asked first unless NETDIAG_AGENT or --no-agent says otherwise. */
export const LOCAL_AGENT_URL = 'http://127.0.0.1:9700';

/** The agent to ask, or null: only when the question is about this host (no --snapshot, --agent, --inventory). */
export function localAgentUrl(opts: SourceOptions & { noAgent?: boolean }, env: NodeJS.ProcessEnv): { url: string; explicit: boolean } | null {
  if (opts.noAgent || opts.snapshot?.length || opts.agent?.length || opts.inventory) return null;
  const v = env.NETDIAG_AGENT?.trim();
  if (v === undefined || v === '') return { url: LOCAL_AGENT_URL, explicit: false };
  if (['off', 'no', 'none', '0', 'false'].includes(v.toLowerCase())) return null;
  return { url: v, explicit: true };
}
