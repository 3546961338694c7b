// Cross-host plans: the routes to add on each host, what must hold first, and the predicted effect.
import { z } from 'zod';
import { PlanStep } from './changes.js';

export const Prerequisite = z.object({
  host: z.string(),
  kind: z.enum(['bip', 'network-subnet', 'no-shared-lan', 'docker28-direct-routing']),
  disruptive: z.boolean(),
  message: z.string(),
  commands: z.array(z.string()),
});
export type Prerequisite = z.infer<typeof Prerequisite>;

const Counts = z.object({ reachable: z.number().int(), blocked: z.number().int(), unknown: z.number().int() });

export const Plan = z.object({
  schema: z.literal('netdiag/plan@1'),
  id: z.string().regex(/^pl-[0-9a-f]{8}$/),
  kind: z.literal('routes'),
  hosts: z.array(z.object({ name: z.string(), agent: z.string().nullable(), lan: z.string().nullable(), subnets: z.array(z.string()), steps: z.array(PlanStep) })),
  prerequisites: z.array(Prerequisite),
  notes: z.array(z.string()),
  predicted: z.object({ crossHostPairs: z.number().int(), before: Counts, after: Counts }),
});
export type Plan = z.infer<typeof Plan>;

