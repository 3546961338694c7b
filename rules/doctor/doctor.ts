// `doctor`: host-wide problems that break container networking before anyone asks why — each with evidence and a fix.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { cidrText, inCidr, ipToNumber, parseCidr } from '../addr/addr.js';
import type { Cidr } from '../addr/addr.js';
import { filterAccepts, firewallFindings } from './firewalls.js';
import { snapshotRules } from '../meaning/host.js';
import type { SnapshotRules } from '../meaning/host.js';
import { MTU_OPTION, chainManager } from '../meaning/layouts.js';
import { ipv6Findings } from './ipv6.js';
import { bridgePortFindings } from './bridge-ports.js';
import { dockerAbsent, rootErrors } from '../query/root-errors.js';
import type { Finding } from './finding.js';

export type { Finding };


const v4 = (i: { addresses: { family: string; local: string; prefixLen: number }[] }) => {
  const a = i.addresses.find((x) => x.family === 'inet');
  return a ? `${a.local}/${a.prefixLen}` : null;
};

function dockerBridges(s: HostSnapshot): Set<string> {
  return new Set((s.docker?.networks ?? []).map((n) => n.bridge).filter((b): b is string => b !== null));
}

/** `rules`: the snapshot's rules parsed with their meanings (a host model holds them; read here otherwise). */
export function doctor(s: HostSnapshot, rules: SnapshotRules = snapshotRules(s)): Finding[] {
  const out: Finding[] = [];
  const host = s.name;
  const sys = s.sysctls?.values ?? {};
  const filter = s.firewall?.tables.find((t) => t.name === 'filter');
  const forward = filter?.chains.find((c) => c.name === 'FORWARD');
  const ifaces = s.links?.interfaces ?? [];
  const bridges = dockerBridges(s);
  // Without Docker there is no container networking to check: one line says so, and nothing is derived from it
  // (forwarding off is a plain host's default; which bridges are Docker's is not known).
  const absent = dockerAbsent(s);
  const dockerError = s.docker === null ? s.errors.find((e) => e.collector === 'docker') : undefined;
  if (s.docker === null) {
    out.push({ code: absent ? 'docker-not-running' : 'docker-unreadable', severity: 'info', host, title: absent ? 'Docker is not running here: there is no container networking to check' : 'Docker could not be read: the checks of its networks and containers are skipped', evidence: dockerError ? [dockerError.message] : [], fix: dockerError?.hint ?? 'start dockerd' });
  }

  if (sys['net.ipv4.ip_forward'] === '0' && !absent) {
    out.push({ code: 'ip-forward-off', severity: 'error', host, title: 'IPv4 forwarding is off: no container traffic leaves its bridge, and nothing reaches a container from outside', evidence: ['net.ipv4.ip_forward = 0'], fix: 'sysctl -w net.ipv4.ip_forward=1, and persist it in /etc/sysctl.d/ (Docker normally turns it on when it starts)' });
  }

  // Other bridges (KVM's virbr0, LXC's lxcbr0) are forwarded through the same FORWARD chain Docker set to DROP.
  if (forward?.policy === 'DROP' && s.docker !== null) {
    for (const br of ifaces.filter((i) => i.kind === 'bridge' && !bridges.has(i.name))) {
      // The rule parsed, never a regular expression built from an interface name (`virbr(0` is a legal one).
      if (filterAccepts(rules.ruleset, br.name)) continue;
      out.push({ code: 'forward-drop-foreign-bridge', severity: 'warning', host, title: `bridge ${br.name} is not Docker's, and FORWARD's policy DROP (set by Docker) cuts off what it forwards`, evidence: [`filter FORWARD policy DROP`, `bridge ${br.name}${v4(br) ? ` ${v4(br)}` : ''}, no ACCEPT rule names it`], fix: `iptables -I DOCKER-USER -i ${br.name} -j ACCEPT; iptables -I DOCKER-USER -o ${br.name} -j ACCEPT (DOCKER-USER survives Docker restarts)` });
    }
  }

  for (const f of s.firewall?.findings ?? []) {
    if (f.code === 'iptables-split-backends') out.push({ code: 'iptables-split-backends', severity: 'warning', host, title: 'rules are split between iptables-legacy and iptables-nft: the kernel applies both, each tool sees half', evidence: [f.message], fix: 'move every rule to one backend (update-alternatives --config iptables), then restart dockerd so it rewrites its chains there' });
  }

  // A Docker subnet that a host route also claims is read across the hosts in view (doctor/overlap.ts collisionFindings).

  // Docker's DNAT for published ports happens before INPUT, where ufw and firewalld filter: they never see it.
  const managers = new Set((s.firewall?.tables ?? []).flatMap((t) => t.chains.map((c) => chainManager(c.name))));
  const hostFirewall = managers.has('ufw') ? 'ufw' : managers.has('firewalld') ? 'firewalld' : null;
  if (hostFirewall) {
    const exposed = (s.docker?.containers ?? []).flatMap((c) => c.ports.filter((p) => p.hostIp === '0.0.0.0' || p.hostIp === '::').map((p) => `${c.name} ${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`));
    if (exposed.length > 0) out.push({ code: 'published-bypasses-host-firewall', severity: 'warning', host, title: `${hostFirewall} is active, but ports Docker publishes on every address are DNATed before ${hostFirewall}'s INPUT rules see them`, evidence: exposed, fix: `publish on a specific address (-p 127.0.0.1:PORT:PORT), or filter in DOCKER-USER (match the original port with -m conntrack --ctorigdstport)` });
  }

  // Ports of Docker's bridges that are no container's: said as what they are, never removed unseen.
  out.push(...bridgePortFindings(s));

  // An address added by hand inside a container does not make it a member of another network.
  const nets = new Map((s.docker?.networks ?? []).filter((n) => n.bridge).map((n) => [n.bridge as string, n]));
  const names = new Map((s.docker?.containers ?? []).map((c) => [c.id, c.name]));
  for (const sb of s.links?.sandboxes ?? []) {
    for (const i of sb.interfaces) {
      const n = i.bridge ? nets.get(i.bridge) : undefined;
      if (!n) continue;
      const subs = n.subnets.map((x) => parseCidr(x.subnet)).filter((c): c is Cidr => c !== null);
      for (const a of i.addresses.filter((x) => x.family === 'inet' && x.scope === 'global')) {
        const ip = ipToNumber(a.local) as number;
        if (subs.some((c) => inCidr(ip, c))) continue;
        out.push({ code: 'address-outside-network', severity: 'error', host, title: `container ${names.get(sb.containerId) ?? sb.containerId.slice(0, 12)} has ${a.local} on ${i.name}, outside its network ${n.name} (${subs.map(cidrText).join(', ')})`, evidence: [`${i.name} ${a.local}/${a.prefixLen} on bridge ${i.bridge}`], fix: `remove it (ip addr del ${a.local}/${a.prefixLen} dev ${i.name} inside the container) and use docker network connect to join another network` });
      }
    }
  }

  // icc=false is enforced by iptables on bridged frames, which needs br_netfilter's bridge-nf-call-iptables.
  const brnf = sys['net.bridge.bridge-nf-call-iptables'];
  for (const n of (s.docker?.networks ?? []).filter((x) => x.driver === 'bridge' && !x.icc)) {
    if (brnf === '1') continue;
    out.push({ code: 'icc-without-br-netfilter', severity: 'error', host, title: `network ${n.name} disables inter-container communication, but bridged frames skip iptables, so its containers still talk`, evidence: [`com.docker.network.bridge.enable_icc=false on ${n.name}`, `net.bridge.bridge-nf-call-iptables = ${brnf ?? 'absent (br_netfilter not loaded)'}`], fix: 'modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1 (persist both)' });
  }

  // A bridge whose MTU is larger than the uplink's: big packets leave the bridge and die on the way out.
  const def = (s.routes?.routes ?? []).find((r) => r.table === 'main' && r.dst === '0.0.0.0/0' && r.dev);
  // A macvlan/ipvlan child with an address (a host-side shim to reach macvlan containers) is not the uplink: its parent may be.
  const uplink = ifaces.find((i) => i.name === def?.dev) ?? ifaces.find((i) => i.kind !== 'bridge' && i.kind !== 'veth' && !i.lower && i.name !== 'lo' && !i.master && i.addresses.some((a) => a.family === 'inet' && a.scope === 'global'));
  if (uplink) {
    for (const br of ifaces.filter((i) => i.kind === 'bridge' && bridges.has(i.name) && i.mtu > uplink.mtu)) {
      const net = (s.docker?.networks ?? []).find((n) => n.bridge === br.name);
      const fix = net?.isDefaultBridge ? `set "mtu": ${uplink.mtu} in /etc/docker/daemon.json and restart dockerd` : `recreate ${net?.name ?? br.name} with -o ${MTU_OPTION}=${uplink.mtu}`;
      out.push({ code: 'mtu-mismatch', severity: 'warning', host, title: `bridge ${br.name}${net ? ` (network ${net.name})` : ''} has MTU ${br.mtu}, larger than the uplink ${uplink.name}'s ${uplink.mtu}: large packets from containers are dropped or fragmented`, evidence: [`${br.name} mtu ${br.mtu}`, `${uplink.name} mtu ${uplink.mtu}${def ? ' (default route)' : ''}`], fix });
    }
  }

  out.push(...firewallFindings(s, rules));
  out.push(...ipv6Findings(s, rules));
  for (const e of rootErrors(s).filter((x) => x !== dockerError)) out.push({ code: 'collection-error', severity: 'info', host, title: `${e.collector} could not be read fully, so some checks are incomplete`, evidence: [e.message], fix: e.hint });
  return out;
}
