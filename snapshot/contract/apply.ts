// Applying and undoing changes: a fix's or a plan's steps as executed, verified, or rolled back.
import { z } from 'zod';

export const ApplyResult = z.object({
  id: z.string(),
  status: z.enum(['applied', 'already-applied', 'rolled-back']),
  steps: z.array(z.object({ command: z.string(), changed: z.boolean() })),
  verified: z.boolean(),
  verification: z.string(),
  error: z.object({ message: z.string(), hint: z.string() }).optional(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/** `netdiag fix --apply --json` and POST /v1/fixes/{id}/apply: the result and which fix it was. */
export const FixApplyResult = ApplyResult.extend({ fix: z.object({ id: z.string(), title: z.string(), commands: z.array(z.string()) }) });
export type FixApplyResult = z.infer<typeof FixApplyResult>;

export const RollbackResult = z.object({
  id: z.string(),
  status: z.enum(['rolled-back', 'already-rolled-back']),
  undone: z.array(z.object({ command: z.string(), changed: z.boolean() })),
});
export type RollbackResult = z.infer<typeof RollbackResult>;

const HostOutcome = z.object({ host: z.string(), agent: z.string(), status: z.string(), verified: z.boolean(), message: z.string().optional() });

/** `netdiag apply PLAN --json`. */
export const PlanApplyResult = z.object({
  id: z.string(),
  status: z.enum(['applied', 'already-applied', 'rolled-back']),
  hosts: z.array(HostOutcome),
  error: z.string().optional(),
  rollback: z.array(HostOutcome).optional(),
});
export type PlanApplyResult = z.infer<typeof PlanApplyResult>;

/** `netdiag rollback pl-… --json`: a plan undone through its agents. */
export const PlanRollbackResult = z.object({ id: z.string(), status: z.enum(['rolled-back', 'failed']), hosts: z.array(HostOutcome) });
export type PlanRollbackResult = z.infer<typeof PlanRollbackResult>;

