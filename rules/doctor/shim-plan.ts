// The shim a host needs to reach its own macvlan containers: a macvlan interface of its own on their parent, its
// address (an --aux-address the network reserves, else one free in view) and its routes, as steps — what doctor
// names and what the macvlan-shim fix applies.
import type { PlanStep } from '../../snapshot/contract.js';
import type { DockerNetwork, Interface } from '../../snapshot/host-snapshot.js';
import { cidrText, inCidr, ipToNumber, numberToIp, parseCidr4 } from '../addr/addr.js';
import type { Cidr4 as Cidr } from '../addr/addr.js';
import { dockerAttachment } from '../model/attachment.js';
import type { HostModel, World } from '../model/types.js';

/** What a shim for one macvlan network is made of, or why there can be none. */
export type ShimPlan =
  | {
      ok: true;
      host: string;
      network: DockerNetwork;
      parent: string;
      /** The shim's name; an existing shim's when the host has one on the parent already. */
      name: string;
      /** Its address (IPv4, a /32 on the shim). */
      address: string;
      /** The --aux-address name that reserves it, or null: chosen free in view, reserved by nobody. */
      reserved: string | null;
      /** The address lies in Docker's pool (the network has no --ip-range): IPAM may hand it to a container later. */
      inPool: boolean;
      /** The containers' range (--ip-range), or null: none, so the routes are one /32 per container in view. */
      range: string | null;
      routes: string[];
      /** A shim on the parent is there already (`name`): only what it lacks is added. */
      existing: boolean;
      steps: PlanStep[];
    }
  | { ok: false; reason: string };

const isShimOf = (i: Interface, parent: string) => i.kind === 'macvlan' && i.lower?.name === parent && i.lower.netnsId === null && (i.lower.mode ?? 'bridge') === 'bridge';
const v4Global = (i: Interface) => i.addresses.find((a) => a.family === 'inet' && a.scope !== 'host')?.local ?? null;

/** The network's IPv4 pool: its subnet and, when set, the --ip-range its containers' addresses come from. */
function pool(n: DockerNetwork): { subnet: Cidr; range: Cidr | null; gateway: string | null; aux: Record<string, string> } | null {
  for (const x of n.subnets) {
    const subnet = parseCidr4(x.subnet);
    if (!subnet) continue;
    const range = x.ipRange ? parseCidr4(x.ipRange) : null;
    // An --ip-range as wide as the subnet is no range: the whole subnet is Docker's.
    return { subnet, range: range && range.bits > subnet.bits ? range : null, gateway: x.gateway, aux: x.auxAddresses ?? {} };
  }
  return null;
}

/** Every IPv4 address someone holds in view: hosts' interfaces, containers' endpoints, and what neighbour tables learnt. */
export function heldAddresses(world: World): Set<string> {
  const held = new Set<string>();
  for (const h of world.hosts) {
    for (const i of h.snapshot.links?.interfaces ?? []) for (const a of i.addresses) held.add(a.local);
    for (const c of h.snapshot.docker?.containers ?? []) for (const e of c.endpoints) if (e.ip) held.add(e.ip);
    // An address a host learnt a MAC for answers on the LAN: some machine holds it.
    for (const n of h.snapshot.routes?.neighbours ?? []) if (n.lladdr && !n.state.includes('FAILED') && !n.state.includes('INCOMPLETE')) held.add(n.dst);
  }
  return held;
}

/** The containers' addresses on `n` in view (for routes when the network has no --ip-range). */
const containerIps = (h: HostModel, n: DockerNetwork) => [...new Set((h.snapshot.docker?.containers ?? []).flatMap((c) => c.endpoints.filter((e) => e.networkId === n.id && e.ip).map((e) => e.ip as string)))].sort();

/** Whether a main-table route of the host sends `dst` (a CIDR) whole through `dev`. */
function routedVia(h: HostModel, dst: Cidr, dev: string): boolean {
  return (h.snapshot.routes?.routes ?? []).some((r) => {
    const c = r.table === 'main' && r.dev === dev && r.gateway === null ? parseCidr4(r.dst) : null;
    return c !== null && c.bits <= dst.bits && inCidr(dst.addr, c);
  });
}

/** An interface name of the host's free for the shim: mv-<network>, cut to the kernel's 15 bytes, numbered if taken. */
function freeName(h: HostModel, n: DockerNetwork): string {
  const base = `mv-${n.name.replace(/[^\w.-]/g, '-')}`.slice(0, 15);
  const taken = (x: string) => h.interfaces.has(x);
  if (!taken(base)) return base;
  for (let i = 2; i < 100; i++) {
    const x = `${base.slice(0, 15 - String(i).length - 1)}-${i}`;
    if (!taken(x)) return x;
  }
  return base;
}

/**
 * The shim's address: an --aux-address the network reserves (Docker's IPAM never hands it out), else the highest
 * address of the subnet outside the --ip-range (IPAM allocates from the bottom of its pool) that nobody in view holds.
 */
function chooseAddress(p: NonNullable<ReturnType<typeof pool>>, held: Set<string>): { address: string; reserved: string | null } | null {
  for (const [name, ip] of Object.entries(p.aux).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const v = ipToNumber(ip);
    if (v !== null && inCidr(v, p.subnet) && !held.has(ip)) return { address: ip, reserved: name };
  }
  const size = 2 ** (32 - p.subnet.bits);
  const taken = new Set([...held, ...(p.gateway ? [p.gateway] : []), ...Object.values(p.aux)]);
  // Not the subnet's own address nor its broadcast.
  for (let i = size - 2; i >= 1; i--) {
    const v = p.subnet.addr + i;
    // Over the range in one step (a /9 range of a /8 would be millions of addresses to skip one by one).
    if (p.range && inCidr(v, p.range)) {
      i = p.range.addr - p.subnet.addr;
      continue;
    }
    const ip = numberToIp(v);
    if (!taken.has(ip)) return { address: ip, reserved: null };
  }
  return null;
}

/**
 * The shim for macvlan network `n` on host `h`: a macvlan of its parent in bridge mode (a child of the same parent,
 * so the kernel switches between it and the containers inside the host), a /32 on it (the subnet stays on the
 * parent), and a route to the containers' range through it. A network with no --ip-range gets a /32 route per
 * container in view: a route for its whole subnet would be a second route for the parent's own on-link prefix (the
 * kernel refuses one of the same metric, and a preferred one would take all the host's LAN traffic).
 */
export function shimPlan(world: World, h: HostModel, n: DockerNetwork, held: Set<string> = heldAddresses(world)): ShimPlan {
  const at = dockerAttachment(n);
  // No step makes an ipvlan interface: this kernel has none to verify it on (doctor gives its commands).
  if (at.kind === 'ipvlan') return { ok: false, reason: `${n.name} is an ipvlan network: netdiag does not make an ipvlan shim itself (netdiag doctor gives its commands)` };
  if (at.kind !== 'macvlan') return { ok: false, reason: `${n.name} is not a macvlan network` };
  if (!at.parent) return { ok: false, reason: `${n.name} has no parent interface (Docker gave it an internal one): it does not reach the LAN, and there is no parent to put a shim on` };
  const parent = h.interfaces.get(at.parent);
  if (!parent) return { ok: false, reason: `${n.name}'s parent ${at.parent} is not an interface of ${h.name}` };
  // Children in private or vepa mode never meet another macvlan of the parent inside the host; passthru allows one child.
  if (at.mode !== 'bridge') return { ok: false, reason: `${n.name}'s children are in macvlan mode ${at.mode ?? 'unknown'}: only bridge mode lets a macvlan of the host's reach them inside the host` };
  const p = pool(n);
  if (!p) return { ok: false, reason: `${n.name} has no IPv4 subnet` };
  const routes = p.range ? [cidrText(p.range)] : containerIps(h, n).map((ip) => `${ip}/32`);
  if (routes.length === 0) return { ok: false, reason: `${n.name} has no --ip-range and no container in view to route to` };
  const existing = [...h.interfaces.values()].find((i) => isShimOf(i, at.parent as string) && v4Global(i) !== null);
  // The kernel takes one route per prefix (and metric): one for the range through another device is in the way.
  const taken = (h.snapshot.routes?.routes ?? []).find((r) => r.table === 'main' && routes.includes(r.dst) && r.dev !== existing?.name);
  if (taken) return { ok: false, reason: `${h.name} has a route for ${taken.dst} already (${taken.gateway ? `via ${taken.gateway} ` : ''}dev ${taken.dev}): remove it first (ip route del ${taken.dst}${taken.dev ? ` dev ${taken.dev}` : ''}) if the shim should carry it` };
  const common = { ok: true as const, host: h.name, network: n, parent: at.parent, range: p.range ? cidrText(p.range) : null };
  if (existing) {
    const address = v4Global(existing) as string;
    const missing = routes.filter((r) => !routedVia(h, parseCidr4(r) as Cidr, existing.name));
    const steps: PlanStep[] = [...(existing.up ? [] : [{ kind: 'ip-link-set' as const, host: h.name, dev: existing.name, up: true }]), ...missing.map((dst) => ({ kind: 'ip-link-route-add' as const, host: h.name, dst, dev: existing.name }))];
    const reserved = Object.entries(p.aux).find(([, ip]) => ip === address)?.[0] ?? null;
    return { ...common, name: existing.name, address, reserved, inPool: reserved === null && p.range === null, routes, existing: true, steps };
  }
  const a = chooseAddress(p, held);
  if (!a) return { ok: false, reason: `no address of ${cidrText(p.subnet)} is free in view for the shim` };
  const name = freeName(h, n);
  const steps: PlanStep[] = [
    { kind: 'ip-link-add', host: h.name, name, parent: at.parent, type: 'macvlan', mode: 'bridge' },
    { kind: 'ip-addr-add', host: h.name, dev: name, address: `${a.address}/32` },
    { kind: 'ip-link-set', host: h.name, dev: name, up: true },
    ...routes.map((dst) => ({ kind: 'ip-link-route-add' as const, host: h.name, dst, dev: name })),
  ];
  return { ...common, name, address: a.address, reserved: a.reserved, inPool: a.reserved === null && p.range === null, routes, existing: false, steps };
}

