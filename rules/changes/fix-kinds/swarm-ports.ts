// Fix: a swarm port a node drops, opened for exactly the peer that needs it — the outer VXLAN packet's drop in a
// `why` (its decision carries `tunnel`), or each of doctor's swarm-port-closed findings.
import type { WhyAnswer } from '../../../snapshot/contract.js';
import { parseIp } from '../../addr/addr.js';
import type { HostModel, World } from '../../model/types.js';
import { inputDecision, swarmPeers, swarmPortDrops } from '../../doctor/swarm-ports.js';
import type { SwarmPeer, SwarmPortDrop } from '../../doctor/swarm-ports.js';
import { swarmPortsId, swarmPortsPlan } from '../../doctor/swarm-ports-plan.js';
import type { Candidate } from './candidate.js';

/** One candidate opening `drops` (all on one node), or null when no accept can be placed before them. */
function candidate(drops: SwarmPortDrop[]): Candidate | null {
  const first = drops[0];
  if (!first) return null;
  const id = swarmPortsId(drops);
  const plan = swarmPortsPlan(drops, id);
  if (plan.steps.length === 0) return null;
  const ports = drops.map((d) => `${d.port.port}/${d.port.proto}`).join(', ');
  return {
    id,
    kind: 'swarm-ports',
    title: `open ${ports} on ${first.host.name} for ${first.peer.name}`,
    steps: plan.steps,
    scope: `only ${[...new Set(drops.map((d) => d.from))].length === 1 ? `${first.peer.name}'s address` : `${first.peer.name}'s addresses`} to ${first.host.name}'s own, on ${ports}: every overlay between the two nodes, nothing else`,
    note: `The accept goes first in ${[...new Set(plan.where)].join(', ')}, the table that drops it (an accept in another table does not undo a drop).${plan.firewalld.length > 0 ? ` firewalld rewrites its table on reload: ${plan.firewalld.join('; ')}.` : ''}${plan.unplanned.length > 0 ? ` Not opened here: ${plan.unplanned.map((d) => `${d.port.port}/${d.port.proto}`).join(', ')}.` : ''}`,
    discouraged: false,
    // Docker never touches INPUT nor another manager's table: a daemon restart keeps it; a reboot or a firewall reload does not.
    persistence: { daemonRestart: true, reboot: false, keep: plan.firewalld.length > 0 ? `keep it in firewalld: ${plan.firewalld.join('; ')}` : 'save it with your firewall\'s persistence (netfilter-persistent save, /etc/nftables.conf)' },
  };
}

/** The peer sending from `from`, as `host` knows it (in view or from its swarm's lists). */
function peerAt(world: World, host: HostModel, from: number | bigint): SwarmPeer | null {
  return swarmPeers(world, host).find((p) => p.dataPathAddr === from || p.nodeAddr === from) ?? null;
}

/**
 * For a `why` whose blocked address was decided on the outer VXLAN packet: open the data-path port on the node that
 * dropped it, for the sending node's address — not a DOCKER-USER rule for the inner pair, which that packet never meets.
 */
export function swarmPortsForTunnel(world: World, answer: WhyAnswer): Candidate[] {
  const out: Candidate[] = [];
  for (const x of answer.addresses) {
    const d = x.decidedBy;
    if (x.verdict !== 'blocked' || !d?.tunnel) continue;
    const host = world.hosts.find((h) => h.name === d.host);
    const from = d.tunnel.src ? parseIp(d.tunnel.src) : null;
    const to = parseIp(d.tunnel.dst);
    if (!host || from === null || to === null) continue;
    const port = { proto: 'udp' as const, port: d.tunnel.port, use: 'overlay data path' as const };
    const r = inputDecision(world, host, from, to, port, d.tunnel.vni);
    if (!r.decidedBy) continue;
    const peer = peerAt(world, host, from) ?? { name: d.tunnel.src as string, nodeAddr: from, dataPathAddr: from, host: null, assumed: null };
    const c = candidate([{ host, peer, port, from, to, iface: r.iface, hook: r.hook, decidedBy: r.decidedBy, vni: d.tunnel.vni === null ? null : { vni: d.tunnel.vni, network: d.tunnel.network } }]);
    if (c && !out.some((o) => o.id === c.id)) out.push(c);
  }
  return out;
}

/** One candidate per node and peer with closed swarm ports, as doctor finds them (what `netdiag doctor` names). */
export function swarmPortsForDoctor(world: World): Candidate[] {
  const groups = new Map<string, SwarmPortDrop[]>();
  for (const d of swarmPortDrops(world)) {
    const k = `${d.host.name}\u0000${d.peer.name}`;
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  return [...groups.values()].map(candidate).filter((c): c is Candidate => c !== null);
}
