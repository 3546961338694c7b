// The shape of an explanation (Batfish's Trace/Hop/Step, our names): typed steps per hop, and what decided.
import { z } from 'zod';

export const RuleRef = z.object({
  host: z.string(),
  table: z.string(),
  chain: z.string(),
  index: z.number().int(),
  text: z.string(),
  packets: z.number().int(),
  bytes: z.number().int(),
});
export type RuleRef = z.infer<typeof RuleRef>;

const Verdict = z.enum(['ACCEPT', 'DROP', 'REJECT', 'unknown']);

export const Step = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('route'),
    /** The table and route the kernel picked, or what it found instead. */
    table: z.string().nullable(),
    route: z.string().nullable(),
    dst: z.string(),
    result: z.enum(['forward', 'local', 'none', 'blackhole', 'unreachable', 'prohibit', 'broadcast']),
    outIface: z.string().nullable(),
    via: z.string().nullable(),
  }),
  z.object({
    type: z.literal('bridge'),
    bridge: z.string(),
    from: z.string(),
    to: z.string(),
    result: z.enum(['bridged', 'to-host', 'no-neighbour']),
    brNetfilter: z.boolean().nullable(),
  }),
  z.object({
    type: z.literal('chain'),
    table: z.string(),
    chain: z.string(),
    in: z.string().nullable(),
    out: z.string().nullable(),
    verdict: Verdict,
    decidedBy: RuleRef.nullable(),
    policy: z.string().nullable(),
    path: z.array(RuleRef),
  }),
  z.object({
    type: z.literal('nat'),
    kind: z.enum(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'un-SNAT', 'un-DNAT']),
    from: z.string(),
    to: z.string(),
    rule: RuleRef.nullable(),
  }),
  z.object({ type: z.literal('sysctl'), key: z.string(), value: z.string().nullable(), result: z.literal('dropped') }),
  z.object({ type: z.literal('deliver'), to: z.string(), address: z.string() }),
  z.object({ type: z.literal('proxy'), listen: z.string(), to: z.string() }),
  z.object({ type: z.literal('leave'), iface: z.string(), nextHop: z.string() }),
  z.object({ type: z.literal('note'), text: z.string() }),
]);
export type Step = z.infer<typeof Step>;

export const Hop = z.object({ node: z.string(), steps: z.array(Step) });
export type Hop = z.infer<typeof Hop>;

/** What decided a verdict: a rule, a chain policy, a missing route or neighbour, a sysctl, or the edge of what we see. */
export const Decision = z.object({
  kind: z.enum(['rule', 'policy', 'route', 'neighbour', 'sysctl', 'unknown-rule', 'exit', 'missing-data']),
  host: z.string(),
  direction: z.enum(['request', 'reply']),
  table: z.string().optional(),
  chain: z.string().optional(),
  index: z.number().int().optional(),
  text: z.string().optional(),
  packets: z.number().int().optional(),
  bytes: z.number().int().optional(),
  /** One sentence, for people. */
  reason: z.string(),
});
export type Decision = z.infer<typeof Decision>;

export const AddressVerdict = z.enum(['reachable', 'blocked', 'unknown']);
export type AddressVerdict = z.infer<typeof AddressVerdict>;
