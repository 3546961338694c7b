// The JSON contract: every answer netdiag gives programs (--json, the agent's HTTP API, plans and journals), as zod schemas.
import { z } from 'zod';

// ---------- traces (Batfish's Trace/Hop/Step, our names) ----------
export const RuleRef = z.object({
  host: z.string(),
  table: z.string(),
  chain: z.string(),
  index: z.number().int(),
  text: z.string(),
  packets: z.number().int(),
  bytes: z.number().int(),
  /** A native nftables rule: its family and handle (iptables rules are named by table, chain and position). */
  family: z.string().optional(),
  handle: z.number().int().optional(),
  /** An ip6tables rule (IPv6's own rule set); absent for iptables' IPv4 rules. */
  ip6tables: z.boolean().optional(),
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
  /** The last hop of a TCP or UDP question: the socket that takes it, or why none does. */
  z.object({
    type: z.literal('socket'),
    proto: z.enum(['tcp', 'udp']),
    port: z.number().int(),
    result: z.enum(['listening', 'refused', 'not-collected']),
    /** The socket that takes it (address:port), when one does. */
    socket: z.string().nullable(),
    process: z.string().nullable(),
    /** What the namespace does listen on, when nothing takes this port. */
    listening: z.array(z.string()),
  }),
  z.object({ type: z.literal('proxy'), listen: z.string(), to: z.string() }),
  z.object({ type: z.literal('leave'), iface: z.string(), nextHop: z.string() }),
  z.object({ type: z.literal('note'), text: z.string() }),
]);
export type Step = z.infer<typeof Step>;

export const Hop = z.object({ node: z.string(), steps: z.array(Step) });
export type Hop = z.infer<typeof Hop>;

/**
 * What decided a verdict: a rule, a chain policy, a missing route or neighbour, a sysctl, the edge of what we see,
 * (elsewhere) a request that lands in another container holding the same address, or (socket) nothing listening.
 */
export const Decision = z.object({
  kind: z.enum(['rule', 'policy', 'route', 'neighbour', 'sysctl', 'unknown-rule', 'exit', 'missing-data', 'elsewhere', 'socket']),
  host: z.string(),
  direction: z.enum(['request', 'reply']),
  table: z.string().optional(),
  chain: z.string().optional(),
  index: z.number().int().optional(),
  text: z.string().optional(),
  packets: z.number().int().optional(),
  bytes: z.number().int().optional(),
  family: z.string().optional(),
  handle: z.number().int().optional(),
  /** Decided by an ip6tables rule or chain (the IPv6 rule set), not iptables'. */
  ip6tables: z.boolean().optional(),
  /** What it means, as a short code shared by Docker's iptables and nftables layouts (isolation, icc, internal …). */
  code: z.string().optional(),
  /** Who wrote the deciding rule: Docker (rewrites it at every restart), an administrator, netdiag, or another manager. */
  owner: z.enum(['docker', 'admin', 'netdiag', 'manager']).optional(),
  /** One sentence, for people. */
  reason: z.string(),
});
export type Decision = z.infer<typeof Decision>;

export const AddressVerdict = z.enum(['reachable', 'blocked', 'unknown']);
export type AddressVerdict = z.infer<typeof AddressVerdict>;

// ---------- the question ----------

/** What is asked about: ICMP echo, or a TCP/UDP port. */
export const Flow = z.object({ proto: z.enum(['icmp', 'tcp', 'udp']), port: z.number().int().min(1).max(65535).nullable() });
export type Flow = z.infer<typeof Flow>;

// ---------- why ----------

export const IpFamily = z.enum(['ipv4', 'ipv6']);
export type IpFamily = z.infer<typeof IpFamily>;

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
  to: z.object({ host: z.string().nullable(), name: z.string(), id: z.string().nullable(), kind: z.enum(['container', 'host', 'address']), namespace: z.string().nullable() }),
  flow: Flow,
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

// ---------- changes: one list of typed steps, for fixes and plans alike ----------

/** An nftables rule's statements as libnftables-json writes them, and its comment. */
export const NftRuleBody = z.object({ expr: z.array(z.record(z.string(), z.unknown())), comment: z.string().nullable() });

export const PlanStep = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('docker-network-connect'), host: z.string(), network: z.string(), networkId: z.string(), container: z.string(), containerName: z.string() }),
  z.object({ kind: z.literal('docker-network-disconnect'), host: z.string(), network: z.string(), networkId: z.string(), container: z.string(), containerName: z.string() }),
  /** Insert a rule (as `iptables -I`, or `ip6tables -I` with ip6tables, at the top or at `position`); `rule` is the argument list after the chain name. */
  z.object({ kind: z.literal('iptables-insert'), host: z.string(), table: z.string(), chain: z.string(), rule: z.array(z.string()).min(1), position: z.number().int().positive().optional(), ip6tables: z.boolean().optional() }),
  /** Delete one rule (as `iptables -D`, or `ip6tables -D`), remembering its position so undoing puts it back where it was. */
  z.object({ kind: z.literal('iptables-delete'), host: z.string(), table: z.string(), chain: z.string(), rule: z.array(z.string()).min(1), position: z.number().int().positive(), ip6tables: z.boolean().optional() }),
  z.object({ kind: z.literal('sysctl'), host: z.string(), key: z.string().regex(/^[a-z0-9_.-]+$/), value: z.string().regex(/^[0-9]+$/) }),
  z.object({ kind: z.literal('ip-route-add'), host: z.string(), dst: z.string(), via: z.string(), dev: z.string().nullable() }),
  z.object({ kind: z.literal('ip-route-del'), host: z.string(), dst: z.string(), via: z.string(), dev: z.string().nullable() }),
  /** A native nftables rule put in (at 0-based `index`, else appended), creating its table and base chain if `create` says how. */
  z.object({
    kind: z.literal('nft-insert'),
    host: z.string(),
    family: z.string(),
    table: z.string(),
    chain: z.string(),
    index: z.number().int().nonnegative().nullable(),
    rule: NftRuleBody,
    create: z.object({ type: z.string(), hook: z.string(), prio: z.number().int(), policy: z.enum(['accept', 'drop']) }).nullable(),
  }),
  /**
   * A native nftables rule taken out by handle (null: the rule with exactly these statements, when the handle was never
   * learned); `index` and `rule` say how to put it back where it was.
   */
  z.object({ kind: z.literal('nft-delete'), host: z.string(), family: z.string(), table: z.string(), chain: z.string(), handle: z.number().int().nullable(), index: z.number().int().nonnegative(), rule: NftRuleBody }),
  /** A change to /etc/docker/daemon.json: it needs dockerd restarted, so netdiag shows it and predicts it, never applies it. */
  z.object({ kind: z.literal('docker-daemon-config'), host: z.string(), key: z.string(), value: z.union([z.string(), z.boolean()]) }),
]);
export type PlanStep = z.infer<typeof PlanStep>;

export const Fix = z.object({
  id: z.string(),
  kind: z.enum(['network-connect', 'docker-user', 'ip-forward', 'remove-rule', 'edit-docker-chain', 'docker-daemon']),
  title: z.string(),
  /** The steps, as a person would type them. */
  commands: z.array(z.string()),
  scope: z.string(),
  /** Pairs this fix opens besides the one asked about, as the model predicts them. */
  alsoOpens: z.array(z.string()),
  /** A → B and B → A after the change; `families`: A → B per address family asked (null: B has none of it). */
  predicted: z.object({ forward: AddressVerdict, reverse: AddressVerdict, families: z.object({ ipv4: AddressVerdict.nullable(), ipv6: AddressVerdict.nullable() }) }),
  note: z.string(),
  /** Shown as an alternative, never applied (editing chains Docker owns). */
  discouraged: z.boolean(),
  /** What the fix changes, in order: what prediction applies to a snapshot and what --apply executes. */
  steps: z.array(PlanStep),
});
export type Fix = z.infer<typeof Fix>;

/** A part of a host netdiag could not collect: the answers that depend on it are unknown, and say so. */
export const Missing = z.object({ host: z.string(), collector: z.string(), subject: z.string().optional(), message: z.string(), hint: z.string() });
export type Missing = z.infer<typeof Missing>;

/** `netdiag why --json` and GET /v1/why. */
export const WhyResult = WhyAnswer.extend({ fixes: z.array(Fix), missing: z.array(Missing) });
export type WhyResult = z.infer<typeof WhyResult>;

/** `netdiag fix --json` and POST /v1/fixes. */
export const FixesResult = z.object({ from: z.string(), to: z.string(), verdict: AddressVerdict, fixes: z.array(Fix) });
export type FixesResult = z.infer<typeof FixesResult>;

// ---------- matrix ----------

export const MatrixPair = z.object({ from: z.string(), to: z.string(), verdict: AddressVerdict, addresses: z.array(z.object({ ip: z.string(), verdict: AddressVerdict })) });
export type MatrixPair = z.infer<typeof MatrixPair>;

/** `netdiag matrix --json` (written as a stream) and GET /v1/matrix. */
export const MatrixResult = z.object({
  flow: Flow,
  missing: z.array(Missing),
  pairs: z.array(MatrixPair),
  /** Set when the matrix could not be finished: the pairs before it stand, the document is still whole. */
  error: z.object({ message: z.string() }).optional(),
});
export type MatrixResult = z.infer<typeof MatrixResult>;

// ---------- cross-host plans ----------

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

// ---------- applying and undoing ----------

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

// ---------- probes ----------

export const ProbeAnswer = z.object({
  from: z.string(),
  to: z.string(),
  flow: Flow,
  results: z.array(z.object({ ip: z.string(), reachable: z.boolean().nullable(), ms: z.number(), detail: z.string() })),
  reachable: z.boolean(),
});
export type ProbeAnswer = z.infer<typeof ProbeAnswer>;

// ---------- the map: hosts, networks, containers, and who reaches whom between networks ----------

const Share = z.enum(['all', 'some', 'none', 'unknown']);

export const MapTopology = z.object({
  flow: Flow,
  /** When each host in it was collected: a page showing the map redraws when this changes. */
  collectedAt: z.array(z.string()),
  /** Containers folded into counts per network (past a size a picture stops being readable). */
  folded: z.boolean(),
  hosts: z.array(
    z.object({
      name: z.string(),
      /** Published ports on the host: host address:port → container:port. */
      published: z.array(z.string()),
      /** Ports of Docker bridges that are not containers' veths (a NIC enslaved to docker0): they lead off the host. */
      bridgedPorts: z.array(z.object({ bridge: z.string(), port: z.string() })),
      networks: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          bridge: z.string().nullable(),
          subnets: z.array(z.string()),
          flags: z.array(z.string()),
          /** Within the network: container pairs reachable of all (icc off shows here). */
          inside: z.object({ share: Share, reachable: z.number().int(), total: z.number().int() }),
          containers: z.array(z.object({ name: z.string(), addresses: z.array(z.string()) })),
          /** When folded: how many containers the network holds. */
          count: z.number().int(),
        }),
      ),
    }),
  ),
  /** Ordered network pairs with container pairs between them: how many reach, and what decides the rest. */
  edges: z.array(
    z.object({
      id: z.string(),
      from: z.string(),
      to: z.string(),
      share: Share,
      reachable: z.number().int(),
      total: z.number().int(),
      /** The short reason code of what blocks (isolation, icc-off, admin-rule …); null when all reach. */
      code: z.string().nullable(),
      /** One pair that stands for the edge, for `why`: a blocked one when there is one. */
      example: z.object({ from: z.string(), to: z.string(), ip: z.string() }),
    }),
  ),
  /** Containers on more than one network: their nodes in each network are one container. */
  joined: z.array(z.object({ container: z.string(), networks: z.array(z.string()) })),
  /** Host routes to another host's container subnet through that host's address (the cross-host recipe). */
  routes: z.array(z.object({ from: z.string(), to: z.string(), dst: z.string(), via: z.string() })),
});
export type MapTopology = z.infer<typeof MapTopology>;
