// A collection limited to the containers a question names (`why A B`): Docker's container list is cheap, inspecting
// and entering every container is not. The list says which containers the names, ID prefixes and addresses mean;
// anything it cannot place (an alias, a typo, the host's own address) means: collect everything, and let the model
// answer or say what is known.
import { z } from 'zod';
import type { DockerSource } from '../host/docker.js';
import { placeWithoutList } from './scope-direct.js';
import type { PlacedDirectly } from './scope-direct.js';
import { addressesOf } from './question-needs.js';
import type { QuestionNeeds } from './question-needs.js';

const Summary = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()).default([]),
  Labels: z.record(z.string(), z.string()).nullish(),
  State: z.string().optional(),
  HostConfig: z.looseObject({ NetworkMode: z.string().optional() }).optional(),
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), z.looseObject({ IPAddress: z.string().optional(), GlobalIPv6Address: z.string().optional() }).nullable()).optional() }).optional(),
});
type Summary = z.infer<typeof Summary>;

/** Given Docker's container list, what to collect; null for everything. */
export interface ContainerScope {
  (list: unknown[]): QuestionNeeds | null;
  /**
   * The same decision without the list, where inspections make it alone (scope-direct.ts), with those inspections;
   * null: the list decides. `networks`: GET /networks, shared with the docker collector.
   */
  direct?(docker: Pick<DockerSource, 'inspectContainer' | 'inspectNetwork'>, networks: () => Promise<unknown>): Promise<PlacedDirectly | null>;
}

/** The networks a listed container is on, by name (a host's network names are unique). */
const networksOf = (s: Summary) => Object.keys(s.NetworkSettings?.Networks ?? {});

/** The one running container a word names, or null when the list alone cannot tell. */
function place(word: string, running: Summary[]): Summary | null {
  const name = word.slice(word.indexOf('/') + 1);
  const byName = running.filter((s) => s.Names.some((n) => n.replace(/^\//, '') === name));
  if (byName.length === 1) return byName[0] as Summary;
  if (byName.length > 1) return null;
  const byAddress = running.filter((s) => addressesOf(s).includes(name));
  if (byAddress.length === 1) return byAddress[0] as Summary;
  // A word that is some container's label value may name it as a compose service (`cafe`, `db`), which the model
  // weighs against an ID prefix: the list alone cannot tell.
  if (running.some((s) => Object.values(s.Labels ?? {}).includes(name))) return null;
  if (/^[0-9a-f]{3,64}$/.test(name)) {
    const byId = running.filter((s) => s.Id.startsWith(name));
    if (byId.length === 1) return byId[0] as Summary;
  }
  return null;
}

/**
 * The containers `why from to` needs: the two named (the word `host` needs none), the containers whose namespaces
 * they use (--network container:X), and any other holder of their addresses (a reply may land there).
 */
/**
 * A bystander whose namespace Docker's data alone describes as Docker made it, for "also opens" to assume it without
 * entering (rules/changes/assumed-namespaces.ts says what it assumes, and every pair walked through it says so): on
 * exactly one network, by that network's name, IPv4 only, not lending its namespace to another container. Anything
 * else is entered as before.
 */
function bystanderReadable(s: Summary): boolean {
  const mode = s.HostConfig?.NetworkMode ?? '';
  if (networksOf(s).length !== 1 || mode.startsWith('container:') || mode === 'host' || mode === 'none') return false;
  const addresses = addressesOf(s);
  return addresses.length === 1 && !addresses.some((a) => a.includes(':'));
}

/**
 * `pairNetworks`: the containers on A's and B's networks are collected too (fixes, --json); `enterAll`: each of
 * their namespaces is entered, not only A's and B's (the whole answer read, not assumed for bystanders).
 */
export function questionScope(words: string[], opts: { pairNetworks?: boolean; enterAll?: boolean } = {}): ContainerScope {
  const decide: ContainerScope = (list) => {
    const running = list.map((x) => Summary.safeParse(x)).flatMap((r) => (r.success && (r.data.State ?? 'running') === 'running' ? [r.data] : []));
    const out = new Set<string>();
    // The host's own addresses may be IPv6 (its LAN): a question about the host reads both families.
    let ipv6 = false;
    for (const w of words) {
      if (w === 'host' || w.endsWith('/host')) {
        ipv6 = true;
        continue;
      }
      const s = place(w, running);
      if (!s) return null;
      out.add(s.Id);
      const mode = s.HostConfig?.NetworkMode ?? '';
      if (mode.startsWith('container:')) {
        const owner = place(mode.slice('container:'.length), running) ?? running.find((x) => x.Id.startsWith(mode.slice('container:'.length)));
        if (!owner) return null;
        out.add(owner.Id);
      }
    }
    const held = new Set(running.filter((s) => out.has(s.Id)).flatMap(addressesOf));
    for (const s of running) if (addressesOf(s).some((a) => held.has(a))) out.add(s.Id);
    const asked = new Set(out);
    // Fixes (--json): a network connect's new address and what it opens are read from every container on the
    // network joined, which is either side's (rules/changes/fix-reach.ts says when that is all a fix reaches).
    if (opts.pairNetworks) {
      const nets = new Set(running.filter((s) => out.has(s.Id)).flatMap(networksOf));
      for (const s of running) if (networksOf(s).some((n) => nets.has(n))) out.add(s.Id);
      // And the containers that live in those containers' namespaces (--network container:X): they answer there too.
      const owners = running.filter((s) => out.has(s.Id));
      for (const s of running) {
        const mode = s.HostConfig?.NetworkMode ?? '';
        if (!mode.startsWith('container:')) continue;
        const ref = mode.slice('container:'.length);
        if (owners.some((o) => o.Id.startsWith(ref) || o.Names.some((n) => n.replace(/^\//, '') === ref))) out.add(s.Id);
      }
    }
    // A bystander's namespace is entered only when the answer is asked whole, or Docker's data does not describe it.
    let entered: Set<string> | null = null;
    if (opts.pairNetworks && !opts.enterAll) {
      // Namespaces lent (--network container:X names X by name or ID prefix): whoever lends one is entered.
      const lenders = new Set(running.flatMap((s) => (s.HostConfig?.NetworkMode ?? '').startsWith('container:') ? [(s.HostConfig?.NetworkMode ?? '').slice('container:'.length)] : []));
      const lends = (s: Summary) => [...lenders].some((ref) => s.Id.startsWith(ref) || s.Names.some((n) => n.replace(/^\//, '') === ref));
      const byId = new Map(running.map((s) => [s.Id, s]));
      entered = new Set([...out].filter((id) => {
        const s = byId.get(id);
        return asked.has(id) || !s || lends(s) || !bystanderReadable(s);
      }));
    }
    ipv6 ||= running.some((s) => out.has(s.Id) && addressesOf(s).some((a) => a.includes(':')));
    return { ids: out, ipv6, asked, entered };
  };
  // The pair's networks whole (--json) are every container on them: the list's to say.
  if (!opts.pairNetworks) decide.direct = (docker, networks) => placeWithoutList(words, docker, networks);
  return decide;
}
