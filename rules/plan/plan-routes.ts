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
import { Plan } from '../../snapshot/contract.js';
import type { AddressVerdict, PlanStep, Prerequisite } from '../../snapshot/contract.js';
import { ADMIN_CHAIN } from '../meaning/layouts.js';

export { Plan };
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
function crossHostCounts(snapshots: HostSnapshot[], fleet: AlikeFleet, steps: PlanStep[]): PairCounts & { walked: string[] | null } {
  const count = (hosts: HostSnapshot[], own: PlanStep[]) => countPairs(buildWorld(applySteps(hosts, own)), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
  const alike = fleet.with(steps);
  if (!alike.alike) return { ...count(snapshots, steps), walked: null };
  const out: PairCounts = { pairs: 0, counts: { reachable: 0, blocked: 0, unknown: 0 } };
  for (const pair of alike.pairs) {
    const one = count(pair.hosts, pair.steps);
    out.pairs += one.pairs * pair.stands;
    for (const [k, v] of Object.entries(one.counts) as [AddressVerdict, number][]) out.counts[k] += v * pair.stands;
  }
  return { ...out, walked: alike.pairs.map((p) => `${p.hosts[0].name} and ${p.hosts[1].name}`) };
}

export function planRoutes(snapshots: HostSnapshot[], agents: Map<string, string> = new Map()): Plan {
  const views = snapshots.map(view);
  const prerequisites: Prerequisite[] = [];
  const notes: string[] = [];
  const steps = new Map<string, PlanStep[]>(views.map((v) => [v.s.name, []]));
  const taken: Cidr[] = views.flatMap((v) => [...v.subnets.map((x) => x.cidr), ...v.lans.map((l) => l.net), ...(v.s.routes?.routes ?? []).filter((r) => r.dst !== '0.0.0.0/0').flatMap((r) => parseCidr4(r.dst) ?? [])]);

  // Overlapping container subnets cannot be routed: the later host must move first (a daemon restart, so flagged).
  views.forEach((v, i) => {
    for (const sub of v.subnets) {
      const clash = views.slice(0, i).find((o) => o.subnets.some((x) => cidrsOverlap(x.cidr, sub.cidr)));
      if (!clash) continue;
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
  for (const v of views) {
    if (v.s.sysctls?.values['net.ipv4.ip_forward'] === '0') steps.get(v.s.name)!.unshift({ kind: 'sysctl', host: v.s.name, key: 'net.ipv4.ip_forward', value: '1' });
    if (v.rawProtected) {
      notes.push(`${v.s.name} runs Docker 28.2+ (raw PREROUTING drops direct access to containers, before DOCKER-USER): the plan inserts raw PREROUTING accepts for the peers, a runtime-only change Docker does not manage; the supported way is "allow-direct-routing": true in daemon.json (a daemon restart), or gateway mode nat-unprotected/routed on user-defined networks.`);
      prerequisites.push({ host: v.s.name, kind: 'docker28-direct-routing', disruptive: false, message: `Docker ${v.s.docker?.version ?? '28.2+'} protects containers from direct routing; the plan's raw-table accepts do not survive a reboot`, commands: ['for a lasting setup: "allow-direct-routing": true in /etc/docker/daemon.json, then systemctl restart docker'] });
    }
  }
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
  const before = crossHostCounts(snapshots, fleet, []);
  const after = crossHostCounts(snapshots, fleet, all);
  // How the figures were reached, since they were not walked pair by pair.
  if (after.walked) {
    const kinds = after.walked.length === 1 ? 'built alike' : 'a few kinds of host, each built alike';
    const pairs = after.walked.length <= 4 ? after.walked.join('; ') : `${after.walked.slice(0, 3).join('; ')} and ${after.walked.length - 3} more pairs`;
    notes.push(`The prediction walked ${pairs} only: the ${snapshots.length} hosts are ${kinds} (each the image of the others of its kind once its own addresses and Docker's names for things are renamed, and the plan treats every peer of a kind the same way), so every pair of hosts answers as one of these does.`);
  }
  return {
    schema: 'netdiag/plan@1',
    id,
    kind: 'routes',
    hosts: views.map((v) => ({ name: v.s.name, agent: agents.get(v.s.name) ?? null, lan: v.lans[0] ? `${v.lans[0].iface} ${numberToIp(v.lans[0].ip)}` : null, subnets: v.subnets.map((x) => cidrText(x.cidr)), steps: steps.get(v.s.name) ?? [] })),
    prerequisites,
    notes,
    predicted: { crossHostPairs: before.pairs, before: before.counts, after: after.counts },
  };
}
