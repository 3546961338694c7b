// Changes as typed steps, for fixes and plans alike: what prediction applies to a snapshot and what --apply executes.
import { z } from 'zod';
import { AddressVerdict } from './trace.js';

/** An nftables rule's statements as libnftables-json writes them, and its comment. */
export const NftRuleBody = z.object({ expr: z.array(z.record(z.string(), z.unknown())), comment: z.string().nullable() });

/** An interface name as the kernel takes it (dev_valid_name): 1–15 bytes, no slash, colon or white space, not . or ... */
const IfName = z.string().regex(/^(?!\.{1,2}$)[^\s/:]{1,15}$/, 'not an interface name');

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
  /**
   * A host-side macvlan interface (a shim) on `parent`, in `mode`, and its inverse: what lets the host reach its own
   * macvlan containers. The delete carries the same fields, so undoing it can make the same link again.
   */
  z.object({ kind: z.literal('ip-link-add'), host: z.string(), name: IfName, parent: IfName, type: z.literal('macvlan'), mode: z.enum(['bridge', 'private', 'vepa', 'passthru']) }),
  z.object({ kind: z.literal('ip-link-del'), host: z.string(), name: IfName, parent: IfName, type: z.literal('macvlan'), mode: z.enum(['bridge', 'private', 'vepa', 'passthru']) }),
  z.object({ kind: z.literal('ip-link-set'), host: z.string(), dev: IfName, up: z.boolean() }),
  /** An address (CIDR) on an interface, as `ip addr add|del`. */
  z.object({ kind: z.literal('ip-addr-add'), host: z.string(), dev: IfName, address: z.string() }),
  z.object({ kind: z.literal('ip-addr-del'), host: z.string(), dev: IfName, address: z.string() }),
  /** A route onto a link, no gateway (`ip route add DST dev DEV`: scope link), as a shim's route to its containers' range. */
  z.object({ kind: z.literal('ip-link-route-add'), host: z.string(), dst: z.string(), dev: IfName }),
  z.object({ kind: z.literal('ip-link-route-del'), host: z.string(), dst: z.string(), dev: IfName }),
  /** A change to /etc/docker/daemon.json: it needs dockerd restarted, so netdiag shows it and predicts it, never applies it. */
  z.object({ kind: z.literal('docker-daemon-config'), host: z.string(), key: z.string(), value: z.union([z.string(), z.boolean()]) }),
]);
export type PlanStep = z.infer<typeof PlanStep>;

export const FixPersistence = z.object({ daemonRestart: z.boolean(), reboot: z.boolean(), keep: z.string() });
export type FixPersistence = z.infer<typeof FixPersistence>;

export const Fix = z.object({
  id: z.string(),
  kind: z.enum(['network-connect', 'docker-user', 'ip-forward', 'remove-rule', 'edit-docker-chain', 'docker-daemon', 'macvlan-shim', 'swarm-ports']),
  title: z.string(),
  /** The steps, as a person would type them. */
  commands: z.array(z.string()),
  scope: z.string(),
  /** Pairs this fix opens besides the one asked about, as the model predicts them. */
  alsoOpens: z.array(z.string()),
  /**
   * The entries of alsoOpens walked through a namespace netdiag did not read (a question's bystanders, collected from
   * Docker's data only, their namespaces taken as Docker makes them): each pair, and whose namespace that was. Empty
   * when every namespace walked was read (`why --all-namespaces` reads them all); absent from answers before it.
   */
  alsoOpensNotRead: z.array(z.object({ pair: z.string(), notRead: z.array(z.string()) })).default([]),
  /** A → B and B → A after the change; `families`: A → B per address family asked (null: B has none of it). */
  predicted: z.object({ forward: AddressVerdict, reverse: AddressVerdict, families: z.object({ ipv4: AddressVerdict.nullable(), ipv6: AddressVerdict.nullable() }) }),
  note: z.string(),
  /** Shown as an alternative, never applied (editing chains Docker owns). */
  discouraged: z.boolean(),
  /**
   * B was asked by a name Docker could resolve (same host): whether that name resolves from A after the fix. A fix
   * that opens the address while the name still fails ranks below one that makes `docker exec A ping B` work.
   */
  byName: z.enum(['resolves', 'fails']).nullable(),
  /** Whether the change outlives a Docker daemon restart and a reboot, and how to make it stay. */
  persistence: FixPersistence,
  /** What the fix changes, in order: what prediction applies to a snapshot and what --apply executes. */
  steps: z.array(PlanStep),
  /** The exact commands that undo it, in the order to run them (the steps' inverses, last step first). */
  rollback: z.array(z.string()),
});
export type Fix = z.infer<typeof Fix>;

/** `netdiag fix --json` and POST /v1/fixes. */
export const FixesResult = z.object({
  from: z.string(),
  to: z.string(),
  verdict: AddressVerdict,
  /**
   * reaches: A already reaches B as asked (nothing to fix); fixes: at least one fix is predicted to make it work;
   * no-fix: none would (the reason says why: nothing listens, the address lands elsewhere, no fix netdiag knows).
   */
  status: z.enum(['reaches', 'fixes', 'no-fix']),
  /** Ranked, each predicted to make A → B work as asked: the flow, request and reply, the asked families. */
  fixes: z.array(Fix),
  /** What stands in the way when no fix is listed, or what the fixes leave undone, in words; null otherwise. */
  advice: z.string().nullable(),
});
export type FixesResult = z.infer<typeof FixesResult>;

