// `plan routes`: what makes every host's container subnets reachable from every other host's containers — routes via
// the peer's LAN address, ip_forward, acceptance in DOCKER-USER (and raw PREROUTING on Docker 28.2+), and the
// disruptive bip changes needed first when subnets overlap.
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { cidrText, cidrsOverlap, inCidr, ipToNumber, maskOf, numberToIp, parseCidr4 } from './iptables/addr.js';
import { shortHash } from './hash.js';
import type { Cidr4 as Cidr } from './iptables/addr.js';
import { applySteps } from './changes/predict.js';
import { countPairs } from './matrix.js';
import { buildWorld } from './model/build.js';
import { Plan } from '../snapshot/contract.js';
import type { AddressVerdict, PlanStep, Prerequisite } from '../snapshot/contract.js';

export { Plan };
export type { Prerequisite };

interface HostView {
  s: HostSnapshot;
  /** Container subnets of bridge networks that leave the host (not --internal), with whether Docker masquerades them. */
  subnets: { cidr: Cidr; network: string; masquerade: boolean; isDefault: boolean }[];
  lans: { iface: string; ip: number; net: Cidr }[];
  /** Docker 28.2+ drops direct access to containers in raw PREROUTING. */
  rawProtected: boolean;
}

function view(s: HostSnapshot): HostView {
  const subnets: HostView['subnets'] = [];
  for (const n of s.docker?.networks ?? []) {
    if (n.driver !== 'bridge' || n.internal) continue;
    for (const sub of n.subnets) {
      const c = parseCidr4(sub.subnet);
      if (c) subnets.push({ cidr: c, network: n.name, masquerade: n.masquerade, isDefault: n.isDefaultBridge });
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
      lans.push({ iface: i.name, ip, net: { addr: (ip & maskOf(a.prefixLen)) >>> 0, bits: a.prefixLen } });
    }
  }
  const raw = s.firewall?.tables.find((t) => t.name === 'raw')?.chains.find((c) => c.name === 'PREROUTING');
  const rawProtected = (raw?.rules ?? []).some((r) => /^-A PREROUTING -d \S+\/32 ! -i \S+ -j DROP$/.test(r.text));
  return { s, subnets, lans, rawProtected };
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

function count(snapshots: HostSnapshot[]): { pairs: number; counts: Record<AddressVerdict, number> } {
  return countPairs(buildWorld(snapshots), { proto: 'icmp', port: null }, (a, b) => a.host !== b.host);
}

export function planRoutes(snapshots: HostSnapshot[], agents: Map<string, string> = new Map()): Plan {
  const views = snapshots.map(view);
  const prerequisites: Prerequisite[] = [];
  const notes: string[] = [];
  const steps = new Map<string, PlanStep[]>(views.map((v) => [v.s.name, []]));
  const taken: Cidr[] = views.flatMap((v) => [...v.subnets.map((x) => x.cidr), ...v.lans.map((l) => l.net), ...(v.s.routes?.routes ?? []).filter((r) => r.dst !== '0.0.0.0/0').flatMap((r) => parseCidr4(r.dst) ?? [])]);

  // Overlapping container subnets cannot be routed: the later host must move first (a daemon restart, so flagged).
  const unroutable = new Set<string>();
  views.forEach((v, i) => {
    for (const sub of v.subnets) {
      const clash = views.slice(0, i).find((o) => o.subnets.some((x) => cidrsOverlap(x.cidr, sub.cidr)));
      if (!clash) continue;
      unroutable.add(`${v.s.name} ${cidrText(sub.cidr)}`);
      const free = freeSubnet(taken, 100 + i * 10);
      const target = free ? `${numberToIp(free.addr + 1)}/24` : '<a free /24>';
      prerequisites.push(
        sub.isDefault
          ? { host: v.s.name, kind: 'bip', disruptive: true, message: `${v.s.name}'s default bridge ${cidrText(sub.cidr)} overlaps ${clash.s.name}'s; give it its own subnet (this restarts dockerd and every container on it)`, commands: [`set "bip": "${target}" in /etc/docker/daemon.json`, 'systemctl restart docker'] }
          : { host: v.s.name, kind: 'network-subnet', disruptive: true, message: `${v.s.name}'s network ${sub.network} (${cidrText(sub.cidr)}) overlaps ${clash.s.name}'s; recreate it on its own subnet (its containers must be reconnected)`, commands: [`docker network rm ${sub.network}`, `docker network create --subnet ${free ? cidrText(free) : '<a free /24>'} ${sub.network}`] },
      );
    }
  });

  const tag = (id: string) => ['-m', 'comment', '--comment', `netdiag:${id}`];
  const pending: { host: string; build: (id: string) => PlanStep }[] = [];
  for (const h of views) {
    for (const p of views) {
      if (h === p) continue;
      // A LAN the two hosts share: an interface of h in the subnet of an address of p.
      let link: { hIface: string; hIp: number; pIp: number; pIface: string } | null = null;
      for (const hl of h.lans) for (const pl of p.lans) if (!link && inCidr(pl.ip, hl.net) && inCidr(hl.ip, pl.net)) link = { hIface: hl.iface, hIp: hl.ip, pIp: pl.ip, pIface: pl.iface };
      if (!link) {
        prerequisites.push({ host: h.s.name, kind: 'no-shared-lan', disruptive: false, message: `${h.s.name} and ${p.s.name} share no LAN netdiag can see; routes between them need a network path first`, commands: [] });
        continue;
      }
      for (const sub of p.subnets) {
        if (unroutable.has(`${p.s.name} ${cidrText(sub.cidr)}`) || h.subnets.some((x) => cidrsOverlap(x.cidr, sub.cidr))) continue;
        const dst = cidrText(sub.cidr);
        const existing = (h.s.routes?.routes ?? []).some((r) => r.table === 'main' && r.dst === dst && r.gateway === numberToIp(link!.pIp));
        if (!existing) steps.get(h.s.name)!.push({ kind: 'ip-route-add', host: h.s.name, dst, via: numberToIp(link.pIp), dev: link.hIface });
        // What p sees arriving: h's LAN address when h masquerades its containers (Docker's default), else their subnet.
        for (const src of new Set(h.subnets.filter((x) => !unroutable.has(`${h.s.name} ${cidrText(x.cidr)}`)).map((x) => (x.masquerade ? `${numberToIp(link!.hIp)}/32` : cidrText(x.cidr))))) {
          const pIface = link.pIface;
          if (p.s.firewall?.tables.find((t) => t.name === 'filter')?.chains.some((c) => c.name === 'DOCKER-USER')) {
            pending.push({ host: p.s.name, build: (id) => ({ kind: 'iptables-insert', host: p.s.name, table: 'filter', chain: 'DOCKER-USER', rule: ['-i', pIface, '-s', src, '-d', dst, ...tag(id), '-j', 'ACCEPT'] }) });
          }
          if (p.rawProtected) {
            pending.push({ host: p.s.name, build: (id) => ({ kind: 'iptables-insert', host: p.s.name, table: 'raw', chain: 'PREROUTING', rule: ['-i', pIface, '-s', src, '-d', dst, ...tag(id), '-j', 'ACCEPT'] }) });
          }
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
  const draft = JSON.stringify([...steps.values(), pending.map((p) => p.build('x'))]);
  const id = `pl-${shortHash(draft)}`;
  const seen = new Set<string>();
  for (const p of pending) {
    const s = p.build(id);
    const key = JSON.stringify(s);
    if (seen.has(key)) continue;
    seen.add(key);
    steps.get(p.host)!.push(s);
  }
  const all = [...steps.values()].flat();
  const before = count(snapshots);
  const after = count(applySteps(snapshots, all));
  return Plan.parse({
    schema: 'netdiag/plan@1',
    id,
    kind: 'routes',
    hosts: views.map((v) => ({ name: v.s.name, agent: agents.get(v.s.name) ?? null, lan: v.lans[0] ? `${v.lans[0].iface} ${numberToIp(v.lans[0].ip)}` : null, subnets: v.subnets.map((x) => cidrText(x.cidr)), steps: steps.get(v.s.name) ?? [] })),
    prerequisites,
    notes,
    predicted: { crossHostPairs: before.pairs, before: before.counts, after: after.counts },
  });
}
