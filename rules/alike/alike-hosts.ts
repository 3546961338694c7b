// Hosts built alike: a fleet of a few kinds of host, each host its kind's image once its own addresses and Docker's
// names for things are renamed, treating every peer of a kind the same way. One pair per pair of kinds answers for all.
import { cidrsOverlap, cidrText, inCidr, ipText, isLinkLocal6, isLoopback, isMulticast, parseCidr, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { Cidr } from '../iptables/ast.js';
import { PrefixMap } from '../addr/prefix-map.js';
import { foreignPorts, hostAddresses } from '../model/build.js';
import { partition } from '../matrix/partition.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { PlanStep } from '../../snapshot/contract.js';

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

/** An address, with an optional prefix length; an IPv6 one may end in an IPv4 tail. */
const ADDRESS = /(?:\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9a-fA-F]{0,4}:){2,7}(?:[0-9a-fA-F]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?)(?:\/\d{1,3})?/g;

const fullBits = (ip: Ip) => (typeof ip === 'number' ? 32 : 128);
const special = (ip: Ip) => `${isLoopback(ip)}${isMulticast(ip)}${isLinkLocal6(ip)}`;
const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

interface Identities {
  re: RegExp | null;
  as: Map<string, string>;
}

/**
 * The names Docker makes up for a host's things, each with a stand-in: containers and networks (their IDs and short
 * IDs, which name bridges and aliases) in the order of their names, and the host ends of veths in the order of the
 * containers they lead to. Two hosts running the same containers differ in these and in nothing the model reads.
 */
function identities(s: HostSnapshot): Identities {
  const as = new Map<string, string>();
  const add = (raw: string | undefined, token: string) => {
    if (raw && raw.length >= 8 && !as.has(raw)) as.set(raw, token);
  };
  const containers = byName(s.docker?.containers ?? []);
  containers.forEach((c, i) => (add(c.id, `§C${i}`), add(c.id.slice(0, 12), `§c${i}`)));
  byName(s.docker?.networks ?? []).forEach((n, i) => (add(n.id, `§N${i}`), add(n.id.slice(0, 12), `§n${i}`)));
  const order = new Map(containers.map((c, i) => [c.id, i]));
  const sandboxes = [...(s.links?.sandboxes ?? [])].sort((a, b) => (order.get(a.containerId) ?? Infinity) - (order.get(b.containerId) ?? Infinity));
  sandboxes.forEach((sb, i) => sb.interfaces.forEach((f, j) => add(f.hostVeth?.name, `§V${i}.${j}`)));
  // Longest first: a network's ID before the short ID inside it.
  const raw = [...as.keys()].sort((a, b) => b.length - a.length).map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { re: raw.length > 0 ? new RegExp(raw.join('|'), 'g') : null, as };
}

/** A text with a host's made-up names replaced by their stand-ins. */
const standIn = (ids: Identities, text: string) => (ids.re ? text.replace(ids.re, (x) => ids.as.get(x) as string) : text);

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
    out.push({ addr, bits: fullBits(addr), ...(kinds.get(dev) === 'bridge' ? {} : { lan: true as const }) });
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

/** What a word is to the renamer: an address or prefix inside a block, text with addresses in it, or neither. */
interface Word {
  block: Block | null;
  /** The block's index and the offset in it (and the prefix length), for a word in a block. */
  rest: string;
  mixed: boolean;
  /** Long enough a run of hex, or a veth's name: it may hold one of Docker's names for things. */
  idish: boolean;
}

const WHOLE = new RegExp(`^${ADDRESS.source}$`);
/** An address followed by a dash and what could start another: a range (a NAT target's, an iprange's). */
const RANGE_NEXT = /^-[0-9a-fA-F:]/;
const IDISH = /[0-9a-fA-F]{11}|veth/;

/**
 * Renames host by host: addresses in its own blocks to §S<k>+offset, in a peer's to §P<k>+offset (remembering which
 * peer a text named), and Docker's made-up names to their stand-ins. Each distinct word is read once for the whole
 * fleet (a plan's million steps repeat a few thousand).
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

  text(s: string): string {
    return this.addresses(this.names(s));
  }

  word(w: string): string {
    const r = this.read(w);
    const out = r.block ? this.inBlock(r.block, r.rest) : r.mixed ? this.addresses(w) : w;
    return r.idish ? this.names(out) : out;
  }

  private inBlock(b: Block, rest: string): string {
    if (b.host === this.host) return '§S' + rest;
    this.peer = this.peer === null || this.peer === b.host ? b.host : -1;
    return '§P' + rest;
  }

  /** The host whose block a whole word lies in, if it does. */
  ownerOf(w: string): number | null {
    return this.read(w).block?.host ?? null;
  }

  private names(s: string): string {
    return standIn(this.ids[this.host] as Identities, s);
  }

  private addresses(s: string): string {
    return s.replace(ADDRESS, (tok: string, at: number) => {
      // What lies between two renamed ends of a range is not renamed with them.
      if (RANGE_NEXT.test(s.slice(at + tok.length, at + tok.length + 2))) throw new NotAlike(`${this.snapshots[this.host]?.name} has an address range (${tok}-…)`);
      const r = this.read(tok);
      return r.block ? this.inBlock(r.block, r.rest) : tok;
    });
  }

  private read(w: string): Word {
    let r = this.words.get(w);
    if (r !== undefined) return r;
    r = { block: null, rest: '', mixed: false, idish: IDISH.test(w) };
    if (!WHOLE.test(w)) {
      ADDRESS.lastIndex = 0;
      r.mixed = ADDRESS.test(w);
      ADDRESS.lastIndex = 0;
    } else {
      const slash = w.indexOf('/');
      const ip = parseIp(slash < 0 ? w : w.slice(0, slash));
      const bits = ip === null ? NaN : slash < 0 ? fullBits(ip) : Number(w.slice(slash + 1));
      if (ip !== null && bits >= 0 && bits <= fullBits(ip)) {
        const b = this.blocks.owned.longest(ip);
        if (b && bits >= b.cidr.bits) {
          r.block = b;
          r.rest = `${b.k}+${BigInt(ip) - BigInt(b.cidr.addr)}${slash < 0 ? '' : `/${bits}`}`;
        } else this.unowned(w, { addr: ip, bits });
      }
    }
    this.words.set(w, r);
    return r;
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
 * for things (interface indexes, namespace ids, process ids, MACs, endpoint IDs, sandbox paths), hostnames, counters.
 */
const UNREAD = new Set(['ifindex', 'netnsId', 'pid', 'process', 'mac', 'lladdr', 'endpointId', 'sandboxKey', 'hostname', 'packets', 'bytes']);

/**
 * What the model reads of a host, as text: left out are the parts that only name it or time it, neighbour tables
 * (evidence in a trace, never a verdict) and the fields above.
 */
function modelled(s: HostSnapshot): string {
  const { name: _name, collectedAt: _at, durationMs: _ms, netdiagVersion: _v, collectors, routes, ...rest } = s;
  const parts = {
    ...rest,
    collectors: Object.entries(collectors).map(([k, v]) => `${k}:${v?.status}`),
    routes: routes ? { ...routes, neighbours: [], sandboxes: routes.sandboxes.map((x) => ({ ...x, neighbours: [] })) } : null,
  };
  // nft writes a prefix as {"addr", "len"}: made one word, so it is renamed (or checked) as the network it is.
  return JSON.stringify(parts, (key, value) => (UNREAD.has(key) ? undefined : value)).replace(/\{"addr":"([^"]*)","len":(\d+)\}|\{"len":(\d+),"addr":"([^"]*)"\}/g, (_m, a, l, l2, a2) => `"${a ?? a2}/${l ?? l2}"`);
}

const PIN = new Set(['-s', '--source', '-d', '--destination']);

/**
 * A step for one peer must touch only packets to or from that peer's addresses, so the order of different peers'
 * steps cannot matter: a route to one of its networks, or a rule inserted at the top that matches its address.
 */
function pinned(step: PlanStep, peer: number, names: Renamer): boolean {
  if (step.kind === 'ip-route-add') return names.ownerOf(step.dst) === peer;
  if (step.kind === 'iptables-insert' && (step.position ?? 1) === 1) {
    return step.rule.some((w, i) => PIN.has(w) && step.rule[i - 1] !== '!' && step.rule[i + 1] !== '!' && names.ownerOf(step.rule[i + 1] ?? '') === peer);
  }
  return false;
}

/** A step as text with its addresses renamed, its host left out. */
function stepText(step: PlanStep, names: Renamer): string {
  switch (step.kind) {
    case 'ip-route-add':
      return `route-add ${names.word(step.dst)} ${names.word(step.via)} ${step.dev === null ? '' : names.word(step.dev)}`;
    case 'iptables-insert':
      return `insert ${step.ip6tables ? 6 : 4} ${step.table} ${step.chain} ${step.position ?? 1} ${step.rule.map((w) => names.word(w)).join('\u0000')}`;
    default: {
      const { host: _host, ...rest } = step;
      return names.text(JSON.stringify(rest));
    }
  }
}

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
      const json = modelled(s);
      if (json.includes('-range ') || json.includes('"range"')) throw new NotAlike(`${s.name} has rules on address ranges`);
      const text = `${blocks.shapes[host]}\n${names.text(json)}`;
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
    for (const st of steps) {
      const h = index.get(st.host);
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
      let run: { templates: Map<number, string[]>; at: Map<number, number> } | null = null;
      const close = () => {
        if (!run) return;
        if (run.at.size !== snapshots.length - 1 || [...run.at].some(([peer, n]) => n !== run?.templates.get(kindOf[peer] as number)?.length)) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
        canon += `\n[each peer]${[...run.templates].sort(([a], [b]) => a - b).map(([kind, t]) => `\n(kind ${kind})\n${t.join('\n')}`).join('')}`;
        run = null;
      };
      for (const st of stepsOf[host] as PlanStep[]) {
        names.clear(host);
        const text = stepText(st, names);
        const peer = names.peer;
        if (peer === -1) throw new NotAlike(`a step on ${s.name} names more than one other host`);
        for (const p of answering) if (peer === null || peer === p.a + p.b - host) p.steps.push(st);
        if (peer === null) {
          close();
          canon += `\n${text}`;
          continue;
        }
        if (!pinned(st, peer, names)) throw new NotAlike(`a step on ${s.name} for ${snapshots[peer]?.name} is not limited to its addresses`);
        run ??= { templates: new Map(), at: new Map() };
        let template = run.templates.get(kindOf[peer] as number);
        if (!template) run.templates.set(kindOf[peer] as number, (template = []));
        const i = run.at.get(peer) ?? 0;
        if (i === template.length) template.push(text);
        else if (template[i] !== text) throw new NotAlike(`${s.name} does not treat every other host of a kind the same way`);
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
