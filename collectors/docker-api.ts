// zod schemas for the Engine API responses netdiag reads (API 1.41 through 1.55): strict on what we use, loose on the rest.
import { z } from 'zod';

const nullToEmpty = <T extends z.ZodTypeAny>(t: T) => t.nullish().transform((v) => v ?? undefined);
const StringMap = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});

export const VersionResponse = z.looseObject({
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string().optional(),
  Os: z.string().optional(),
});

export const InfoResponse = z.looseObject({
  // API 1.49+ (Docker 28.1); absent before.
  FirewallBackend: z.looseObject({ Driver: z.string() }).nullish(),
});

export const NetworkResponse = z.looseObject({
  Name: z.string(),
  Id: z.string(),
  Driver: z.string(),
  Scope: z.string().default('local'),
  EnableIPv6: z.boolean().default(false),
  Internal: z.boolean().default(false),
  Attachable: z.boolean().default(false),
  Ingress: z.boolean().default(false),
  IPAM: z
    .looseObject({
      Config: z
        .array(z.looseObject({ Subnet: z.string().optional(), Gateway: z.string().optional(), IPRange: z.string().optional(), AuxiliaryAddresses: StringMap }))
        .nullish()
        .transform((v) => v ?? []),
    })
    .nullish(),
  Options: StringMap,
  Labels: StringMap,
});
export const NetworksResponse = z.array(NetworkResponse);

const EndpointSettings = z.looseObject({
  NetworkID: z.string().default(''),
  EndpointID: z.string().default(''),
  Gateway: z.string().default(''),
  IPAddress: z.string().default(''),
  IPPrefixLen: z.number().default(0),
  GlobalIPv6Address: z.string().default(''),
  GlobalIPv6PrefixLen: z.number().default(0),
  IPv6Gateway: z.string().default(''),
  MacAddress: z.string().default(''),
  Aliases: z.array(z.string()).nullish().transform((v) => v ?? []),
  DNSNames: z.array(z.string()).nullish().transform((v) => v ?? []),
});

const PortBinding = z.looseObject({ HostIp: z.string().default(''), HostPort: z.string().default('') });

export const ContainerInspect = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Config: z.looseObject({ Image: z.string().default(''), Labels: StringMap, Hostname: z.string().default('') }).nullish(),
  State: z.looseObject({ Status: z.string(), Pid: z.number().default(0) }),
  /** The file Docker bind-mounts as the container's /etc/hosts (its --link entries live there). */
  HostsPath: z.string().default(''),
  /** The file Docker writes as the container's /etc/resolv.conf (127.0.0.11 on user networks). */
  ResolvConfPath: z.string().default(''),
  HostConfig: z.looseObject({ NetworkMode: z.string().default('default'), Links: z.array(z.string()).nullish().transform((v) => v ?? []), Dns: z.array(z.string()).nullish().transform((v) => v ?? []) }),
  NetworkSettings: z.looseObject({
    SandboxKey: nullToEmpty(z.string()),
    Networks: z.record(z.string(), EndpointSettings).nullish().transform((v) => v ?? {}),
    Ports: z
      .record(z.string(), z.array(PortBinding).nullable())
      .nullish()
      .transform((v) => v ?? {}),
  }),
});
export type ContainerInspect = z.infer<typeof ContainerInspect>;

const inspected = new WeakMap<object, ReturnType<typeof ContainerInspect.safeParse>>();

/**
 * A container's inspection checked once, however many collectors read it: the docker, sandbox, DNS and sockets
 * collectors each read every container's (35–80 µs a check; 200 ms of a snapshot at 500 containers, four times over).
 */
export function parseInspect(raw: unknown): ReturnType<typeof ContainerInspect.safeParse> {
  if (typeof raw !== 'object' || raw === null) return ContainerInspect.safeParse(raw);
  let r = inspected.get(raw);
  if (!r) inspected.set(raw, (r = ContainerInspect.safeParse(raw)));
  return r;
}

/** /info's Swarm object (API 1.24+): this node's membership, as the swarm collector reads it. */
export const SwarmInfo = z.looseObject({
  NodeID: z.string().default(''),
  NodeAddr: z.string().default(''),
  LocalNodeState: z.string().default('inactive'),
  ControlAvailable: z.boolean().default(false),
  Error: z.string().default(''),
  RemoteManagers: z.array(z.looseObject({ NodeID: z.string(), Addr: z.string() })).nullish().transform((v) => v ?? []),
  Nodes: z.number().int().nullish(),
  // Inside Cluster on managers (API 1.40+); workers are not told, and VXLAN then uses the default, 4789.
  Cluster: z.looseObject({ DataPathPort: z.number().int().nullish() }).nullish(),
});
export const InfoWithSwarm = z.looseObject({ Swarm: SwarmInfo.nullish() });

const ServiceTask = z.looseObject({ Name: z.string().default(''), EndpointID: z.string().default(''), EndpointIP: z.string().default(''), Info: StringMap });

/** GET /networks/{id}?verbose=true: NetworkDB's peers and service entries beside the network's own fields. */
export const VerboseNetwork = NetworkResponse.extend({
  Peers: z.array(z.looseObject({ Name: z.string().default(''), IP: z.string().default('') })).nullish().transform((v) => v ?? []),
  Services: z
    .record(z.string(), z.looseObject({ VIP: z.string().default(''), Ports: z.array(z.string()).nullish().transform((v) => v ?? []), LocalLBIndex: z.number().int().default(0), Tasks: z.array(ServiceTask).nullish().transform((v) => v ?? []) }))
    .nullish()
    .transform((v) => v ?? {}),
  Containers: z.record(z.string(), z.looseObject({ Name: z.string().default(''), EndpointID: z.string().default('') })).nullish().transform((v) => v ?? {}),
});

/** GET /services: each service's endpoint mode, VIPs and published ports. */
export const ServicesResponse = z.array(
  z.looseObject({
    ID: z.string(),
    Spec: z.looseObject({ Name: z.string().default(''), EndpointSpec: z.looseObject({ Mode: z.string().optional() }).nullish() }),
    Endpoint: z
      .looseObject({
        Spec: z.looseObject({ Mode: z.string().optional() }).nullish(),
        VirtualIPs: z.array(z.looseObject({ NetworkID: z.string(), Addr: z.string().default('') })).nullish().transform((v) => v ?? []),
        Ports: z
          .array(z.looseObject({ Protocol: z.string().default('tcp'), TargetPort: z.number().int().default(0), PublishedPort: z.number().int().nullish(), PublishMode: z.string().default('ingress') }))
          .nullish()
          .transform((v) => v ?? []),
      })
      .nullish(),
  }),
);
