// Hosts built alike: a fleet where each host is every other's image once its own addresses are renamed, and treats
// every peer the same way. Then every ordered pair of hosts walks alike, and one pair answers for all of them.
import { ipText, isLinkLocal6, isLoopback, isMulticast, parseIp } from '../iptables/addr.js';
import type { Ip } from '../iptables/addr.js';
import type { Cidr } from '../iptables/ast.js';
import { PrefixMap } from '../iptables/prefix-map.js';
import { foreignPorts } from '../model/build.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { PlanStep } from '../../snapshot/contract.js';

export type Alike =
  | { alike: true; pair: [HostSnapshot, HostSnapshot]; pairSteps: PlanStep[] }
  | { alike: false; why: string };

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
const size = (c: Cidr): bigint => 1n << BigInt(fullBits(c.addr) - c.bits);
const start = (c: Cidr): bigint => BigInt(c.addr);
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
 * A host's blocks in an order every host built alike shares: networks by name, then interfaces by their names'
 * stand-ins. `lan` marks those held on an interface that is not a bridge (the addresses other hosts reach it by).
 */
function blocksOf(s: HostSnapshot, ids: Identities): (Cidr & { lan?: true })[] {
  const out: (Cidr & { lan?: true })[] = [];
  for (const n of byName(s.docker?.networks ?? [])) {
    for (const sub of n.subnets) {
      const [ip, bits] = sub.subnet.split('/');
      const addr = parseIp(ip ?? '');
      if (addr === null || bits === undefined) throw new NotAlike(`${s.name}'s network ${n.name} has a subnet netdiag cannot read (${sub.subnet})`);
      out.push({ addr, bits: Number(bits) });
    }
  }
  const kinds = new Map((s.links?.interfaces ?? []).map((i) => [i.name, i.kind]));
  const add = (text: string, dev: string | null) => {
    const addr = parseIp(text);
    if (addr === null) throw new NotAlike(`${s.name} has an address netdiag cannot read (${text})`);
    if (dev === 'lo' || out.some((c) => typeof c.addr === typeof addr && start(c) <= BigInt(addr) && BigInt(addr) < start(c) + size(c))) return;
    out.push({ addr, bits: fullBits(addr), ...(dev !== null && kinds.get(dev) === 'bridge' ? {} : { lan: true as const }) });
  };
  const named = (s.links?.interfaces ?? []).map((i) => ({ ...i, name: standIn(ids, i.name), raw: i.name }));
  for (const i of byName(named)) for (const a of i.addresses) add(a.local, i.raw);
  // The kernel also answers for addresses only its local table names (the model counts them as the host's own).
  const local = (s.routes?.routes ?? []).map((r) => ({ ...r, name: standIn(ids, r.dev ?? '') }));
  for (const r of byName(local)) {
    if (r.table === 'local' && r.type === 'local' && (!r.dst.includes('/') || r.dst.endsWith('/32') || r.dst.endsWith('/128'))) add(r.dst.replace(/\/\d+$/, ''), r.dev);
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
}

function fleetBlocks(snapshots: HostSnapshot[], ids: Identities[]): FleetBlocks {
  const perHost = snapshots.map((s, i) => blocksOf(s, ids[i] as Identities));
  const text = (c: Cidr) => `${typeof c.addr === 'number' ? 4 : 6}:${c.addr}/${c.bits}`;
  const first = perHost[0] as Cidr[];
  const common = first.map((c, k) => perHost.every((cs) => cs[k] && text(cs[k]) === text(c)));
  const owned = new PrefixMap<Block>();
  const all: Block[] = [];
  perHost.forEach((cs, host) => {
    // The same sizes, and the same kinds of address: the model treats loopback, multicast and link-local ones apart.
    if (cs.length !== first.length || cs.some((c, k) => typeof c.addr !== typeof first[k]?.addr || c.bits !== first[k]?.bits || special(c.addr) !== special(first[k]!.addr))) {
      throw new NotAlike(`${snapshots[host]?.name} does not have networks and interface addresses of the same sizes as ${snapshots[0]?.name}`);
    }
    cs.forEach((cidr, k) => {
      // Held by every host where the LAN can ask for it: who answers would depend on the order of the hosts.
      if (common[k] && cidr.lan) throw new NotAlike(`every host holds ${ipText(cidr.addr)} on an interface other hosts reach`);
      if (common[k]) return;
      const b = { host, k, cidr };
      all.push(b);
      owned.set(cidr, b);
    });
  });
  all.sort((a, b) => (typeof a.cidr.addr !== typeof b.cidr.addr ? (typeof a.cidr.addr === 'number' ? -1 : 1) : start(a.cidr) < start(b.cidr) ? -1 : start(a.cidr) > start(b.cidr) ? 1 : 0));
  for (let i = 1; i < all.length; i++) {
    const [p, q] = [all[i - 1] as Block, all[i] as Block];
    if (typeof p.cidr.addr === typeof q.cidr.addr && start(q.cidr) < start(p.cidr) + size(p.cidr)) {
      throw new NotAlike(`${snapshots[p.host]?.name} and ${snapshots[q.host]?.name} hold overlapping addresses`);
    }
  }
  return { owned, perHost };
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
          r.rest = `${b.k}+${BigInt(ip) - start(b.cidr)}${slash < 0 ? '' : `/${bits}`}`;
        } else this.unowned(w, { addr: ip, bits });
      }
    }
    this.words.set(w, r);
    return r;
  }

  /**
   * A network no host owns is kept as written, so it must stand in the same relation to every host's k-th block: a
   * rule for 172.16.0.0/23 on every host holds host0's networks and no one else's, and names no one alike.
   */
  private unowned(tok: string, c: Cidr): void {
    const within = (b: Cidr) => typeof b.addr === typeof c.addr && start(c) <= start(b) && start(b) < start(c) + size(c);
    const first = this.blocks.perHost[0] as Cidr[];
    this.blocks.perHost.forEach((cs, host) => {
      cs.forEach((b, k) => {
        if (within(b) !== within(first[k] as Cidr)) throw new NotAlike(`${tok} holds ${this.snapshots[host]?.name}'s addresses and ${this.snapshots[0]?.name}'s differently`);
      });
    });
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
 * Whether the fleet, with a change's steps applied, is alike: each host's snapshot and steps, addresses renamed, read
 * the same; no host's snapshot names another's addresses; each step names at most one peer and is pinned to it; and
 * every run of consecutive peer steps does the same for every other host. Then, for any ordered pair (H, P), the
 * walks between them consult only H's and P's own parts and their parts for each other (no one else's addresses
 * are in their packets), and those are one pair's image: one pair's count, times the number of pairs, is the
 * fleet's. Anything netdiag cannot show alike (address ranges, a bridged segment between hosts, a snapshot taken
 * for one question) is not. The snapshots are read once, for any number of changes.
 */
export class AlikeFleet {
  private prepared: { names: Renamer; canon: string; index: Map<string, number> } | { why: string } | null = null;

  constructor(private readonly snapshots: HostSnapshot[]) {}

  with(steps: PlanStep[]): Alike {
    try {
      return this.check(steps);
    } catch (e) {
      if (e instanceof NotAlike) return { alike: false, why: e.message };
      throw e;
    }
  }

  /** The snapshots alone: every host's renamed text must be the first's. */
  private prepare(): { names: Renamer; canon: string; index: Map<string, number> } {
    if (this.prepared === null) {
      try {
        this.prepared = this.read();
      } catch (e) {
        if (!(e instanceof NotAlike)) throw e;
        this.prepared = { why: e.message };
      }
    }
    if ('why' in this.prepared) throw new NotAlike(this.prepared.why);
    return this.prepared;
  }

  private read(): { names: Renamer; canon: string; index: Map<string, number> } {
    const { snapshots } = this;
    if (snapshots.length < 3) throw new NotAlike('fewer than three hosts');
    const index = new Map(snapshots.map((s, i) => [s.name, i]));
    if (index.size !== snapshots.length) throw new NotAlike('two snapshots have the same host name');
    for (const s of snapshots) {
      if (s.scope !== null) throw new NotAlike(`${s.name}'s snapshot was taken for one question`);
      if (foreignPorts(s).size > 0) throw new NotAlike(`${s.name} bridges a port that is not a container's (a segment shared with other hosts)`);
    }
    const ids = snapshots.map(identities);
    const names = new Renamer(snapshots, fleetBlocks(snapshots, ids), ids);
    let canon = '';
    snapshots.forEach((s, host) => {
      names.clear(host);
      const json = modelled(s);
      if (json.includes('-range ') || json.includes('"range"')) throw new NotAlike(`${s.name} has rules on address ranges`);
      const text = names.text(json);
      if (names.peer !== null) throw new NotAlike(`${s.name} already names ${names.peer >= 0 ? `${snapshots[names.peer]?.name}'s` : 'other hosts\''} addresses`);
      if (host === 0) canon = text;
      else if (text !== canon) throw new NotAlike(`${s.name} is not ${snapshots[0]?.name}'s image`);
    });
    return { names, canon, index };
  }

  private check(steps: PlanStep[]): Alike {
    const { snapshots } = this;
    const { names, index } = this.prepare();
    const stepsOf: PlanStep[][] = snapshots.map(() => []);
    for (const st of steps) {
      const h = index.get(st.host);
      if (h === undefined) throw new NotAlike(`a step is for ${st.host}, not a host in view`);
      (stepsOf[h] as PlanStep[]).push(st);
    }
    const pairSteps: PlanStep[] = [];
    let reference = '';
    snapshots.forEach((s, host) => {
      let canon = '';
      // Consecutive steps for peers: each peer's own sequence must be the same, and every other host must have one.
      let run: { template: string[]; at: Map<number, number> } | null = null;
      const close = () => {
        if (!run) return;
        if (run.at.size !== snapshots.length - 1 || [...run.at.values()].some((n) => n !== run?.template.length)) throw new NotAlike(`${s.name} does not treat every other host the same way`);
        canon += `\n[each peer]\n${run.template.join('\n')}`;
        run = null;
      };
      for (const st of stepsOf[host] as PlanStep[]) {
        names.clear(host);
        const text = stepText(st, names);
        const peer = names.peer;
        if (peer === -1) throw new NotAlike(`a step on ${s.name} names more than one other host`);
        if ((host === 0 || host === 1) && (peer === null || peer === 1 - host)) pairSteps.push(st);
        if (peer === null) {
          close();
          canon += `\n${text}`;
          continue;
        }
        if (!pinned(st, peer, names)) throw new NotAlike(`a step on ${s.name} for ${snapshots[peer]?.name} is not limited to its addresses`);
        run ??= { template: [], at: new Map() };
        const i = run.at.get(peer) ?? 0;
        if (i === run.template.length) run.template.push(text);
        else if (run.template[i] !== text) throw new NotAlike(`${s.name} does not treat every other host the same way`);
        run.at.set(peer, i + 1);
      }
      close();
      if (host === 0) reference = canon;
      else if (canon !== reference) throw new NotAlike(`${s.name}'s steps are not ${snapshots[0]?.name}'s image`);
    });
    return { alike: true, pair: [snapshots[0] as HostSnapshot, snapshots[1] as HostSnapshot], pairSteps };
  }
}
