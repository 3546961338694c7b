// The agent's HTTP contract in zod: queries and bodies here; responses are the CLI's --json schemas (snapshot/contract.ts).
import { z } from 'zod';
import { FlowError, parseFlow } from '../rules/query/flow.js';
import { Flow, MatrixPair, PLAN_HOST_STEPS_MAX, PlanStep } from '../snapshot/contract.js';

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
/** The grid's family as the page writes it (4 or 6), or as the other routes do (ipv4, ipv6): one spelling inside. */
const gridFamily = z
  .enum(['4', '6', 'ipv4', 'ipv6'])
  .optional()
  .transform((f) => (f === undefined ? undefined : f === '4' || f === 'ipv4' ? ('ipv4' as const) : ('ipv6' as const)));
export const WhyQuery = z.object({ from: name, to: name, port, family }).strict();
export const MatrixQuery = z.object({ port, family }).strict();
/** The map: svg (default), dot, mermaid or json (the topology). */
export const MapQuery = z.object({ port, family, format: z.enum(['svg', 'dot', 'mermaid', 'json']).default('svg') }).strict();
export const FixBody = z.object({ from: name, to: name, port, family }).strict();
/** Applying a fix: which pair, and consent to a fix that opens more than that pair (the CLI's --yes). */
/**
 * Applying a fix: which pair, and consent to what it opens besides that pair: `confirmWider` lists exactly the fix's
 * alsoOpens (the page shows them and the operator ticks them), or `acceptWider` (API clients, the CLI's --yes).
 */
export const FixApplyBody = FixBody.extend({ acceptWider: z.boolean().default(false), confirmWider: z.array(z.string().max(600)).max(10_000).optional() }).strict();
export const IdParams = z.object({ id: z.string().regex(/^[\w.-]{1,80}$/, 'not a fix or plan ID') });
export const PlanApplyBody = z
  .object({
    id: z.string().regex(/^[\w.-]{1,80}$/),
    title: z.string().max(200).default('cross-host plan'),
    // As many as a plan may give one host; the body's bytes are bounded on this route alone (app.ts).
    steps: z.array(PlanStep).max(PLAN_HOST_STEPS_MAX),
  })
  .strict();

/** /healthz and /readyz: `reason` says why /readyz is not ready (503): the last collection failed, or none finished yet. */
export const Health = z.object({ status: z.string(), snapshotAgeSeconds: z.number().nullable(), lastError: z.string().nullable(), reason: z.string().optional() });

/** /v1/snapshot: which host's snapshot, needed when the agent serves several (`--snapshot A --snapshot B`). */
export const SnapshotQuery = z.object({ host: name.optional() }).strict();

/** GET /v1/status: what the web view shows always — live or saved snapshots, read-only or not, each host's freshness. */
export const StatusResult = z.object({
  mode: z.enum(['live', 'snapshot']),
  /** True in snapshot mode, or when the agent has no token (nothing can be changed through it). */
  readOnly: z.boolean(),
  /** Live: how often the snapshot is collected again (besides Docker's events); a snapshot younger than this is the latest. */
  refreshSeconds: z.number().positive().nullable().optional(),
  hosts: z.array(
    z.object({
      name: z.string(),
      collectedAt: z.string(),
      /** Seconds since the served snapshot was taken (live: since it was collected; snapshot mode: since collectedAt). */
      ageSeconds: z.number().nonnegative(),
      /** The last collection failed: an older snapshot is being served (lastError says why). */
      stale: z.boolean(),
      lastError: z.string().nullable(),
      collectors: z.record(z.string(), z.object({ status: z.enum(['ok', 'partial', 'failed', 'absent']), durationMs: z.number().nonnegative() })),
      /** When the last collection failed and an older snapshot is served: that failed collection's own statuses. */
      lastAttempt: z.object({ collectedAt: z.string(), collectors: z.record(z.string(), z.object({ status: z.enum(['ok', 'partial', 'failed', 'absent']), durationMs: z.number().nonnegative() })) }).nullable().optional(),
    }),
  ),
});
export type StatusResult = z.infer<typeof StatusResult>;

export const GridQuery = z.object({ port, family: gridFamily }).strict();
export const GridCellQuery = z.object({ from: name, to: name, port, family: gridFamily }).strict();
const cellVerdict = z.enum(['reachable', 'blocked', 'unknown', 'mixed']);
/** GET /v1/grid: network × network, each cell the container pairs from one to the other (a container on two networks counts in both). */
export const GridResult = z.object({
  flow: Flow,
  networks: z.array(z.object({ key: z.string(), host: z.string(), network: z.string(), driver: z.string().nullable(), subnets: z.array(z.string()), containers: z.number().int().nonnegative() })),
  cells: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      pairs: z.number().int().nonnegative(),
      reachable: z.number().int().nonnegative(),
      blocked: z.number().int().nonnegative(),
      unknown: z.number().int().nonnegative(),
      verdict: cellVerdict,
      /** What decided the pairs that are not reachable, as reason codes (isolation, internal …), each once. */
      codes: z.array(z.string()),
    }),
  ),
});
export type GridResult = z.infer<typeof GridResult>;
/** GET /v1/grid/cell: the pairs of one cell; each pair's addresses are B's on the cell's destination network. */
export const GridCellResult = z.object({ flow: Flow, from: z.string(), to: z.string(), pairs: z.array(MatrixPair) });
export type GridCellResult = z.infer<typeof GridCellResult>;

