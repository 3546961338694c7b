// Whether a command line is a `why A B [--json]` the local agent may answer, read without commander: the quick path
// (bin.ts) takes only this shape, and any other (an option, a flag it does not know, help) goes to the whole CLI.
import { localAgentUrl } from './local-agent-url.js';

export interface QuickWhy {
  from: string;
  to: string;
  json: boolean;
}

/** `why A B`, `--json` anywhere after `why` (as often as commander takes it), an agent to ask: else null. */
export function quickWhy(argv: readonly string[], env: NodeJS.ProcessEnv): QuickWhy | null {
  if (argv[0] !== 'why') return null;
  const words: string[] = [];
  let json = false;
  for (const w of argv.slice(1)) {
    if (w === '--json') json = true;
    // Any other option (and `--`, `-`, `-4`, --help) is the whole CLI's to read: its errors and help are commander's.
    else if (w.startsWith('-')) return null;
    else words.push(w);
  }
  const [from, to, ...more] = words;
  if (from === undefined || to === undefined || more.length > 0) return null;
  return localAgentUrl({}, env) ? { from, to, json } : null;
}
