// A live probe from A to B: the packets actually sent, and whether each address answered.
import { z } from 'zod';
import { Flow } from './question.js';

export const ProbeAnswer = z.object({
  from: z.string(),
  to: z.string(),
  flow: Flow,
  results: z.array(z.object({ ip: z.string(), reachable: z.boolean().nullable(), ms: z.number(), detail: z.string() })),
  reachable: z.boolean(),
});
export type ProbeAnswer = z.infer<typeof ProbeAnswer>;

