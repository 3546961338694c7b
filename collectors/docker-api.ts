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
