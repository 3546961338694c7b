// Doctor: macvlan and ipvlan networks' limits — the host never reaches its own children (the shim fixes it), a parent
// that may drop frames for MACs it did not assign, and macvlan over Wi-Fi, which an access point does not carry.
import type { DockerNetwork, Interface } from '../../snapshot/host-snapshot.js';
import { stepCommand } from '../steps/command.js';
import { heldAddresses, shimPlan } from './shim-plan.js';
import { dockerAttachment } from '../model/attachment.js';
import type { HostModel, World } from '../model/types.js';
import { inCidr, ipText, isLinkLocal6, isLoopback, parseCidr, parseIp } from '../addr/addr.js';
import type { Finding } from './finding.js';

/** The network's pools as Docker was told them: what its recreation must say again. */
const createArgs = (n: DockerNetwork) => n.subnets.flatMap((x) => [`--subnet ${x.subnet}`, ...(x.gateway ? [`--gateway ${x.gateway}`] : []), ...(x.ipRange ? [`--ip-range ${x.ipRange}`] : [])]).join(' ');

/** Containers of `n` in view, as "name ip". */
const members = (h: HostModel, n: DockerNetwork) => (h.snapshot.docker?.containers ?? []).flatMap((c) => c.endpoints.filter((e) => e.networkId === n.id && e.ip).map((e) => `${c.name} ${e.ip}`));

/** Every macvlan MAC the parent carries besides its own: the containers' children and the host's own (shims). */
function macvlanChildren(h: HostModel, parent: string): number {
  const onHost = [...h.interfaces.values()].filter((i) => i.kind === 'macvlan' && i.lower?.name === parent).length;
  const inSandboxes = (h.snapshot.links?.sandboxes ?? []).flatMap((s) => s.interfaces).filter((i) => i.kind === 'macvlan' && i.lower?.name === parent).length;
  return onHost + inSandboxes;
}

/** The host↔children isolation of one network, unless a shim on its parent already routes its containers' range. */
function isolation(world: World, h: HostModel, n: DockerNetwork, parent: Interface, held: Set<string>): Finding | null {
  const ipvlan = n.driver === 'ipvlan';
  const who = members(h, n);
  // A network with no container in view has nobody to be cut off from.
  if (who.length === 0) return null;
  const evidence = [`network ${n.name}: driver ${n.driver}, parent ${parent.name}, ${createArgs(n)}`, `its containers here: ${who.join(', ')}`];
  const title = `${h.name} and its bridge containers cannot reach ${n.driver} network ${n.name}'s containers, nor they ${h.name}: ${ipvlan ? 'ipvlan' : 'macvlan'} children of ${parent.name} never meet ${parent.name}'s own stack inside the host`;
  if (ipvlan) {
    // No step kind makes an ipvlan interface (this kernel has no ipvlan to verify one on): the commands are said, not planned.
    const range = n.subnets.find((x) => !x.subnet.includes(':'));
    const mode = n.options.ipvlan_mode ?? 'l2';
    const shimmed = [...h.interfaces.values()].some((i) => i.kind === 'ipvlan' && i.lower?.name === parent.name && i.addresses.some((a) => a.family === 'inet'));
    if (shimmed) return null;
    return { code: 'parent-isolation', severity: 'warning', host: h.name, subject: n.name, title, evidence: [...evidence, `no ipvlan interface of ${parent.name} on ${h.name}`], fix: `give ${h.name} an ipvlan interface of its own on ${parent.name}: ip link add ipvl-shim link ${parent.name} type ipvlan mode ${mode}; ip addr add <a free address of ${range?.subnet ?? 'the subnet'}, reserved with --aux-address>/32 dev ipvl-shim; ip link set ipvl-shim up; ip route add ${range?.ipRange ?? range?.subnet ?? '<the containers\' range>'} dev ipvl-shim` };
  }
  const plan = shimPlan(world, h, n, held);
  if (plan.ok && plan.existing && plan.steps.length === 0) return null;
  if (!plan.ok) return { code: 'parent-isolation', severity: 'warning', host: h.name, subject: n.name, title, evidence, fix: `no host-side shim can be proposed: ${plan.reason}` };
  const lacking = plan.existing ? `${plan.name} on ${parent.name} (${plan.address}) has no route to ${plan.routes.join(', ')}` : `no macvlan interface of ${parent.name} on ${h.name} routes ${plan.range ?? 'its containers'}`;
  const reserve = plan.reserved ? ` (${plan.address} is reserved with --aux-address ${plan.reserved}=${plan.address})` : ` (${plan.address} is free in view but reserved by nobody: add --aux-address host=${plan.address} when ${n.name} is next created)`;
  return { code: 'parent-isolation', severity: 'warning', host: h.name, subject: n.name, title, evidence: [...evidence, lacking], fix: `${plan.steps.map(stepCommand).join('; ')}${reserve}; netdiag fix applies it (lost at reboot unless written to /etc/network/interfaces or systemd-networkd)` };
}

/**
 * Addresses Docker may hand this network's containers that a host on the LAN already holds: Docker's IPAM knows only
 * its own network, so with no --ip-range (or one that covers them) it gives out the host's own address or a peer's —
 * two machines answering one address on the LAN. Held already by a container: an error; only in the range: a warning.
 */
function rangeOnLan(world: World, h: HostModel, n: DockerNetwork): Finding | null {
  const clashes: { ip: string; who: string }[] = [];
  for (const x of n.subnets) {
    const range = parseCidr(x.ipRange ?? x.subnet);
    if (!range) continue;
    const spared = new Set([x.gateway, ...Object.values(x.auxAddresses ?? {})].filter((a): a is string => !!a).map(parseIp));
    for (const other of world.hosts) {
      for (const [ip, iface] of other.localAddrs) {
        const kind = other.interfaces.get(iface)?.kind;
        if (kind === 'bridge' || isLoopback(ip) || isLinkLocal6(ip) || typeof ip !== typeof range.addr || !inCidr(ip, range) || spared.has(ip)) continue;
        clashes.push({ ip: ipText(ip), who: `${other.name}'s ${iface}` });
      }
    }
  }
  if (clashes.length === 0) return null;
  const taken = new Map(members(h, n).map((m) => [m.split(' ')[1] as string, m.split(' ')[0] as string]));
  const duplicate = clashes.filter((c) => taken.has(c.ip));
  const evidence = [`network ${n.name}: driver ${n.driver}, ${createArgs(n)}`, ...clashes.map((c) => `${c.ip} is ${c.who}${taken.has(c.ip) ? `, and Docker gave it to ${taken.get(c.ip)}` : ''}`)];
  const aux = [...new Set(clashes.map((c) => c.ip))].map((ip, i) => `--aux-address lan${i}=${ip}`).join(' ');
  const title = duplicate.length > 0
    ? `${n.driver} network ${n.name} gave ${duplicate.map((c) => `${taken.get(c.ip)} ${c.ip}`).join(', ')}, which ${duplicate.map((c) => c.who).join(', ')} already holds: two machines answer one address on the LAN`
    : `${n.driver} network ${n.name} may give its containers ${clashes.map((c) => c.ip).join(', ')}, which ${clashes.map((c) => c.who).join(', ')} holds: Docker's IPAM does not know the LAN`;
  return { code: 'lan-address-in-range', severity: duplicate.length > 0 ? 'error' : 'warning', host: h.name, subject: n.name, title, evidence, fix: `recreate ${n.name} with an --ip-range that leaves the LAN's own addresses out, or reserve them: docker network create -d ${n.driver} -o parent=${n.options.parent ?? '…'} ${createArgs(n)} ${aux} ${n.name} (after docker network rm ${n.name}; reconnect its containers)` };
}

/** Each macvlan and ipvlan network's findings, on every host in view. */
export function macvlanFindings(world: World): Finding[] {
  const out: Finding[] = [];
  // Gathered only once a macvlan network is met: bridge-only hosts pay nothing.
  let held: Set<string> | null = null;
  for (const h of world.hosts) {
    for (const n of h.snapshot.docker?.networks ?? []) {
      const at = dockerAttachment(n);
      if ((at.kind !== 'macvlan' && at.kind !== 'ipvlan') || !at.parent) continue;
      const parent = h.interfaces.get(at.parent);
      if (!parent) continue;
      const iso = isolation(world, h, n, parent, (held ??= heldAddresses(world)));
      if (iso) out.push(iso);
      const clash = rangeOnLan(world, h, n);
      if (clash) out.push(clash);
      if (at.kind !== 'macvlan') continue;
      // An access point carries frames only for MACs that associated with it: a macvlan child's own MAC never did.
      if (parent.wireless === true) {
        out.push({ code: 'macvlan-wireless-parent', severity: 'error', host: h.name, subject: n.name, title: `macvlan network ${n.name} sits on wireless ${parent.name}: the access point drops frames from and to MAC addresses that did not associate with it, so its containers reach nothing past ${h.name}`, evidence: [`${parent.name} is wireless (/proc/net/wireless)`, `network ${n.name}: driver macvlan, parent ${parent.name}`], fix: `recreate it as ipvlan L2, whose children use ${parent.name}'s own MAC: docker network create -d ipvlan -o parent=${parent.name} -o ipvlan_mode=l2 ${createArgs(n)} ${n.name} (after docker network rm ${n.name}, its containers recreated on it)` });
      }
      // With promiscuity 0 the NIC filters unicast by its MAC list; a hypervisor's or cloud's switch filters too, by
      // the MACs it assigned, and netdiag cannot see that: said as what to check, where the MACs are several.
      const macs = macvlanChildren(h, parent.name);
      if (parent.promiscuity === 0 && macs > 0) {
        out.push({ code: 'macvlan-parent-not-promiscuous', severity: 'info', host: h.name, subject: parent.name, title: `${parent.name} carries ${macs} macvlan MAC address${macs > 1 ? 'es' : ''} besides its own and is not promiscuous: on a VM or cloud NIC, the virtual switch drops frames for MACs it did not assign`, evidence: [`${parent.name} promiscuity 0`, `${macs} macvlan interface${macs > 1 ? 's' : ''} on ${parent.name} (network ${n.name})`], fix: `on a VM, allow the guest's extra MACs on its virtual switch port (VMware: promiscuous mode and forged transmits; Hyper-V: MAC address spoofing) and set ip link set ${parent.name} promisc on; in a cloud (AWS, GCP, Azure) frames to unknown MACs are never delivered: use ipvlan L2 instead (docker network create -d ipvlan -o parent=${parent.name} …)` });
      }
    }
  }
  return out;
}
