// Fix: the host reaches its own macvlan containers through a macvlan interface of its own on their parent (a "shim"):
// the standard workaround for a host that never reaches its macvlan children through the parent itself.
import type { WhyAnswer } from '../../../snapshot/contract.js';
import type { DockerNetwork } from '../../../snapshot/host-snapshot.js';
import type { ContainerModel, HostModel, World } from '../../model/types.js';
import { heldAddresses, shimPlan } from '../../doctor/shim-plan.js';
import type { ShimPlan } from '../../doctor/shim-plan.js';
import { fixId } from './candidate.js';
import type { Candidate } from './candidate.js';

/** The shim's words: what it opens, where the address comes from, what the routes leave out, how to keep it. */
export function shimCandidate(plan: Extract<ShimPlan, { ok: true }>): Candidate {
  const { host, network: n, parent, name, address, routes } = plan;
  const where = plan.range ?? routes.join(', ');
  const addressNote = plan.reserved
    ? `${address} is the address ${n.name} reserves with --aux-address ${plan.reserved}=${address}: Docker never hands it to a container.`
    : `No address is reserved for it on ${n.name}: ${address} is one nobody in view holds (no host interface, container, gateway or neighbour entry)${plan.inPool ? ", but it lies in Docker's pool (no --ip-range), so a later container could get it" : ` and outside --ip-range ${plan.range}, so Docker does not hand it out`}. Make sure no other machine on the LAN uses it, and since a Docker network cannot be edited, reserve it with --aux-address host=${address} when ${n.name} is next created.`;
  const routeNote = plan.range
    ? `The route covers ${n.name}'s --ip-range ${plan.range} only, so ${parent}'s own route to the rest of the subnet stays as it is.`
    : `${n.name} has no --ip-range: a route for its whole subnet would be a second route for ${parent}'s own prefix (refused at the same metric, and one preferred over it would send all of ${host}'s LAN traffic through ${name}), so there is one /32 per container in view, and a container started later needs its own (ip route add IP/32 dev ${name}); recreating ${n.name} with --ip-range makes one route enough.`;
  const title = plan.existing ? `route ${n.name}'s containers (${where}) through ${host}'s macvlan interface ${name}` : `give ${host} a macvlan interface ${name} on ${parent} to reach ${n.name}'s containers (${where})`;
  return {
    id: fixId(['macvlan-shim', host, n.id, name, address, ...routes]),
    kind: 'macvlan-shim',
    title,
    steps: plan.steps,
    scope: `${host} and the containers it forwards for (its bridge networks' containers, masqueraded as they leave) reach every container of ${n.name} in ${where} through ${name} from ${address}, and those containers reach ${host} at ${address}; the LAN sees one more MAC address on ${parent}`,
    note: `${host} never reaches its own macvlan containers through ${parent} itself: the kernel hands a macvlan child's frames to the other children of the parent or to the wire, never up the parent's own stack. ${name} is one more child of ${parent} in bridge mode, so it meets the containers inside the host. ${addressNote} ${routeNote}`,
    discouraged: false,
    persistence: {
      daemonRestart: true,
      reboot: false,
      keep: `Lost at reboot (Docker does not touch it). To keep it, write it to /etc/network/interfaces (a stanza "auto ${name}" / "iface ${name} inet static" with "address ${address}/32", "pre-up ip link add ${name} link ${parent} type macvlan mode bridge"${routes.map((r) => `, "post-up ip route add ${r} dev ${name}"`).join('')}), or to systemd-networkd: ${name}.netdev ([NetDev] Name=${name}, Kind=macvlan; [MACVLAN] Mode=bridge), MACVLAN=${name} in ${parent}'s .network, and ${name}.network (Address=${address}/32${routes.map((r) => `, [Route] Destination=${r}`).join('')}).`,
    },
  };
}

/** One side of the question as the answer names it: a host, or a container by its ID on its host. */
type Side = { kind: string; host: string | null; id: string | null };

function sideOf(world: World, side: Side): { host: HostModel; container: ContainerModel | null } | null {
  const host = world.hosts.find((h) => h.name === side.host);
  if (!host || (side.kind !== 'host' && side.kind !== 'container')) return null;
  if (side.kind === 'host') return { host, container: null };
  const container = host.containers.find((c) => c.docker.id === side.id);
  return container ? { host, container } : null;
}

/** The host a side stands for: the host itself, a host-mode container, or a container it forwards for on a bridge. */
function hostSide(world: World, side: Side): HostModel | null {
  const s = sideOf(world, side);
  if (!s) return null;
  const c = s.container;
  return !c || c.netns === 'host' || c.endpoints.some((e) => e.network?.bridge) ? s.host : null;
}

const isLower = (n: DockerNetwork | null) => n?.driver === 'macvlan' || n?.driver === 'ipvlan';

/** The macvlan (or ipvlan) container a side names, if it is one. */
function macvlanSide(world: World, side: Side): ContainerModel | null {
  const c = sideOf(world, side)?.container;
  return c && c.endpoints.some((e) => isLower(e.network)) ? c : null;
}

/** Each macvlan network between the two sides of the question: the host side, and the macvlan container's network on it. */
function between(world: World, answer: WhyAnswer): { host: HostModel; network: DockerNetwork }[] {
  if (answer.verdict === 'reachable') return [];
  const out: { host: HostModel; network: DockerNetwork }[] = [];
  for (const [hs, cs] of [[answer.from, answer.to], [answer.to, answer.from]] as const) {
    const c = macvlanSide(world, cs);
    const h = c ? hostSide(world, hs) : null;
    if (!h || !c || c.host !== h) continue;
    for (const e of c.endpoints) if (e.network && isLower(e.network) && !out.some((x) => x.network === e.network)) out.push({ host: h, network: e.network });
  }
  return out;
}

/**
 * A shim for each macvlan network of the macvlan container on one side of the question, when the other side is its
 * own host (or a container that host forwards for): either direction, since the shim carries both.
 */
export function macvlanShims(world: World, answer: WhyAnswer): Candidate[] {
  const nets = between(world, answer);
  // Only questions that touch a macvlan container pay for gathering the addresses in view.
  const held = nets.length > 0 ? heldAddresses(world) : new Set<string>();
  return nets.flatMap(({ host, network }) => {
    const plan = shimPlan(world, host, network, held);
    return plan.ok && plan.steps.length > 0 ? [shimCandidate(plan)] : [];
  });
}

/** Why no shim is proposed for the question, when one would be its fix: each network's reason, else null. */
export function noShimReason(world: World, answer: WhyAnswer): string | null {
  const nets = between(world, answer);
  const held = nets.length > 0 ? heldAddresses(world) : new Set<string>();
  const reasons = nets.flatMap(({ host, network }) => {
    const plan = shimPlan(world, host, network, held);
    return plan.ok ? [] : [plan.reason];
  });
  return reasons.length > 0 ? reasons.join('; ') : null;
}
