// The agent's HTTP contract in zod: queries, bodies and responses (the same JSON as the CLI's --json).
import { z } from 'zod';
import { PlanStep } from '../rules/changes/command.js';

export const ErrorBody = z.object({ error: z.string(), message: z.string() });

const port = z
  .string()
  .regex(/^\d{1,5}(\/(tcp|udp))?$/, 'port is N/tcp or N/udp')
  .optional();

export const WhyQuery = z.object({ from: z.string().min(1).max(256), to: z.string().min(1).max(256), port }).strict();
export const MatrixQuery = z.object({ port }).strict();
export const FixBody = z.object({ from: z.string().min(1).max(256), to: z.string().min(1).max(256), port }).strict();
export const IdParams = z.object({ id: z.string().regex(/^[\w.-]{1,80}$/, 'not a fix or plan ID') });
export const PlanApplyBody = z
  .object({
    id: z.string().regex(/^[\w.-]{1,80}$/),
    title: z.string().max(200).default('cross-host plan'),
    steps: z.array(PlanStep).max(500),
  })
  .strict();

const Verdict = z.enum(['reachable', 'blocked', 'unknown']);
export const WhyResponse = z.looseObject({ from: z.looseObject({}), to: z.looseObject({}), verdict: Verdict, addresses: z.array(z.looseObject({ ip: z.string(), verdict: Verdict })), fixes: z.array(z.looseObject({})) });
export const MatrixResponse = z.object({ flow: z.looseObject({}), pairs: z.array(z.object({ from: z.string(), to: z.string(), verdict: Verdict, addresses: z.array(z.object({ ip: z.string(), verdict: Verdict })) })) });
export const FixesResponse = z.object({ from: z.string(), to: z.string(), verdict: Verdict, fixes: z.array(z.looseObject({ id: z.string() })) });
export const ApplyResponse = z.looseObject({ id: z.string(), status: z.string(), verified: z.boolean() });
export const RollbackResponse = z.looseObject({ id: z.string(), status: z.string() });
export const Health = z.object({ status: z.string(), snapshotAgeSeconds: z.number().nullable(), lastError: z.string().nullable() });
