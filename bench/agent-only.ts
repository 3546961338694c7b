// `node dist/bench/agent-only.js`: the agent's bench alone (its owner's driver; `npm run bench` runs it with the rest).
import { benchAgent } from './agent.js';

await benchAgent();
