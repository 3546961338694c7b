// `plan routes`: what makes every host's container subnets reachable from every other host's containers — routes via
// the peer's LAN address, ip_forward, acceptance in DOCKER-USER (and raw PREROUTING on Docker 28.2+), and the
// disruptive bip changes needed first when subnets overlap.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { cidrText, cidrsOverlap, inCidr, ipToNumber, maskOf, numberToIp, parseCidr4 } from '../addr/addr.js';
import { ContentHash } from '../steps/hash.js';
import type { Cidr4 as Cidr } from '../addr/addr.js';
import { applySteps } from '../changes/predict.js';
import { AlikeFleet } from '../alike/alike-hosts.js';
import { countPairs } from '../matrix/matrix.js';
import type { PairCounts } from '../matrix/matrix.js';
import { buildWorld } from '../model/build.js';
import { rawDirectAccessDrops } from '../meaning/host.js';
import { Plan, PlanFile, SharedPlan } from '../../snapshot/contract.js';
import type { AddressVerdict, PlanStep, Prerequisite } from '../../snapshot/contract.js';
import { countHost, expandPlan } from './shared-plan.js';
import { ADMIN_CHAIN } from '../meaning/layouts.js';
import { OverlapIndex } from './overlap-index.js';

export { Plan, PlanFile, SharedPlan };
export type { Prerequisite };

interface HostView {
  s: HostSnapshot;
  /**
   * Container subnets of bridge networks that leave the host (not --internal), with whether Docker masquerades them,
   * and whether they can be routed (no earlier host has an overlapping one).
   */
  subnets: { cidr: Cidr; text: string; network: string; masquerade: boolean; isDefault: boolean; routable: boolean }[];
  lans: { iface: string; ip: number; text: string; net: Cidr }[];
  /** Docker 28.2+ drops direct access to containers in raw PREROUTING. */
  rawProtected: boolean;
  dockerUser: boolean;
  /** Its main table's routes via a gateway, as `dst gateway`: a route the plan would add that is there already is not. */
  routes: Set<string>;
}

function view(s: HostSnapshot): HostView {
  const subnets: HostView['subnets'] = [];
  for (const n of s.docker?.networks ?? []) {
    if (n.driver !== 'bridge' || n.internal) continue;
    for (const sub of n.subnets) {
      const c = parseCidr4(sub.subnet);
      if (c) subnets.push({ cidr: c, text: cidrText(c), network: n.name, masquerade: n.masquerade, isDefault: n.isDefaultBridge, routable: true });
    }
  }
  const bridges = new Set((s.links?.interfaces ?? []).filter((i) => i.kind === 'bridge').map((i) => i.name));
  const lans: HostView['lans'] = [];
  for (const i of s.links?.interfaces ?? []) {
    // Container-side veths are enslaved to a bridge; an un-enslaved veth can be an uplink (VMs, the lab's LAN).
    if (bridges.has(i.name) || i.name === 'lo' || i.master) continue;
    for (const a of i.addresses) {
      if (a.family !== 'inet' || a.scope !== 'global') continue;
      const ip = ipToNumber(a.local) as number;
      lans.push({ iface: i.name, ip, text: numberToIp(ip), net: { addr: (ip & maskOf(a.prefixLen)) >>> 0, bits: a.prefixLen } });
    }
  }
  const filter = s.firewall?.tables.find((t) => t.name === 'filter');
  // Docker 28+ drops direct access to its containers in raw PREROUTING: a route alone does not reach them.
  const rawProtected = rawDirectAccessDrops(s);
  const routes = new Set((s.routes?.routes ?? []).filter((r) => r.table === 'main' && r.gateway).map((r) => `${r.dst} ${r.gateway}`));
  return { s, subnets, lans, rawProtected, dockerUser: !!filter?.chains.some((c) => c.name === ADMIN_CHAIN), routes };
}

/** A /24 in 192.168.0.0/16 that overlaps nothing any host has (container subnets, LANs, routes). */
function freeSubnet(taken: Cidr[], start: number): Cidr | null {
  for (let k = 0; k < 256; k++) {
    const third = (start + k * 10) % 256;
    const c = { addr: ipToNumber(`192.168.${third}.0`) as number, bits: 24 };
    if (!taken.some((t) => cidrsOverlap(t, c))) {
      taken.push(c);
      return c;
    }
  }
  return null;
}

/**
 * Cross-host pairs and their verdicts with `steps` applied. In a fleet of a few kinds of host built alike, one pair
 * of hosts answers for every pair of its kinds (see AlikeFleet): five hundred hosts are one walk of two, not a million.
 */
function crossHostCounts(snapshots: HostSnapshot[], fleet: AlikeFleet, steps: PlanStep[] | SharedPlan): PairCounts & { walked: string[] | null } {
  const count = (hosts: HostSnapshot[], own: PlanStep[]) => countPairs(buildWorld(applySteps(hosts, own)), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
  const alike = Array.isArray(steps) ? fleet.with(steps) : fleet.withShared(steps);
  if (!alike.alike) return { ...count(snapshots, Array.isArray(steps) ? steps : expandPlan(steps).hosts.flatMap((h) => h.steps)), walked: null };
  const out: PairCounts = { pairs: 0, counts: { reachable: 0, blocked: 0, unknown: 0 } };
  for (const pair of alike.pairs) {
    const one = count(pair.hosts, pair.steps);
    out.pairs += one.pairs * pair.stands;
    for (const [k, v] of Object.entries(one.counts) as [AddressVerdict, number][]) out.counts[k] += v * pair.stands;
  }
  return { ...out, walked: alike.pairs.map((p) => `${p.hosts[0].name} and ${p.hosts[1].name}`) };
}

/** How a plan is written: host by host (plan@1), or as one shared table where the fleet allows (plan@2, see SharedPlan). */
export interface PlanOptions {
  /** Unset: the shared table once the per-host form would pass SHARED_ABOVE steps, host by host below. */
  shape?: 'per-host' | 'shared';
}

/**
 * Steps above which a plan is written as one shared table: below, host by host is what a person reads and checks
 * (50 hosts of two networks are 9,800 steps); above, the per-host form only repeats the table, N² steps in all.
 */
export const SHARED_ABOVE = 10_000;

export function planRoutes(snapshots: HostSnapshot[], agents: Map<string, string> = new Map(), opts: PlanOptions = {}): PlanFile {
  const views = snapshots.map(view);
  const prerequisites: Prerequisite[] = [];
  const notes: string[] = [];
  const taken: Cidr[] = views.flatMap((v) => [...v.subnets.map((x) => x.cidr), ...v.lans.map((l) => l.net), ...(v.s.routes?.routes ?? []).filter((r) => r.dst !== '0.0.0.0/0').flatMap((r) => parseCidr4(r.dst) ?? [])]);

  // Overlapping container subnets cannot be routed: the later host must move first (a daemon restart, so flagged).
  // The first earlier host with an overlapping subnet, found in an index of all of them (not by asking each host).
  const everySubnet = new OverlapIndex(views.flatMap((v, host) => v.subnets.map((x) => ({ cidr: x.cidr, host }))));
  views.forEach((v, i) => {
    for (const sub of v.subnets) {
      let first = i;
      for (const o of everySubnet.overlapping(sub.cidr)) if (o.host < first) first = o.host;
      if (first === i) continue;
      const clash = views[first] as HostView;
      sub.routable = false;
      const free = freeSubnet(taken, 100 + i * 10);
      const target = free ? `${numberToIp(free.addr + 1)}/24` : '<a free /24>';
      prerequisites.push(
        sub.isDefault
          ? { host: v.s.name, kind: 'bip', disruptive: true, message: `${v.s.name}'s default bridge ${sub.text} overlaps ${clash.s.name}'s; give it its own subnet (this restarts dockerd and every container on it)`, commands: [`set "bip": "${target}" in /etc/docker/daemon.json`, 'systemctl restart docker'] }
          : { host: v.s.name, kind: 'network-subnet', disruptive: true, message: `${v.s.name}'s network ${sub.network} (${sub.text}) overlaps ${clash.s.name}'s; recreate it on its own subnet (its containers must be reconnected)`, commands: [`docker network rm ${sub.network}`, `docker network create --subnet ${free ? cidrText(free) : '<a free /24>'} ${sub.network}`] },
      );
    }
  });

  const table = opts.shape === 'per-host' ? null : sharedTable(views);
  if (table) {
    const sources = table.reduce((k, t) => k + t.reach.sources.length, 0);
    const draft: SharedPlan = { schema: 'netdiag/plan@2', id: 'pl-00000000', kind: 'routes', hosts: views.map((v, i) => ({ ...hostHead(v, agents), steps: ownSteps(v), ...(table[i] as SharedTable[number]) })), prerequisites, notes, predicted: { crossHostPairs: 0, before: ZERO, after: ZERO } };
    let steps = 0;
    if (opts.shape === undefined) for (let i = 0; i < views.length && steps <= SHARED_ABOVE; i++) steps += countHost(draft, i, sources);
    if (opts.shape === 'shared' || steps > SHARED_ABOVE) {
      dockerNotes(views, notes, prerequisites);
      // The ID names the table (what every host's steps are made from), so it is the same plan when made again.
      const content = new ContentHash().add('netdiag/plan@2');
      for (const h of draft.hosts) content.add(JSON.stringify([h.name, h.steps, h.reach, h.takes]));
      draft.id = `pl-${content.hex()}`;
      const fleet = new AlikeFleet(snapshots);
      draft.predicted = predicted(snapshots, fleet, [], draft, notes);
      return draft;
    }
  }

  const steps = new Map<string, PlanStep[]>(views.map((v) => [v.s.name, []]));
  // The accepts, in the order they are met: their rules carry the plan's ID, written in once it is known (a place
  // held for it until then), and they join their hosts' steps after the routes.
  const pending: Extract<PlanStep, { kind: 'iptables-insert' }>[] = [];
  const accept = (p: HostView, table: 'filter' | 'raw', chain: string, iface: string, src: string, dst: string) =>
    pending.push({ kind: 'iptables-insert', host: p.s.name, table, chain, rule: ['-i', iface, '-s', src, '-d', dst, '-m', 'comment', '--comment', '', '-j', 'ACCEPT'] });
  /** The host each accept's source comes from: two hosts giving one source could make one accept twice. */
  const sourceOf = new Map<string, HostView>();
  let shared = false;
  for (const h of views) {
    // What a peer sees arriving from h's routable subnets over a LAN address: that address when h masquerades them
    // (Docker's default), else the subnet itself.
    const sourcesOver = new Map<number, string[]>();
    for (const p of views) {
      if (h === p) continue;
      // A LAN the two hosts share: an interface of h in the subnet of an address of p.
      let link: { hIface: string; hIp: number; hText: string; pText: string; pIface: string } | null = null;
      for (const hl of h.lans) for (const pl of p.lans) if (!link && inCidr(pl.ip, hl.net) && inCidr(hl.ip, pl.net)) link = { hIface: hl.iface, hIp: hl.ip, hText: hl.text, pText: pl.text, pIface: pl.iface };
      if (!link) {
        prerequisites.push({ host: h.s.name, kind: 'no-shared-lan', disruptive: false, message: `${h.s.name} and ${p.s.name} share no LAN netdiag can see; routes between them need a network path first`, commands: [] });
        continue;
      }
      let sources = sourcesOver.get(link.hIp);
      if (!sources) {
        sourcesOver.set(link.hIp, (sources = [...new Set(h.subnets.filter((x) => x.routable).map((x) => (x.masquerade ? `${link!.hText}/32` : x.text)))]));
        for (const src of sources) {
          const from = sourceOf.get(src);
          if (from === undefined) sourceOf.set(src, h);
          else if (from !== h) shared = true;
        }
      }
      for (const sub of p.subnets) {
        if (!sub.routable || h.subnets.some((x) => cidrsOverlap(x.cidr, sub.cidr))) continue;
        if (h.routes.size === 0 || !h.routes.has(`${sub.text} ${link.pText}`)) steps.get(h.s.name)!.push({ kind: 'ip-route-add', host: h.s.name, dst: sub.text, via: link.pText, dev: link.hIface });
        for (const src of sources) {
          if (p.dockerUser) accept(p, 'filter', ADMIN_CHAIN, link.pIface, src, sub.text);
          if (p.rawProtected) accept(p, 'raw', 'PREROUTING', link.pIface, src, sub.text);
        }
      }
    }
  }
  for (const v of views) for (const st of ownSteps(v)) steps.get(v.s.name)!.unshift(st);
  dockerNotes(views, notes, prerequisites);
  // The ID names the plan's content; the rules carry it so rollback removes exactly them.
  // Each step's text is fed in pieces, as the one string it stands for (a plan of 500 hosts has a million).
  const content = new ContentHash();
  const words = (...parts: string[]) => {
    parts.forEach((w, k) => (k > 0 ? content.feed(' ') : content).feed(w));
    content.add('');
  };
  for (const list of steps.values()) for (const st of list) (st.kind === 'ip-route-add' ? words(st.host, 'route', st.dst, st.via, `${st.dev}`) : content.add(JSON.stringify(st)));
  // An accept is its host, table, chain, and the rule's interface, source and destination.
  const keyOf = (a: (typeof pending)[number]) => [a.host, a.table, a.chain, a.rule[1] as string, a.rule[3] as string, a.rule[5] as string];
  for (const a of pending) words(...keyOf(a));
  // An accept met twice is one rule, the first. A pair of hosts meets on one link and each host's sources are
  // distinct, so only two hosts giving the same source, two with one name, or a host with two networks on one subnet
  // can make one twice: else no key need be made for each of a million accepts.
  if (new Set(views.map((v) => v.s.name)).size !== views.length || views.some((v) => new Set(v.subnets.map((x) => x.text)).size !== v.subnets.length)) shared = true;
  let accepts = pending;
  if (shared) {
    const first = new Map<string, (typeof pending)[number]>();
    for (const a of pending) {
      const key = keyOf(a).join(' ');
      if (!first.has(key)) first.set(key, a);
    }
    accepts = [...first.values()];
  }
  const id = `pl-${content.hex()}`;
  const tag = `netdiag:${id}`;
  for (const a of accepts) {
    a.rule[9] = tag;
    steps.get(a.host)!.push(a);
  }
  // One array of a million steps: concat copies each host's list whole, where flat() takes them one by one.
  const all = ([] as PlanStep[]).concat(...steps.values());
  const fleet = new AlikeFleet(snapshots);
  const plan: Plan = {
    schema: 'netdiag/plan@1',
    id,
    kind: 'routes',
    hosts: views.map((v) => ({ ...hostHead(v, agents), steps: steps.get(v.s.name) ?? [] })),
    prerequisites,
    notes,
    predicted: { crossHostPairs: 0, before: ZERO, after: ZERO },
  };
  plan.predicted = predicted(snapshots, fleet, all, null, notes);
  return plan;
}

const ZERO = { reachable: 0, blocked: 0, unknown: 0 };

const hostHead = (v: HostView, agents: Map<string, string>) => ({ name: v.s.name, agent: agents.get(v.s.name) ?? null, lan: v.lans[0] ? `${v.lans[0].iface} ${numberToIp(v.lans[0].ip)}` : null, subnets: v.subnets.map((x) => cidrText(x.cidr)) });

/** A host's steps of its own: forwarding on, where it is off. */
const ownSteps = (v: HostView): PlanStep[] => (v.s.sysctls?.values['net.ipv4.ip_forward'] === '0' ? [{ kind: 'sysctl', host: v.s.name, key: 'net.ipv4.ip_forward', value: '1' }] : []);

/** What Docker 28.2+ hosts are told: the raw-table accepts are runtime only. */
function dockerNotes(views: HostView[], notes: string[], prerequisites: Prerequisite[]): void {
  for (const v of views) {
    if (!v.rawProtected) continue;
    notes.push(`${v.s.name} runs Docker 28.2+ (raw PREROUTING drops direct access to containers, before DOCKER-USER): the plan inserts raw PREROUTING accepts for the peers, a runtime-only change Docker does not manage; the supported way is "allow-direct-routing": true in daemon.json (a daemon restart), or gateway mode nat-unprotected/routed on user-defined networks.`);
    prerequisites.push({ host: v.s.name, kind: 'docker28-direct-routing', disruptive: false, message: `Docker ${v.s.docker?.version ?? '28.2+'} protects containers from direct routing; the plan's raw-table accepts do not survive a reboot`, commands: ['for a lasting setup: "allow-direct-routing": true in /etc/docker/daemon.json, then systemctl restart docker'] });
  }
}

/** Cross-host pairs before and after, and how the figures were reached when they were not walked pair by pair. */
function predicted(snapshots: HostSnapshot[], fleet: AlikeFleet, all: PlanStep[], shared: SharedPlan | null, notes: string[]): Plan['predicted'] {
  const before = crossHostCounts(snapshots, fleet, []);
  const after = crossHostCounts(snapshots, fleet, shared ?? all);
  if (after.walked) {
    const kinds = after.walked.length === 1 ? 'built alike' : 'a few kinds of host, each built alike';
    const pairs = after.walked.length <= 4 ? after.walked.join('; ') : `${after.walked.slice(0, 3).join('; ')} and ${after.walked.length - 3} more pairs`;
    notes.push(`The prediction walked ${pairs} only: the ${snapshots.length} hosts are ${kinds} (each the image of the others of its kind once its own addresses and Docker's names for things are renamed, and the plan treats every peer of a kind the same way), so every pair of hosts answers as one of these does.`);
  }
  return { crossHostPairs: before.pairs, before: before.counts, after: after.counts };
}

type SharedTable = Pick<SharedPlan['hosts'][number], 'reach' | 'takes'>[];

/**
 * The shared table, where the per-host planner would give every host the same routes and accepts but its own: every
 * host on one LAN (one address each, all in one prefix, so every pair meets there), no accept two hosts could both
 * give (distinct sources, names and subnets). Else null: the plan is written host by host.
 */
function sharedTable(views: HostView[]): SharedTable | null {
  const lan = views[0]?.lans[0];
  if (!lan) return null;
  const names = new Set<string>();
  const addresses = new Set<number>();
  for (const v of views) {
    const l = v.lans[0];
    if (v.lans.length !== 1 || !l || l.net.addr !== lan.net.addr || l.net.bits !== lan.net.bits) return null;
    if (names.has(v.s.name) || addresses.has(l.ip)) return null;
    names.add(v.s.name);
    addresses.add(l.ip);
    if (new Set(v.subnets.map((x) => x.text)).size !== v.subnets.length) return null;
  }
  // What a peer sees arriving from a host's routable subnets: its LAN address when Docker masquerades them, else the subnet.
  const seen = new Set<string>();
  const out: SharedTable = [];
  for (const v of views) {
    const l = v.lans[0] as HostView['lans'][number];
    const sources = [...new Set(v.subnets.filter((x) => x.routable).map((x) => (x.masquerade ? `${l.text}/32` : x.text)))];
    for (const src of sources) {
      if (seen.has(src)) return null;
      seen.add(src);
    }
    out.push({ reach: { via: l.text, routes: v.subnets.filter((x) => x.routable).map((x) => x.text), sources }, takes: { dev: l.iface, iface: l.iface, tables: [...(v.dockerUser ? ['filter' as const] : []), ...(v.rawProtected ? ['raw' as const] : [])], skipRoutes: [], skipAccepts: [] } });
  }
  // What a host does not take: a peer's subnet overlapping one of its own (no route, and the peer accepts nothing
  // from it there), and a route it has already.
  const entries = views.flatMap((v, host) => v.subnets.filter((x) => x.routable).map((x) => ({ cidr: x.cidr, host, text: x.text })));
  const order = new Map(entries.map((e, k) => [e, k]));
  const byRoute = new Map(entries.map((e) => [`${e.text} ${out[e.host]?.reach.via}`, e]));
  const index = new OverlapIndex(entries);
  views.forEach((v, h) => {
    const overlapping = new Set<(typeof entries)[number]>();
    for (const x of v.subnets) for (const e of index.overlapping(x.cidr)) if (e.host !== h) overlapping.add(e);
    const skip = new Set(overlapping);
    for (const key of v.routes) {
      const e = byRoute.get(key);
      if (e && e.host !== h) skip.add(e);
    }
    const t = out[h] as SharedTable[number];
    t.takes.skipRoutes = [...skip].sort((a, b) => (order.get(a) as number) - (order.get(b) as number)).map((e) => e.text);
    for (const e of [...overlapping].sort((a, b) => (order.get(a) as number) - (order.get(b) as number))) out[e.host]?.takes.skipAccepts.push({ from: v.s.name, dst: e.text });
  });
  return out;
}
