// Hosts built alike: a fleet of a few kinds of host, each host its kind's image once its own addresses and Docker's
// names for things are renamed, treating every peer of a kind the same way. One pair per pair of kinds answers for all.
import { addressBits, cidrsOverlap, cidrText, inCidr, ipText, isLinkLocal6, isLoopback, isMulticast, parseCidr, parsePrefixed } from '../addr/addr.js';
import type { Cidr, Ip } from '../addr/addr.js';
import { PrefixMap } from '../addr/prefix-map.js';
import { tokenize } from '../iptables/tokenize.js';
import { dockerNftBridgeChain, NFT_BRIDGE_CHAIN_SEPARATOR } from '../meaning/layouts.js';
import { foreignPorts, hostAddresses } from '../model/build.js';
import { partition } from '../matrix/partition.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { PlanStep, SharedPlan } from '../../snapshot/contract.js';
import { expandHost } from '../plan/shared-plan.js';

/** Two hosts, the steps of the change that concern them, and how many pairs of hosts in the fleet they stand for. */
export interface AlikePair {
  hosts: [HostSnapshot, HostSnapshot];
  steps: PlanStep[];
  stands: number;
}

export type Alike = { alike: true; pairs: AlikePair[] } | { alike: false; why: string };

class NotAlike extends Error {}

/** An address block a host owns: a Docker subnet, or an address of its own outside them (an interface's, a local route's). */
interface Block {
  host: number;
  k: number;
  cidr: Cidr;
}

const special = (ip: Ip) => `${isLoopback(ip)}${isMulticast(ip)}${isLinkLocal6(ip)}`;
const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

interface Identities {
  as: Map<string, string>;
}

/**
 * The names Docker makes up for a host's things, each with a stand-in: containers and networks (their IDs and short
 * IDs, which name aliases), networks' bridges, in the order of their names, and the host ends of veths in the order
 * of the containers they lead to. Two hosts running the same containers differ in these and in nothing the model reads.
 */
function identities(s: HostSnapshot): Identities {
  const as = new Map<string, string>();
  const add = (raw: string | null | undefined, token: string) => {
    if (raw && !as.has(raw)) as.set(raw, token);
  };
  const containers = byName(s.docker?.containers ?? []);
  containers.forEach((c, i) => (add(c.id, `§C${i}`), add(c.id.slice(0, 12), `§c${i}`)));
  byName(s.docker?.networks ?? []).forEach((n, i) => (add(n.id, `§N${i}`), add(n.id.slice(0, 12), `§n${i}`), add(n.bridge, `§B${i}`)));
  const order = new Map(containers.map((c, i) => [c.id, i]));
  const sandboxes = [...(s.links?.sandboxes ?? [])].sort((a, b) => (order.get(a.containerId) ?? Infinity) - (order.get(b.containerId) ?? Infinity));
  sandboxes.forEach((sb, i) => sb.interfaces.forEach((f, j) => add(f.hostVeth?.name, `§V${i}.${j}`)));
  return { as };
}

/**
 * A value with a host's made-up names replaced by their stand-ins: the whole value, or the ID in `container:<id>`
 * (a network mode), or the bridge in Docker 29's per-bridge chain names (`filter-forward-in__<bridge>`).
 */
function standIn(ids: Identities, value: string): string {
  const whole = ids.as.get(value);
  if (whole !== undefined) return whole;
  const colon = value.indexOf(':');
  if (colon > 0) {
    const id = ids.as.get(value.slice(colon + 1));
    if (id !== undefined) return `${value.slice(0, colon + 1)}${id}`;
  }
  const perBridge = dockerNftBridgeChain(value);
  const bridge = perBridge ? ids.as.get(perBridge.bridge) : undefined;
  if (perBridge && bridge !== undefined) return `${perBridge.purpose}${NFT_BRIDGE_CHAIN_SEPARATOR}${bridge}`;
  return value;
}

/**
 * A host's blocks in an order every host built alike shares: its networks by name, then its own addresses (those
 * the model answers for, see hostAddresses) outside them, by their interfaces' stand-ins. `lan` marks an address
 * held on an interface that is not a bridge: the ones other hosts reach it by.
 */
function blocksOf(s: HostSnapshot, ids: Identities): (Cidr & { lan?: true })[] {
  const out: (Cidr & { lan?: true })[] = [];
  for (const n of byName(s.docker?.networks ?? [])) {
    for (const sub of n.subnets) {
      const c = parseCidr(sub.subnet);
      if (!c) throw new NotAlike(`${s.name}'s network ${n.name} has a subnet netdiag cannot read (${sub.subnet})`);
      out.push(c);
    }
  }
  const kinds = new Map((s.links?.interfaces ?? []).map((i) => [i.name, i.kind]));
  const own = [...hostAddresses(s).localAddrs].map(([addr, dev]) => ({ addr, dev, name: standIn(ids, dev) }));
  for (const { addr, dev } of byName(own)) {
    if (dev === 'lo' || out.some((c) => inCidr(addr, c))) continue;
    out.push({ addr, bits: addressBits(addr), ...(kinds.get(dev) === 'bridge' ? {} : { lan: true as const }) });
  }
  return out;
}

/**
 * Every host's blocks, with those every host has identically (docker0's 172.17.0.0/16 on each) set apart: they name
 * each host's own, the same way on all. Any other block two hosts share makes the fleet not alike.
 */
interface FleetBlocks {
  owned: PrefixMap<Block>;
  perHost: Cidr[][];
  /** Each host's blocks as sizes and kinds of address, part of what makes hosts alike. */
  shapes: string[];
}

function fleetBlocks(snapshots: HostSnapshot[], ids: Identities[]): FleetBlocks {
  const perHost = snapshots.map((s, i) => blocksOf(s, ids[i] as Identities));
  const held = new Map<string, number>();
  for (const cs of perHost) for (const c of cs) held.set(cidrText(c), (held.get(cidrText(c)) ?? 0) + 1);
  const heldByAll = (c: Cidr) => held.get(cidrText(c)) === snapshots.length;
  const owned = new PrefixMap<Block>();
  const all: Block[] = [];
  // The same sizes, and the same kinds of address: the model treats loopback, multicast and link-local ones apart.
  // A block every host has (docker0's 172.17.0.0/16) names each host's own the same way on all: it stays as written.
  const shapes = perHost.map((cs) => cs.map((c) => (heldByAll(c) ? cidrText(c) : `${typeof c.addr === 'number' ? 4 : 6}/${c.bits}/${special(c.addr)}`)).join(' '));
  perHost.forEach((cs, host) => {
    cs.forEach((cidr, k) => {
      if (heldByAll(cidr)) {
        // Held by every host where the LAN can ask for it: who answers would depend on the order of the hosts.
        if (cidr.lan) throw new NotAlike(`every host holds ${ipText(cidr.addr)} on an interface other hosts reach`);
        return;
      }
      const b = { host, k, cidr };
      all.push(b);
      owned.set(cidr, b);
    });
  });
  // In address order: if any two blocks overlap, two neighbours do (what follows a block starts inside it or after it).
  all.sort((a, b) => (typeof a.cidr.addr !== typeof b.cidr.addr ? (typeof a.cidr.addr === 'number' ? -1 : 1) : a.cidr.addr < b.cidr.addr ? -1 : a.cidr.addr > b.cidr.addr ? 1 : 0));
  for (let i = 1; i < all.length; i++) {
    const [p, q] = [all[i - 1] as Block, all[i] as Block];
    if (cidrsOverlap(p.cidr, q.cidr)) {
      throw new NotAlike(`${snapshots[p.host]?.name} and ${snapshots[q.host]?.name} hold overlapping addresses`);
    }
  }
  return { owned, perHost, shapes };
}

/**
 * What a word is to the renamer, read once for the fleet: an address or prefix (in a block or not), an address with
 * a port (a NAT target: `addr:port`, `[addr]:port`), a range of addresses, or anything else.
 */
type Word =
  | { form: 'address'; block: Block | null; rest: string; own: string; peer: string }
  | { form: 'with-port'; address: string; open: string; close: string }
  | { form: 'range' }
  | { form: 'other'; as: (string | undefined)[] };

/** Sysctls kept per interface: the interface's name sits between the prefix and the setting. */
const SYSCTL_PER_INTERFACE = ['net.ipv4.conf.', 'net.ipv6.conf.'];


/**
 * Renames host by host: addresses in its own blocks to §S<k>+offset, in a peer's to §P<k>+offset (remembering which
 * peer a value named), and Docker's made-up names to their stand-ins. Each distinct word is read once for the whole
 * fleet (a plan's million steps repeat a few thousand). Values are renamed whole, as the snapshot holds them, and a
 * rule's text word by word as iptables reads it: never a pattern searched for inside text.
 */
class Renamer {
  private readonly words = new Map<string, Word>();
  /** The peer named since `clear`, null for none, -1 for more than one. */
  peer: number | null = null;
  host = 0;

  constructor(
    private readonly snapshots: HostSnapshot[],
    private readonly blocks: FleetBlocks,
    private readonly ids: Identities[],
  ) {}

  clear(host = this.host): void {
    this.host = host;
    this.peer = null;
  }

  /** One word: an address or prefix, an address with a port (a NAT target), a range (refused), or a name. */
  /** One word (`place`: where it stands in a step, for the cache of the last word read there). */
  word(w: string, place = -1): string {
    const r = this.read(w, place);
    switch (r.form) {
      case 'address':
        return r.block ? this.inBlock(r.block, r) : w;
      case 'with-port': {
        const a = this.read(r.address);
        return a.form === 'address' && a.block ? `${r.open}${this.inBlock(a.block, a)}${r.close}` : w;
      }
      case 'range':
        // What lies between two renamed ends of a range is not renamed with them.
        throw new NotAlike(`${this.snapshots[this.host]?.name} has an address range (${w})`);
      default:
        // Kept per host: a plan's million steps repeat a few words on each host.
        return (r.as[this.host] ??= standIn(this.ids[this.host] as Identities, w));
    }
  }

  /** A firewall rule's text, word by word as iptables reads it. */
  ruleText(text: string): string {
    let words: string[];
    try {
      words = tokenize(text);
    } catch {
      return text;
    }
    if (words.includes('--src-range') || words.includes('--dst-range')) throw new NotAlike(`${this.snapshots[this.host]?.name} has rules on address ranges`);
    return words.map((w) => this.word(w)).join('\u0000');
  }

  /** A snapshot part (or a step) with every value renamed, as the text two alike hosts share. */
  value(v: unknown, key = ''): unknown {
    if (typeof v === 'string') return key === 'text' ? this.ruleText(v) : this.word(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    // nft writes a prefix as {"addr", "len"}: renamed (or checked) as the network it is; a range cannot be.
    if (keys.length === 2 && typeof o.addr === 'string' && typeof o.len === 'number') return this.word(`${o.addr}/${o.len}`);
    if (keys.includes('range')) throw new NotAlike(`${this.snapshots[this.host]?.name} has rules on address ranges`);
    const out: Record<string, unknown> = {};
    for (const k of keys) if (!UNREAD.has(k)) out[this.key(k)] = this.value(o[k], k);
    return out;
  }

  /** A key that names an interface: the per-interface sysctls (`net.ipv4.conf.<iface>.forwarding`). */
  private key(k: string): string {
    for (const prefix of SYSCTL_PER_INTERFACE) {
      if (!k.startsWith(prefix)) continue;
      const last = k.lastIndexOf('.');
      if (last > prefix.length) return `${prefix}${standIn(this.ids[this.host] as Identities, k.slice(prefix.length, last))}${k.slice(last)}`;
    }
    return k;
  }

  private inBlock(b: Block, names: { own: string; peer: string }): string {
    if (b.host === this.host) return names.own;
    this.peer = this.peer === null || this.peer === b.host ? b.host : -1;
    return names.peer;
  }

  /** The host whose block a whole word lies in, if it does. */
  ownerOf(w: string, place = -1): number | null {
    const r = this.read(w, place);
    return r.form === 'address' ? (r.block?.host ?? null) : null;
  }

  /** The last word read at each place in a step and what it is: a plan's rules repeat most words place by place. */
  private readonly lastWord: (string | undefined)[] = [];
  private readonly lastRead: Word[] = [];

  private read(w: string, place = -1): Word {
    if (place >= 0 && this.lastWord[place] === w) return this.lastRead[place] as Word;
    let r = this.words.get(w);
    if (r === undefined) this.words.set(w, (r = this.classify(w)));
    if (place >= 0) {
      this.lastWord[place] = w;
      this.lastRead[place] = r;
    }
    return r;
  }

  private classify(w: string): Word {
    const c = parsePrefixed(w);
    if (c) {
      const b = this.blocks.owned.longest(c.addr);
      if (b && c.bits >= b.cidr.bits) {
        const rest = `${b.k}+${BigInt(c.addr) - BigInt(b.cidr.addr)}${w.includes('/') ? `/${c.bits}` : ''}`;
        return { form: 'address', block: b, rest, own: '§S' + rest, peer: '§P' + rest };
      }
      this.unowned(w, c);
      return { form: 'address', block: null, rest: '', own: '', peer: '' };
    }
    const dash = w.indexOf('-');
    if (dash > 0 && parsePrefixed(w.slice(0, dash)) !== null) {
      // 172.16.0.2-172.16.0.3, or a NAT target's 172.16.0.2-172.16.0.3:80.
      const end = w.slice(dash + 1);
      const port = end.indexOf(':');
      if (parsePrefixed(port < 0 ? end : end.slice(0, port)) !== null) return { form: 'range' };
    }
    if (w.startsWith('[')) {
      const close = w.indexOf(']');
      if (close > 0 && parsePrefixed(w.slice(1, close))) return { form: 'with-port', address: w.slice(1, close), open: '[', close: w.slice(close) };
    }
    const colon = w.indexOf(':');
    if (colon > 0 && w.lastIndexOf(':') === colon && parsePrefixed(w.slice(0, colon))) return { form: 'with-port', address: w.slice(0, colon), open: '', close: w.slice(colon) };
    return { form: 'other', as: [] };
  }

  /** Networks no host owns, met since they were last checked: they are kept as written (see `literalsAlike`). */
  readonly literals = new Map<string, Cidr>();

  private unowned(tok: string, c: Cidr): void {
    this.literals.set(tok, c);
  }

  /**
   * A network kept as written must stand in the same relation to the k-th block of every host of a kind: a rule for
   * 172.16.0.0/23 on every host holds host0's networks and no one else's, and names no two hosts alike.
   */
  literalsAlike(kinds: number[][]): void {
    for (const [tok, c] of this.literals) {
      const within = (b: Cidr) => b.bits >= c.bits && inCidr(b.addr, c);
      for (const members of kinds) {
        const first = this.blocks.perHost[members[0] as number] as Cidr[];
        for (const host of members) {
          (this.blocks.perHost[host] as Cidr[]).forEach((b, k) => {
            if (within(b) !== within(first[k] as Cidr)) throw new NotAlike(`${tok} holds ${this.snapshots[host]?.name}'s addresses and ${this.snapshots[members[0] as number]?.name}'s differently`);
          });
        }
      }
    }
    this.literals.clear();
  }
}

/**
 * Fields no verdict reads, which differ between hosts running the same containers: the kernel's and Docker's numbers
 * for things (interface indexes, namespace ids, process ids, MACs, endpoint IDs, sandbox paths, where a container's
 * resolv.conf was read: under its ID), hostnames, counters.
 */
const UNREAD = new Set(['ifindex', 'netnsId', 'pid', 'process', 'mac', 'lladdr', 'endpointId', 'sandboxKey', 'path', 'hostname', 'packets', 'bytes']);

/**
 * What the model reads of a host, renamed, as text: left out are the parts that only name it or time it, neighbour
 * tables (evidence in a trace, never a verdict) and the fields above.
 */
function modelled(s: HostSnapshot, names: Renamer): string {
  const { name: _name, collectedAt: _at, durationMs: _ms, netdiagVersion: _v, collectors, routes, ...rest } = s;
  const parts = {
    ...rest,
    collectors: Object.entries(collectors).map(([k, v]) => `${k}:${v?.status}`),
    routes: routes ? { ...routes, neighbours: [], sandboxes: routes.sandboxes.map((x) => ({ ...x, neighbours: [] })) } : null,
  };
  return JSON.stringify(names.value(parts));
}

/**
 * The places of a route's words in the renamer's cache of last words: the first of a rule's (a host's routes come
 * together, and so do its rules; the cache is small and dense).
 */
const ROUTE_PLACE = 0;

const PIN = new Set(['-s', '--source', '-d', '--destination']);

/**
 * A step for one peer must touch only packets to or from that peer's addresses, so the order of different peers'
 * steps cannot matter: a route to one of its networks, or a rule inserted at the top that matches its address.
 */
function pinned(step: PlanStep, peer: number, names: Renamer): boolean {
  if (step.kind === 'ip-route-add') return names.ownerOf(step.dst, ROUTE_PLACE) === peer;
  if (step.kind === 'iptables-insert' && (step.position ?? 1) === 1) {
    return step.rule.some((w, i) => PIN.has(w) && step.rule[i - 1] !== '!' && step.rule[i + 1] !== '!' && names.ownerOf(step.rule[i + 1] ?? '', i + 1) === peer);
  }
  return false;
}

/**
 * A step with its addresses renamed, its host left out, as the parts of its text (see stepText): two steps are the
 * same when their parts are, compared part by part (mostly the same strings, a word's renaming being kept), without
 * making a text for each of a plan's million steps.
 */
function stepParts(step: PlanStep, names: Renamer): string[] {
  switch (step.kind) {
    case 'ip-route-add':
      return ['route-add', names.word(step.dst, ROUTE_PLACE), names.word(step.via, ROUTE_PLACE + 1), step.dev === null ? '' : names.word(step.dev, ROUTE_PLACE + 2)];
    case 'iptables-insert': {
      const parts = ['insert', step.ip6tables ? '6' : '4', step.table, step.chain, String(step.position ?? 1)];
      for (let k = 0; k < step.rule.length; k++) parts.push(names.word(step.rule[k] as string, k));
      return parts;
    }
    default: {
      const { host: _host, ...rest } = step;
      return [JSON.stringify(names.value(rest))];
    }
  }
}

/** A step's text from its parts: what one host's steps are compared by with another's. */
function stepText(parts: string[]): string {
  switch (parts[0]) {
    case 'route-add':
      return parts.join(' ');
    case 'insert':
      return `${parts.slice(0, 5).join(' ')} ${parts.slice(5).join('\u0000')}`;
    default:
      return parts[0] as string;
  }
}

const sameParts = (a: string[], b: string[]) => a.length === b.length && a.every((x, k) => x === b[k]);

/**
 * Whether the fleet, with a change's steps applied, is made of a few kinds of host built alike: hosts of one kind
 * read the same once their addresses and Docker's made-up names are renamed, and no host's snapshot names another's
 * addresses; each step names at most one peer and is pinned to it; in every run of consecutive peer steps a host
 * does the same for every peer of a kind, and for every other host; and hosts of one kind take the same steps. Then
 * for any ordered pair (H, P), the walks between them consult only H's and P's own parts and their parts for each
 * other (no one else's addresses are in their packets), and those are the image of one pair of hosts of the same
 * kinds: one pair per pair of kinds, weighted by how many it stands for, counts the fleet. Anything netdiag cannot
 * show alike (address ranges, a bridged segment between hosts, a snapshot taken for one question) is not. The
 * snapshots are read once, for any number of changes.
 */
export class AlikeFleet {
  private prepared: Prepared | NotAlike | null = null;

  constructor(private readonly snapshots: HostSnapshot[]) {}

  with(steps: PlanStep[]): Alike {
    try {
      return this.check(steps);
    } catch (e) {
      if (e instanceof NotAlike) return { alike: false, why: e.message };
      throw e;
    }
  }

  /**
   * As `with`, for a plan written as one shared table, without making its N² steps: every host's steps for a peer
   * are made from the peer's offer (its subnets, LAN address and sources, renamed as any other host sees them) and
   * the host's own way of taking them (its device, its tables, its own subnets). Offers alike within each kind, each
   * naming only its own host's addresses, no host skipping any peer, and hosts of a kind taking alike: then every
   * host's expansion passes the step-by-step check above (`with`), and the answering pairs get the same steps.
   */
  withShared(plan: SharedPlan): Alike {
    try {
      return this.checkShared(plan);
    } catch (e) {
      if (e instanceof NotAlike) return { alike: false, why: e.message };
      throw e;
    }
  }

  private checkShared(plan: SharedPlan): Alike {
    const { snapshots } = this;
    const { names, index, kindOf, kinds } = this.prepare();
    if (plan.hosts.length !== snapshots.length || plan.hosts.some((h, i) => index.get(h.name) !== i)) throw new NotAlike('the plan\'s hosts are not the hosts in view');
    const offers = plan.hosts.map((h, i) => {
      // Renamed as any other host sees them (§P…: the same whoever looks), and each the offering host's own.
      const viewer = i === 0 ? 1 : 0;
      const words = h.reach.routes.length ? [...h.reach.routes, h.reach.via, ...h.reach.sources] : h.reach.sources;
      return `${h.reach.routes.length} ${h.reach.sources.length} ${words
        .map((w) => {
          names.clear(viewer);
          const r = names.word(w);
          if (names.peer !== i) throw new NotAlike(`a step on ${snapshots[viewer]?.name} for ${h.name} is not limited to its addresses`);
          return r;
        })
        .join(' ')}`;
    });
    for (const members of kinds) for (const m of members) if (offers[m] !== offers[members[0] as number]) throw new NotAlike(`${snapshots[m === members[0] ? 0 : (members[0] as number)]?.name} does not treat every other host of a kind the same way`);
    // Peers from whom a host takes nothing beside peers it takes from: the step-by-step check's run misses them.
    const emptyRoutes = plan.hosts.filter((h) => h.reach.routes.length === 0).length;
    const emptyBoth = plan.hosts.filter((h) => h.reach.routes.length === 0 && h.reach.sources.length === 0).length;
    const reference = new Map<number, string>();
    plan.hosts.forEach((h, host) => {
      const s = snapshots[host] as HostSnapshot;
      if (h.takes.skipRoutes.length || h.takes.skipAccepts.length) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
      const takesAccepts = h.reach.routes.length > 0 && h.takes.tables.length > 0;
      const own = h.reach.routes.length === 0 ? 1 : 0;
      const ownBoth = h.reach.routes.length === 0 && h.reach.sources.length === 0 ? 1 : 0;
      const idle = takesAccepts ? emptyBoth - ownBoth : emptyRoutes - own;
      if (idle > 0 && idle < snapshots.length - 1) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
      let canon = '';
      for (const st of h.steps) {
        names.clear(host);
        const parts = stepParts(st, names);
        if (names.peer !== null) throw new NotAlike(`a step on ${s.name} names another host outside the plan's table`);
        canon += `\n${stepText(parts)}`;
      }
      names.clear(host);
      canon += `\n[each peer] ${names.word(h.takes.dev)} ${names.word(h.takes.iface)} ${h.takes.tables.join(' ')} ${h.reach.routes.map((w) => names.word(w)).join(' ')}`;
      if (names.peer !== null) throw new NotAlike(`${s.name}'s table names another host`);
      const kind = kindOf[host] as number;
      const first = reference.get(kind);
      if (first === undefined) reference.set(kind, canon);
      else if (canon !== first) throw new NotAlike(`${s.name}'s steps are not ${snapshots[kinds[kind]?.[0] as number]?.name}'s image`);
    });
    names.literalsAlike(kinds);
    const pairs: AlikePair[] = [];
    const pair = (a: number, b: number, stands: number) => pairs.push({ hosts: [snapshots[a] as HostSnapshot, snapshots[b] as HostSnapshot], steps: [...expandHost(plan, Math.min(a, b), Math.max(a, b)), ...expandHost(plan, Math.max(a, b), Math.min(a, b))], stands });
    kinds.forEach((ka, i) => {
      if (ka.length >= 2) pair(ka[0] as number, ka[1] as number, (ka.length * (ka.length - 1)) / 2);
      kinds.slice(i + 1).forEach((kb) => pair(ka[0] as number, kb[0] as number, ka.length * kb.length));
    });
    return { alike: true, pairs };
  }

  private prepare(): Prepared {
    if (this.prepared === null) {
      try {
        this.prepared = this.read();
      } catch (e) {
        if (!(e instanceof NotAlike)) throw e;
        this.prepared = e;
      }
    }
    if (this.prepared instanceof NotAlike) throw this.prepared;
    return this.prepared;
  }

  /** The snapshots alone: which kind each host is (hosts whose renamed text is the same). */
  private read(): Prepared {
    const { snapshots } = this;
    if (snapshots.length < 3) throw new NotAlike('fewer than three hosts');
    const index = new Map(snapshots.map((s, i) => [s.name, i]));
    if (index.size !== snapshots.length) throw new NotAlike('two snapshots have the same host name');
    for (const s of snapshots) {
      if (s.scope !== null) throw new NotAlike(`${s.name}'s snapshot was taken for one question`);
      if (foreignPorts(s).size > 0) throw new NotAlike(`${s.name} bridges a port that is not a container's (a segment shared with other hosts)`);
    }
    const ids = snapshots.map(identities);
    const blocks = fleetBlocks(snapshots, ids);
    const names = new Renamer(snapshots, blocks, ids);
    const { partOf: kindOf, members: kinds } = partition(snapshots, (s, host) => {
      names.clear(host);
      const text = `${blocks.shapes[host]}\n${modelled(s, names)}`;
      if (names.peer !== null) throw new NotAlike(`${s.name} already names ${names.peer >= 0 ? `${snapshots[names.peer]?.name}'s` : 'other hosts\''} addresses`);
      return text;
    });
    // One pair of hosts per pair of kinds must be far fewer walks than every pair of hosts.
    if ((kinds.length * (kinds.length + 1)) / 2 > (snapshots.length * (snapshots.length - 1)) / 4) throw new NotAlike(`${kinds.length} kinds of host among ${snapshots.length}: too few are alike`);
    names.literalsAlike(kinds);
    return { names, index, kindOf, kinds };
  }

  private check(steps: PlanStep[]): Alike {
    const { snapshots } = this;
    const { names, index, kindOf, kinds } = this.prepare();
    const stepsOf: PlanStep[][] = snapshots.map(() => []);
    // A host's steps come together: its name is looked up once per run of them.
    let lastName: string | null = null;
    let last: number | undefined;
    for (const st of steps) {
      const h = st.host === lastName ? last : (last = index.get((lastName = st.host)));
      if (h === undefined) throw new NotAlike(`a step is for ${st.host}, not a host in view`);
      (stepsOf[h] as PlanStep[]).push(st);
    }
    // The pairs that answer: the first two hosts of each kind, and the first hosts of every two kinds.
    const pairs: { a: number; b: number; stands: number; steps: PlanStep[] }[] = [];
    kinds.forEach((ka, i) => {
      if (ka.length >= 2) pairs.push({ a: ka[0] as number, b: ka[1] as number, stands: (ka.length * (ka.length - 1)) / 2, steps: [] });
      kinds.slice(i + 1).forEach((kb) => pairs.push({ a: ka[0] as number, b: kb[0] as number, stands: ka.length * kb.length, steps: [] }));
    });
    const reference = new Map<number, string>();
    snapshots.forEach((s, host) => {
      const answering = pairs.filter((p) => p.a === host || p.b === host);
      let canon = '';
      // Consecutive steps for peers: each peer's own sequence must be the same for every peer of a kind, and every
      // other host must have one.
      let run: { templates: Map<number, string[][]>; at: Map<number, number> } | null = null;
      const close = () => {
        if (!run) return;
        if (run.at.size !== snapshots.length - 1 || [...run.at].some(([peer, n]) => n !== run?.templates.get(kindOf[peer] as number)?.length)) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
        canon += `\n[each peer]${[...run.templates].sort(([a], [b]) => a - b).map(([kind, t]) => `\n(kind ${kind})\n${t.map(stepText).join('\n')}`).join('')}`;
        run = null;
      };
      for (const st of stepsOf[host] as PlanStep[]) {
        names.clear(host);
        const parts = stepParts(st, names);
        const peer = names.peer;
        if (peer === -1) throw new NotAlike(`a step on ${s.name} names more than one other host`);
        for (const p of answering) if (peer === null || peer === p.a + p.b - host) p.steps.push(st);
        if (peer === null) {
          close();
          canon += `\n${stepText(parts)}`;
          continue;
        }
        if (!pinned(st, peer, names)) throw new NotAlike(`a step on ${s.name} for ${snapshots[peer]?.name} is not limited to its addresses`);
        run ??= { templates: new Map(), at: new Map() };
        let template = run.templates.get(kindOf[peer] as number);
        if (!template) run.templates.set(kindOf[peer] as number, (template = []));
        const i = run.at.get(peer) ?? 0;
        if (i === template.length) template.push(parts);
        else if (!sameParts(template[i] as string[], parts)) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
        run.at.set(peer, i + 1);
      }
      close();
      const kind = kindOf[host] as number;
      const first = reference.get(kind);
      if (first === undefined) reference.set(kind, canon);
      else if (canon !== first) throw new NotAlike(`${s.name}'s steps are not ${snapshots[kinds[kind]?.[0] as number]?.name}'s image`);
    });
    names.literalsAlike(kinds);
    return { alike: true, pairs: pairs.map((p) => ({ hosts: [snapshots[p.a] as HostSnapshot, snapshots[p.b] as HostSnapshot], steps: p.steps, stands: p.stands })) };
  }
}

interface Prepared {
  names: Renamer;
  index: Map<string, number>;
  kindOf: number[];
  /** Each kind's hosts, in the fleet's order. */
  kinds: number[][];
}
