// `why`'s answer: each address of B walked from A (its traces and verdict), name resolution, and the fixes with it.
import { z } from 'zod';
import { Fix } from './changes.js';
import { Flow, IpFamily, Missing } from './question.js';
import { AddressVerdict, Decision, Hop } from './trace.js';

export const AddressAnswer = z.object({
  ip: z.string(),
  family: IpFamily,
  /** The address A sends from towards this one. */
  source: z.string().nullable(),
  network: z.string().nullable(),
  verdict: AddressVerdict,
  decidedBy: Decision.nullable(),
  deliveredTo: z.string().nullable(),
  request: z.array(Hop),
  reply: z.array(Hop),
});
export type AddressAnswer = z.infer<typeof AddressAnswer>;

export const WhyAnswer = z.object({
  from: z.object({
    host: z.string(),
    name: z.string(),
    /** The container's ID; null when the source is the host itself. */
    id: z.string().nullable(),
    kind: z.enum(['container', 'host']),
    /** Whose network namespace it sends from: "its own", "the host's", "redis-1's (--network container:redis-1)" … */
    namespace: z.string(),
    addresses: z.array(z.object({ ip: z.string(), network: z.string().nullable() })),
  }),
  to: z.object({
    host: z.string().nullable(),
    name: z.string(),
    id: z.string().nullable(),
    kind: z.enum(['container', 'host', 'address']),
    namespace: z.string().nullable(),
    /** How B was given: by a name (which A must resolve for `docker exec A ping B` to work), an ID prefix, or an address. */
    askedBy: z.enum(['name', 'id', 'address']),
  }),
  flow: Flow,
  /** The families asked about (-4: ["ipv4"], -6: ["ipv6"], neither: both), for what to ask next in the same terms. */
  askedFamilies: z.array(IpFamily),
  verdict: AddressVerdict,
  /** The verdict over each family's addresses of B (null: B has none of that family, or it was not asked). */
  families: z.object({ ipv4: AddressVerdict.nullable(), ipv6: AddressVerdict.nullable() }),
  /** In words, when the families disagree (reachable over IPv6 while IPv4 is isolated); null when they agree. */
  summary: z.string().nullable(),
  addresses: z.array(AddressAnswer),
  /** Whether B's name resolves from A, how, and to which of B's addresses. */
  dns: z.object({
    resolves: z.boolean(),
    /** The name asked about (B's container name). */
    name: z.string(),
    via: z.enum(['hosts-file', 'embedded-dns']).nullable(),
    /** The network whose embedded DNS answers, when that is how. */
    network: z.string().nullable(),
    addresses: z.array(z.string()),
    note: z.string(),
  }),
});
export type WhyAnswer = z.infer<typeof WhyAnswer>;

/** `netdiag why --json` and GET /v1/why. */
export const WhyResult = WhyAnswer.extend({ fixes: z.array(Fix), missing: z.array(Missing) });
export type WhyResult = z.infer<typeof WhyResult>;

