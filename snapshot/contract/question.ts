// The question netdiag answers: which flow (ICMP echo or a TCP/UDP port), over which address family, and what it could not see.
import { z } from 'zod';

/** What is asked about: ICMP echo, or a TCP/UDP port. */
export const Flow = z.object({ proto: z.enum(['icmp', 'tcp', 'udp']), port: z.number().int().min(1).max(65535).nullable() });
export type Flow = z.infer<typeof Flow>;

export const IpFamily = z.enum(['ipv4', 'ipv6']);
export type IpFamily = z.infer<typeof IpFamily>;

/** A part of a host netdiag could not collect: the answers that depend on it are unknown, and say so. */
export const Missing = z.object({ host: z.string(), collector: z.string(), subject: z.string().optional(), message: z.string(), hint: z.string() });
export type Missing = z.infer<typeof Missing>;

