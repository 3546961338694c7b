// Collector: Docker's view — daemon version, networks (with effective bridge options) and containers with endpoints;
// labels and driver options only as far as netdiag reads them (or --keep-labels asks), so the snapshot holds no secrets.
import type { Collector, CollectContext } from './collector.js';
import { byCodeUnits, CollectorError, NoDataError } from './collector.js';
import { describeDockerError } from '../host/docker.js';
import type { InspectedContainer } from '../host/docker.js';
import { ContainerInspect, InfoResponse, parseInspect, NetworksResponse, VersionResponse } from './docker-api.js';
import type { DockerContainer, DockerNetwork, DockerPart, PublishedPort } from '../snapshot/host-snapshot.js';
import { keptDocker } from '../snapshot/kept-fields.js';
import type { z } from 'zod';

const OPT = 'com.docker.network.bridge.';

export function toNetwork(n: z.infer<typeof NetworksResponse>[number]): DockerNetwork {
  const o = n.Options;
  const isBridge = n.Driver === 'bridge';
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    // Docker names a user-defined bridge br-<first 12 hex of the id> unless the bridge.name option says otherwise.
    bridge: isBridge ? (o[`${OPT}name`] ?? `br-${n.Id.slice(0, 12)}`) : null,
    subnets: (n.IPAM?.Config ?? [])
      .filter((c) => c.Subnet)
      .map((c) => ({ subnet: c.Subnet as string, gateway: c.Gateway || null, ipRange: c.IPRange || null, auxAddresses: c.AuxiliaryAddresses })),
    internal: n.Internal,
    attachable: n.Attachable,
    ingress: n.Ingress,
    ipv6: n.EnableIPv6,
    // User-defined networks report only the options the user passed; these are Docker's defaults.
    icc: o[`${OPT}enable_icc`] !== 'false',
    masquerade: o[`${OPT}enable_ip_masquerade`] !== 'false',
    gatewayModeIpv4: o[`${OPT}gateway_mode_ipv4`] ?? 'nat',
    isDefaultBridge: o[`${OPT}default_bridge`] === 'true',
    options: o,
    labels: n.Labels,
  };
}

function networkModeKind(mode: string): DockerContainer['networkModeKind'] {
  if (mode === 'default' || mode === 'bridge') return 'bridge';
  if (mode === 'host' || mode === 'none') return mode;
  if (mode.startsWith('container:')) return 'container';
  return 'network';
}

function ports(raw: ContainerInspect['NetworkSettings']['Ports']): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(raw)) {
    const [portText, proto = 'tcp'] = key.split('/');
    const containerPort = Number(portText);
    if (!Number.isInteger(containerPort) || !['tcp', 'udp', 'sctp'].includes(proto)) continue;
    const protocol = proto as PublishedPort['protocol'];
    if (!bindings || bindings.length === 0) {
      // Exposed but not published (or routed mode): no host port.
      continue;
    }
    for (const b of bindings) out.push({ containerPort, protocol, hostIp: b.HostIp || '0.0.0.0', hostPort: b.HostPort ? Number(b.HostPort) : null });
  }
  return out;
}

export function toContainer(c: ContainerInspect): DockerContainer {
  const mode = c.HostConfig.NetworkMode;
  const kind = networkModeKind(mode);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config?.Image ?? '',
    state: c.State.Status,
    pid: c.State.Pid,
    networkMode: mode,
    networkModeKind: kind,
    sharesNetnsWith: kind === 'container' ? mode.slice('container:'.length) : null,
    sandboxKey: c.NetworkSettings.SandboxKey || null,
    endpoints: Object.entries(c.NetworkSettings.Networks).map(([network, e]) => ({
      network,
      networkId: e.NetworkID,
      endpointId: e.EndpointID,
      ip: e.IPAddress || null,
      prefixLen: e.IPAddress ? e.IPPrefixLen : null,
      gateway: e.Gateway || null,
      mac: e.MacAddress || null,
      ipv6: e.GlobalIPv6Address || null,
      ipv6PrefixLen: e.GlobalIPv6Address ? e.GlobalIPv6PrefixLen : null,
      ipv6Gateway: e.IPv6Gateway || null,
      aliases: e.Aliases,
      dnsNames: e.DNSNames,
    })),
    ports: ports(c.NetworkSettings.Ports),
    labels: c.Config?.Labels ?? {},
    hostname: c.Config?.Hostname || null,
    links: c.HostConfig.Links,
    hostsFile: null,
  };
}

/** /etc/hosts as the resolver reads it: address, then names; comments and blank lines skipped, bad addresses too. */
export function parseHostsFile(text: string): { ip: string; names: string[] }[] {
  return text.split('\n').flatMap((line) => {
    const words = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    const [ip, ...names] = words;
    if (!ip || names.length === 0 || !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(ip)) return [];
    return [{ ip, names }];
  });
}

function apiCall<T>(ctx: CollectContext, what: string, p: Promise<T>): Promise<T> {
  return p.catch((error: unknown) => {
    const d = describeDockerError(error, ctx.docker.endpoint);
    throw d.notFound ? new NoDataError(d.message, d.hint) : new CollectorError(`${d.message} (${what})`, d.hint);
  });
}

function validate<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new CollectorError(
    `unexpected Docker API response for ${what}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
    'netdiag supports Engine API 1.41 and later; report this with `docker version`',
  );
}

/** Inspect every running container once; containers that vanish meanwhile are skipped (they are no longer there). */
export async function inspectRunningContainers(ctx: CollectContext): Promise<{ containers: InspectedContainer[]; vanished: string[] }> {
  // A question by name needs no list of every container: its own inspections, and its networks' endpoints.
  const direct = ctx.scope?.direct ? await ctx.scope.direct(ctx.docker, () => ctx.docker.listNetworks()) : null;
  if (direct) return { containers: direct.containers, vanished: [] };
  const list = await apiCall(ctx, 'GET /containers/json', ctx.docker.listContainers());
  const all = Array.isArray(list) ? list : [];
  const wanted = ctx.scope?.(all) ?? null;
  const summaries = wanted === null ? all : all.filter((s: { Id?: unknown }) => typeof s?.Id === 'string' && wanted.ids.has(s.Id));
  const vanished: string[] = [];
  const inspected = await Promise.all(
    summaries.map(async (s: { Id?: unknown }) => {
      const id = typeof s?.Id === 'string' ? s.Id : null;
      if (!id) return null;
      try {
        return { id, raw: await ctx.docker.inspectContainer(id) };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) {
          vanished.push(id);
          return null;
        }
        throw error;
      }
    }),
  ).catch((error: unknown) => {
    const d = describeDockerError(error, ctx.docker.endpoint);
    throw new CollectorError(`${d.message} (GET /containers/{id}/json)`, d.hint);
  });
  return { containers: inspected.filter((c): c is InspectedContainer => c !== null), vanished };
}

/** The daemon's API version is at least major.minor (1.48 is Docker 28); an unreadable one counts as new, so nothing is skipped. */
function apiVersionAtLeast(v: unknown, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(String((v as { ApiVersion?: unknown })?.ApiVersion ?? ''));
  if (!m) return true;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

export const dockerCollector: Collector<'docker'> = {
  name: 'docker',
  async collect(ctx) {
    // GET /info is the Engine API's slowest read (storage, plugins, swarm) and only FirewallBackend is read from it,
    // which Docker reports from 28 on: asked only of a daemon that has it (API 1.48+, beside the version's answer).
    const versionP = apiCall(ctx, 'GET /version', ctx.docker.version());
    const infoP = versionP.then((v) => (apiVersionAtLeast(v, 1, 48) ? ctx.docker.info().catch(() => null) : null), () => null);
    const [versionRaw, infoRaw, networksRaw, inspected] = await Promise.all([versionP, infoP, apiCall(ctx, 'GET /networks', ctx.docker.listNetworks()), ctx.containers()]);
    const version = validate(VersionResponse, versionRaw, 'GET /version');
    const info = InfoResponse.safeParse(infoRaw ?? {});
    const networks = validate(NetworksResponse, networksRaw, 'GET /networks').map(toNetwork);
    const errors: { subject: string; message: string; hint: string }[] = [];
    const containers: DockerContainer[] = [];
    await Promise.all(inspected.map(async (c) => {
      const r = parseInspect(c.raw);
      if (r.success) {
        const dc = toContainer(r.data);
        // Its /etc/hosts, from the host side: names resolve through it before any DNS (--link writes there).
        const hosts = r.data.HostsPath ? await ctx.readFile(r.data.HostsPath).catch(() => null) : null;
        if (hosts !== null) dc.hostsFile = parseHostsFile(hosts);
        containers.push(dc);
      } else errors.push({ subject: c.id.slice(0, 12), message: `unexpected inspect response for container ${c.id.slice(0, 12)}: ${r.error.issues[0]?.message}`, hint: 'report this with `docker version`' });
    }));
    const data: DockerPart = {
      endpoint: ctx.docker.endpoint,
      version: version.Version,
      apiVersion: version.ApiVersion,
      os: version.Os ?? null,
      firewallBackend: info.success ? (info.data.FirewallBackend?.Driver ?? null) : null,
      networks,
      containers: containers.sort((a, b) => byCodeUnits(a.name, b.name)),
      dropped: null,
    };
    // Filtered here, before anything else sees them: labels are where secrets live (Traefik's basic-auth users).
    return { data: keptDocker(data, ctx.keepLabels), errors };
  },
};
