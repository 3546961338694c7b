// Collector: swarm mode on this node — its role and addresses, overlay networks as NetworkDB knows them, swarm's own
// namespaces (overlay bridge + VXLAN, ingress_sbox, lb_) and each overlay container's rules and IPVS services.
import { dirname } from 'node:path';
import type { Collector, CollectContext } from './collector.js';
import { byCodeUnits, CollectorError, mapLimit, NotApplicable } from './collector.js';
import { describeDockerError } from '../host/docker.js';
import { InfoWithSwarm, NetworksResponse, ServicesResponse, VerboseNetwork } from './docker-api.js';
import { inSandbox, inspectedSandboxes, sandboxProblem } from './sandboxes.js';
import { parseIptablesSave } from './iptables-save.js';
import { parseProcNetIpVs } from './ip-vs.js';
import { readSwarmNamespace } from './swarm-namespace.js';
import { isIpAddress } from './ip-address.js';
import type { NamespaceFile } from './swarm-namespace.js';
import type { SwarmNamespace, SwarmNetwork, SwarmPart, SwarmService } from '../snapshot/host-snapshot.js';
import type { z } from 'zod';

/** dockerd's default exec-root netns directory, where it keeps swarm's namespaces beside containers'. */
const DEFAULT_NETNS_DIR = '/var/run/docker/netns';
// moby's default VXLAN port (--data-path-port), used by a worker that is not told the cluster's.
const DEFAULT_DATA_PATH_PORT = 4789;
const READS_IN_FLIGHT = 8;

type Problem = { subject?: string; message: string; hint: string };

const ipOrNull = (s: string | undefined | null): string | null => (s && isIpAddress(s) ? s : null);

export function toSwarmNetwork(n: z.infer<typeof VerboseNetwork>): SwarmNetwork {
  const vnis = (n.Options['com.docker.network.driver.overlay.vxlanid_list'] ?? '').split(',').filter((v) => v !== '').map(Number).filter(Number.isInteger);
  return {
    id: n.Id,
    name: n.Name,
    vnis,
    // `--opt encrypted` is kept among the network's options as given (moby drivers/overlay: secureOption
    // "encrypted", whose presence ov_network.go tests, whatever its value).
    encrypted: 'encrypted' in n.Options,
    ingress: n.Ingress,
    attachable: n.Attachable,
    peers: n.Peers.flatMap((p) => (ipOrNull(p.IP) ? [{ name: p.Name, ip: p.IP }] : [])),
    services: Object.entries(n.Services)
      .map(([name, s]) => ({
        name,
        // NetworkDB's service entry for plain containers prints VIP "<nil>".
        vip: ipOrNull(s.VIP),
        ports: s.Ports,
        localLbIndex: s.LocalLBIndex,
        tasks: s.Tasks.flatMap((t) => (ipOrNull(t.EndpointIP) ? [{ name: t.Name, endpointId: t.EndpointID, ip: t.EndpointIP, hostIp: ipOrNull(t.Info['Host IP']) }] : [])).sort((a, b) => byCodeUnits(a.ip, b.ip)),
      }))
      .sort((a, b) => byCodeUnits(a.name, b.name)),
  };
}

export function toSwarmServices(list: z.infer<typeof ServicesResponse>): SwarmService[] {
  return list
    .map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      endpointMode: (s.Endpoint?.Spec?.Mode ?? s.Spec.EndpointSpec?.Mode) === 'dnsrr' ? ('dnsrr' as const) : ('vip' as const),
      virtualIps: (s.Endpoint?.VirtualIPs ?? []).filter((v) => v.Addr !== '').map((v) => ({ networkId: v.NetworkID, address: v.Addr })),
      ports: (s.Endpoint?.Ports ?? []).flatMap((p) =>
        ['tcp', 'udp', 'sctp'].includes(p.Protocol) ? [{ protocol: p.Protocol as 'tcp' | 'udp' | 'sctp', targetPort: p.TargetPort, publishedPort: p.PublishedPort ?? null, publishMode: p.PublishMode === 'host' ? ('host' as const) : ('ingress' as const) }] : [],
      ),
    }))
    .sort((a, b) => byCodeUnits(a.name, b.name));
}

/** The network a swarm namespace belongs to, by the ID prefix in its name (ingress_sbox: the ingress network's). */
export function namespaceOwner(name: string, networks: readonly { id: string; ingress: boolean }[]): string | null {
  if (name === 'ingress_sbox') return networks.find((n) => n.ingress)?.id ?? null;
  const prefix = name.startsWith('1-') ? name.slice(2) : name.startsWith('lb_') ? name.slice(3) : null;
  return prefix === null ? null : (networks.find((n) => n.id.startsWith(prefix))?.id ?? null);
}

/**
 * Which of the netns directory's files are swarm's, and whose: `1-<first 10 of the network id>` (the overlay's own
 * namespace), `lb_<first 9>` (its load balancer), `ingress_sbox`. Container sandboxes (12 hex digits) are not.
 */
export function swarmNamespaceFiles(dir: string, entries: readonly string[], networks: readonly { id: string; ingress: boolean }[]): NamespaceFile[] {
  const out: NamespaceFile[] = [];
  for (const name of [...entries].sort(byCodeUnits)) {
    const role: NamespaceFile['role'] | null = name === 'ingress_sbox' ? 'ingress-sbox' : name.startsWith('1-') ? 'overlay' : name.startsWith('lb_') ? 'load-balancer' : null;
    if (role !== null) out.push({ name, path: `${dir}/${name}`, role, networkId: namespaceOwner(name, networks) });
  }
  return out;
}

/**
 * The address VXLAN traffic reaches this node at. /info does not report --data-path-addr; the overlay driver
 * gossips it as each endpoint's "Host IP" (joinleave.go DecodeTableEntry: PeerRecord.TunnelEndpointIP), so a task
 * whose endpoint is one of this node's own carries it. Peers[].IP is not it: that is memberlist's advertise address.
 * With no local endpoint to read it from, moby's own fallback: the advertise address (agent.go dataPathAddress).
 */
export function dataPathAddress(networks: readonly z.infer<typeof VerboseNetwork>[], nodeAddr: string | null): string | null {
  for (const n of networks) {
    const local = new Set(Object.values(n.Containers).map((c) => c.EndpointID));
    for (const s of Object.values(n.Services)) {
      for (const t of s.Tasks) if (local.has(t.EndpointID) && ipOrNull(t.Info['Host IP'])) return t.Info['Host IP'] as string;
    }
  }
  return nodeAddr;
}

/** The overlay networks Docker lists here (a worker lists only those it has endpoints on). */
async function overlayList(ctx: CollectContext): Promise<z.infer<typeof NetworksResponse>> {
  return NetworksResponse.parse(await ctx.docker.listNetworks()).filter((n) => n.Driver === 'overlay');
}

async function readNetworks(ctx: CollectContext, list: z.infer<typeof NetworksResponse>, problems: Problem[]): Promise<z.infer<typeof VerboseNetwork>[]> {
  const out = await mapLimit(list, READS_IN_FLIGHT, async (n) => {
    try {
      return VerboseNetwork.parse(await ctx.docker.inspectNetwork(n.Id));
    } catch (error) {
      const d = describeDockerError(error, ctx.docker.endpoint);
      problems.push({ subject: n.Name, message: `overlay network ${n.Name}: ${d.message}`, hint: d.hint });
      return null;
    }
  });
  return out.filter((n): n is z.infer<typeof VerboseNetwork> => n !== null).sort((a, b) => byCodeUnits(a.Name, b.Name));
}

/** swarm's namespaces as files in Docker's netns directory, each read (their owners are filled in by the caller). */
async function readNamespaces(ctx: CollectContext, problems: Problem[]): Promise<SwarmNamespace[]> {
  const dir = await netnsDir(ctx);
  const entries = (await ctx.listDir(dir)) ?? [];
  if (entries.length === 0) problems.push({ subject: dir, message: `no namespaces under ${dir}: swarm's overlay namespaces not read`, hint: 'run netdiag as root on the host dockerd runs on' });
  const read = await mapLimit(swarmNamespaceFiles(dir, entries, []), READS_IN_FLIGHT, (f) => readSwarmNamespace(ctx, f, problems as { subject: string; message: string; hint: string }[]));
  return read.filter((n): n is SwarmNamespace => n !== null);
}

async function readServices(ctx: CollectContext, problems: Problem[]): Promise<SwarmService[] | null> {
  try {
    return toSwarmServices(ServicesResponse.parse(await ctx.docker.listServices()));
  } catch (error) {
    const d = describeDockerError(error, ctx.docker.endpoint);
    problems.push({ subject: 'services', message: `swarm services not read: ${d.message}`, hint: d.hint });
    return null;
  }
}

/** Each running container with an endpoint on an overlay: its whole iptables rule set and its IPVS table. */
async function readOverlaySandboxes(ctx: CollectContext, overlayIds: Set<string>, problems: Problem[]): Promise<SwarmPart['sandboxes']> {
  const on = (await inspectedSandboxes(ctx)).filter(({ inspect }) => Object.values(inspect.NetworkSettings.Networks).some((e) => overlayIds.has(e.NetworkID)));
  const out = await mapLimit(on, READS_IN_FLIGHT, async ({ sandbox, inspect }) => {
    try {
      const save = await inSandbox(ctx, sandbox, 'iptables-save', ['-c']);
      if (save.exitCode !== 0) throw new Error(`iptables-save: ${save.stderr.trim() || `exit code ${save.exitCode}`}`);
      // /proc/<pid>/net is the container's namespace's: read without entering it. Absent: this kernel has no IPVS.
      const ipvsText = inspect.State.Pid > 0 ? await ctx.readFile(`/proc/${inspect.State.Pid}/net/ip_vs`) : null;
      return { containerId: sandbox.containerId, firewall: parseIptablesSave(save.stdout).tables, ipvs: ipvsText === null ? null : parseProcNetIpVs(ipvsText) };
    } catch (error) {
      problems.push(sandboxProblem(sandbox, error));
      return { containerId: sandbox.containerId, firewall: null, ipvs: null };
    }
  });
  return out.sort((a, b) => byCodeUnits(a.containerId, b.containerId));
}

/** Docker's netns directory: where any container's SandboxKey is, else the default exec-root's. */
async function netnsDir(ctx: CollectContext): Promise<string> {
  const keys = (await inspectedSandboxes(ctx).catch(() => [])).map((s) => s.sandbox.sandboxKey);
  return keys.length > 0 ? dirname(keys[0] as string) : DEFAULT_NETNS_DIR;
}

export const swarmCollector: Collector<'swarm'> = {
  name: 'swarm',
  async collect(ctx) {
    let info;
    try {
      info = InfoWithSwarm.parse(await ctx.docker.info());
    } catch (error) {
      const d = describeDockerError(error, ctx.docker.endpoint);
      // No Docker here: the docker collector says so; swarm mode simply does not apply.
      if (d.notFound) throw new NotApplicable('no Docker daemon: not in a swarm', '');
      throw new CollectorError(`swarm state not read: ${d.message}`, d.hint);
    }
    const s = info.Swarm;
    if (!s || s.LocalNodeState === 'inactive' || s.LocalNodeState === '') throw new NotApplicable('this node is not in a swarm', '');
    const problems: Problem[] = [];
    const manager = s.ControlAvailable;
    // Everything after /info at once: the namespaces need no network's details until their owners are named, and
    // the containers to read need only the list's overlay IDs, not the verbose inspections.
    const listed = overlayList(ctx);
    listed.catch(() => undefined);
    const [raw, services, read, sandboxes] = await Promise.all([
      listed.then((l) => readNetworks(ctx, l, problems)),
      manager ? readServices(ctx, problems) : Promise.resolve(null),
      readNamespaces(ctx, problems),
      listed.then((l) => readOverlaySandboxes(ctx, new Set(l.map((n) => n.Id)), problems)),
    ]).catch((error: unknown) => {
      const d = describeDockerError(error, ctx.docker.endpoint);
      throw new CollectorError(`swarm's networks not read: ${d.message} (GET /networks)`, d.hint);
    });
    const networks = raw.map(toSwarmNetwork);
    for (const ns of read) ns.networkId = namespaceOwner(ns.name, networks);
    const nodeAddr = ipOrNull(s.NodeAddr);
    // The cluster's port when a manager tells it; else the port this node's VXLAN devices were made with; else moby's default.
    const vxlanPort = read.flatMap((n) => n.interfaces).find((i) => i.vxlan)?.vxlan?.dstport;
    const data: SwarmPart = {
      nodeId: s.NodeID,
      state: s.LocalNodeState,
      nodeAddr,
      dataPathAddr: ipOrNull(dataPathAddress(raw, nodeAddr)),
      dataPathPort: s.Cluster?.DataPathPort ?? vxlanPort ?? DEFAULT_DATA_PATH_PORT,
      manager,
      managers: s.RemoteManagers.map((m) => ({ nodeId: m.NodeID, addr: m.Addr })),
      nodes: s.Nodes ?? null,
      error: s.Error === '' ? null : s.Error,
      networks,
      services,
      namespaces: read,
      sandboxes,
    };
    return { data, errors: problems };
  },
};
