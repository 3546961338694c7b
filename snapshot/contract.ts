// The JSON contract: every answer netdiag gives programs (--json, the agent's HTTP API, plans and journals), as zod schemas, one file per answer under contract/.
export * from './contract/trace.js';
export * from './contract/question.js';
export * from './contract/why.js';
export * from './contract/changes.js';
export * from './contract/matrix.js';
export * from './contract/map.js';
export * from './contract/plan.js';
export * from './contract/apply.js';
export * from './contract/probe.js';
