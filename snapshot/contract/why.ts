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

/** One step of resolving a name from a container: its /etc/hosts, its resolv.conf, the way to Docker's resolver, who answers. */
export const DnsStep = z.object({
  kind: z.enum(['hosts-file', 'resolv-conf', 'resolver', 'answer', 'forward']),
  /** Whether the name gets past this step: reachable (on to the next, or answered), blocked, or unknown (named in `text`). */
  verdict: AddressVerdict,
  text: z.string(),
});
export type DnsStep = z.infer<typeof DnsStep>;

/** The way from a container to Docker's embedded resolver: 127.0.0.11:53 redirected by its namespace's NAT to dockerd's socket. */
export const DnsResolver = z.object({
  /** 127.0.0.11:53/udp as asked, and the socket it lands on (127.0.0.11:<random port>) when it does. */
  address: z.string(),
  socket: z.string().nullable(),
  verdict: AddressVerdict,
  /** The NAT rule that redirects it (cited as `table chain rule N`, with its text); null when none does. */
  rule: z.string().nullable(),
  reason: z.string(),
});
export type DnsResolver = z.infer<typeof DnsResolver>;

/** A server dockerd forwards names it does not know to, where it queries it from, and whether that gets there. */
export const DnsUpstream = z.object({
  address: z.string(),
  /** The host's namespace (a loopback server such as 127.0.0.53; every server of the host's files from Docker 28.0) or the container's. */
  from: z.enum(['host', 'container']),
  /** Where dockerd took it: the host's /etc/resolv.conf, systemd-resolved's list, --dns, or its fallback (Google's, before 28.0). */
  source: z.enum(['host-resolv-conf', 'systemd-resolved', 'dns-option', 'default']),
  /** reachable; blocked (dropped, no route, nothing listens); unknown (leaves the hosts in view, or not evaluable). */
  verdict: AddressVerdict,
  reason: z.string(),
});
export type DnsUpstream = z.infer<typeof DnsUpstream>;

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
  /**
   * Docker's rules for the pair's networks are missing on a host (wiped by a firewall manager started after Docker, a
   * flush): the networks, what each lacks, and doctor's finding code. Absent when they are all there.
   */
  dockerRules: z.object({ code: z.string(), host: z.string(), networks: z.array(z.object({ name: z.string(), missing: z.array(z.string()) })) }).optional(),
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
    /** Resolution as a path of its own: hosts file, resolv.conf, the way to Docker's resolver, who answers (empty: not walked). */
    steps: z.array(DnsStep).default([]),
    /** The way to Docker's resolver from A, when A uses it (or 127.0.0.11 was asked); null otherwise. */
    resolver: DnsResolver.nullable().default(null),
    /** Where Docker's resolver forwards names it does not know (asked for 127.0.0.11; doctor reads the same). */
    upstreams: z.array(DnsUpstream).default([]),
  }),
});
export type WhyAnswer = z.infer<typeof WhyAnswer>;

/** `netdiag why --json` and GET /v1/why. */
export const WhyResult = WhyAnswer.extend({ fixes: z.array(Fix), missing: z.array(Missing) });
export type WhyResult = z.infer<typeof WhyResult>;

