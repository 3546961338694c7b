// The agent's HTTP contract in zod: queries and bodies here; responses are the CLI's --json schemas (snapshot/contract.ts).
import { z } from 'zod';
import { FlowError, parseFlow } from '../rules/query/flow.js';
import { PlanStep } from '../snapshot/contract.js';

export { FixApplyResult, FixesResult, MatrixResult, RollbackResult, WhyResult, ApplyResult } from '../snapshot/contract.js';

export const ErrorBody = z.object({ error: z.string(), message: z.string() });

/** The same parser as the CLI's --port, range check included. */
const port = z
  .string()
  .max(16)
  .optional()
  .superRefine((v, ctx) => {
    try {
      parseFlow(v);
    } catch (error) {
      if (!(error instanceof FlowError)) throw error;
      ctx.addIssue({ code: 'custom', message: `takes ${error.message}` });
    }
  });

const name = z.string().min(1).max(256);
/** One address family (the CLI's -4/-6); both when absent. */
const family = z.enum(['ipv4', 'ipv6']).optional();
export const WhyQuery = z.object({ from: name, to: name, port, family }).strict();
export const MatrixQuery = z.object({ port, family }).strict();
/** The map: svg (default), dot, mermaid or json (the topology). */
export const MapQuery = z.object({ port, family, format: z.enum(['svg', 'dot', 'mermaid', 'json']).default('svg') }).strict();
export const FixBody = z.object({ from: name, to: name, port, family }).strict();
/** Applying a fix: which pair, and consent to a fix that opens more than that pair (the CLI's --yes). */
export const FixApplyBody = FixBody.extend({ acceptWider: z.boolean().default(false) }).strict();
export const IdParams = z.object({ id: z.string().regex(/^[\w.-]{1,80}$/, 'not a fix or plan ID') });
export const PlanApplyBody = z
  .object({
    id: z.string().regex(/^[\w.-]{1,80}$/),
    title: z.string().max(200).default('cross-host plan'),
    steps: z.array(PlanStep).max(500),
  })
  .strict();

export const Health = z.object({ status: z.string(), snapshotAgeSeconds: z.number().nullable(), lastError: z.string().nullable() });
