// A question's containers placed without Docker's container list: the list costs the daemon a summary of every
// container (~350 ms at 500), where a question by name needs two inspections and the endpoints of the networks its
// addresses are on. The decision is questionScope's, exactly; whatever only the list could decide, the list decides.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { DockerSource, InspectedContainer } from '../host/docker.js';
import { addressesOf } from './question-needs.js';
import type { QuestionNeeds } from './question-needs.js';

/** What the placing reads of an inspection: as the list's summary gives it (scope.ts). */
const Inspected = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Created: z.string().default(''),
  State: z.looseObject({ Status: z.string() }),
  HostConfig: z.looseObject({ NetworkMode: z.string().default('default') }),
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), z.looseObject({ IPAddress: z.string().default(''), GlobalIPv6Address: z.string().default('') }).nullable()).nullish() }),
});
type Inspected = z.infer<typeof Inspected>;

const ListedNetwork = z.looseObject({ Id: z.string(), Driver: z.string().default(''), IPAM: z.looseObject({ Config: z.array(z.looseObject({ Subnet: z.string().optional() })).nullish() }).nullish() });
const NetworkEndpoints = z.looseObject({ Containers: z.record(z.string(), z.looseObject({ IPv4Address: z.string().default(''), IPv6Address: z.string().default('') })).nullish() });

/** Networks that give no container an address of their own (the host's stack, none): no holder is on them. */
const ADDRESSLESS_DRIVERS = ['host', 'null'];
const FULL_ID = /^[0-9a-f]{64}$/;

/** Not a placing this module makes: the list decides. */
class ListDecides extends Error {}

export interface PlacedDirectly {
  needs: QuestionNeeds;
  /** Every container in needs.ids, inspected, in the order Docker lists them (newest first). */
  containers: InspectedContainer[];
}

/**
 * questionScope(words)'s decision (without pairNetworks), read as: each word a running container's own name, a
 * container:X owner by its name or full ID, and the other holders of their addresses from the endpoints of every
 * network whose subnets hold one. null: the list is needed (an address, an ID prefix, a stopped container, a network
 * without subnets, Docker refusing).
 */
export async function placeWithoutList(words: string[], docker: Pick<DockerSource, 'inspectContainer' | 'inspectNetwork'>, networks: () => Promise<unknown>): Promise<PlacedDirectly | null> {
  const inspections = new Map<string, { raw: unknown; c: Inspected }>();
  const inspect = async (ref: string): Promise<{ raw: unknown; c: Inspected }> => {
    const raw = await docker.inspectContainer(ref).catch(() => {
      throw new ListDecides();
    });
    const r = Inspected.safeParse(raw);
    if (!r.success) throw new ListDecides();
    return { raw, c: r.data };
  };
  // The list's placing considers running containers only: a stopped one named so may leave the word to an address.
  const running = (x: { c: Inspected }) => x.c.State.Status === 'running';
  try {
    let ipv6 = false;
    const named = await Promise.all(
      words.map(async (w) => {
        if (w === 'host' || w.endsWith('/host')) {
          ipv6 = true;
          return null;
        }
        const name = w.slice(w.indexOf('/') + 1);
        // Docker resolves a full ID before a name and an ID prefix after it: only its own name placed it as the list would.
        const x = await inspect(name);
        if (x.c.Name !== `/${name}` || !running(x)) throw new ListDecides();
        return x;
      }),
    );
    for (const x of named) if (x) inspections.set(x.c.Id, x);
    for (const x of [...inspections.values()]) {
      const mode = x.c.HostConfig.NetworkMode;
      if (!mode.startsWith('container:')) continue;
      const ref = mode.slice('container:'.length);
      const owner = await inspect(ref);
      if (!running(owner) || (owner.c.Name !== `/${ref}` && !(FULL_ID.test(ref) && owner.c.Id === ref))) throw new ListDecides();
      inspections.set(owner.c.Id, owner);
    }
    const held = new Set([...inspections.values()].flatMap((x) => addressesOf(x.c)));
    for (const id of await holdersOf(held, docker, networks)) {
      if (inspections.has(id)) continue;
      const x = await inspect(id).catch(() => null);
      // Gone since the network was read, or stopped: the list would not have shown it running.
      if (x && running(x) && addressesOf(x.c).some((a) => held.has(a))) inspections.set(x.c.Id, x);
    }
    const all = [...inspections.values()];
    const ids = new Set(all.map((x) => x.c.Id));
    ipv6 ||= all.some((x) => addressesOf(x.c).some((a) => a.includes(':')));
    // Newest first, as Docker lists them: the collection's order of namespaces is the list's.
    all.sort((a, b) => byCreatedDescending(a.c, b.c));
    return { needs: { ids, ipv6, asked: new Set(ids), entered: null }, containers: all.map((x) => ({ id: x.c.Id, raw: x.raw })) };
  } catch (error) {
    if (error instanceof ListDecides) return null;
    throw error;
  }
}

/** Containers with an endpoint holding one of these addresses, from each network whose subnets contain one. */
async function holdersOf(held: Set<string>, docker: Pick<DockerSource, 'inspectNetwork'>, networks: () => Promise<unknown>): Promise<string[]> {
  if (held.size === 0) return [];
  const listed = z.array(ListedNetwork).safeParse(await networks().catch(() => null));
  if (!listed.success) throw new ListDecides();
  const addrs = [...held].map((a) => (ipaddr.isValid(a) ? ipaddr.parse(a) : null));
  if (addrs.includes(null)) throw new ListDecides();
  // Compared as addresses: a network's endpoint may spell an IPv6 address otherwise than the container's inspection.
  const heldNormal = new Set(addrs.map((a) => a!.toNormalizedString()));
  const isHeld = (text: string) => text !== '' && ipaddr.isValid(text.replace(/\/\d+$/, '')) && heldNormal.has(ipaddr.parse(text.replace(/\/\d+$/, '')).toNormalizedString());
  const wanted = listed.data.filter((n) => {
    const subnets = (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : []));
    // A network that gives addresses but says from where could hold any of them.
    if (subnets.length === 0) {
      if (ADDRESSLESS_DRIVERS.includes(n.Driver)) return false;
      throw new ListDecides();
    }
    return subnets.some((s) => {
      if (!ipaddr.isValidCIDR(s)) throw new ListDecides();
      const cidr = ipaddr.parseCIDR(s);
      return addrs.some((a) => a!.kind() === cidr[0].kind() && a!.match(cidr));
    });
  });
  const out: string[] = [];
  await Promise.all(
    wanted.map(async (n) => {
      const r = NetworkEndpoints.safeParse(await docker.inspectNetwork(n.Id).catch(() => null));
      if (!r.success) throw new ListDecides();
      for (const [id, e] of Object.entries(r.data.Containers ?? {})) {
        // Swarm's load balancer (lb-…) and other nodes' endpoints (ep-…) are no container here.
        if (!FULL_ID.test(id)) continue;
        if ([e.IPv4Address, e.IPv6Address].some(isHeld)) out.push(id);
      }
    }),
  );
  return out;
}

/** RFC 3339 with nanoseconds, as Docker writes Created (trailing zeros dropped): compared as instants, newest first. */
function byCreatedDescending(a: Inspected, b: Inspected): number {
  const key = (c: Inspected) => {
    const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(c.Created);
    if (!m) return `${c.Created}`;
    const ms = Date.parse(`${m[1]}${m[3]}`);
    return `${String(Number.isNaN(ms) ? 0 : ms).padStart(16, '0')}.${(m[2] ?? '').padEnd(9, '0')}`;
  };
  const [x, y] = [key(a), key(b)];
  return x < y ? 1 : x > y ? -1 : a.Id < b.Id ? -1 : 1;
}
