// The map: hosts, networks, containers, and who reaches whom between networks.
import { z } from 'zod';
import { Flow, IpFamily } from './question.js';

const Share = z.enum(['all', 'some', 'none', 'unknown']);

const Network = z.object({
  id: z.string(),
  name: z.string(),
  bridge: z.string().nullable(),
  subnets: z.array(z.string()),
  flags: z.array(z.string()),
  /** Within the network: container pairs reachable of all (icc off shows here). */
  inside: z.object({ share: Share, reachable: z.number().int(), total: z.number().int() }),
  containers: z.array(z.object({ name: z.string(), addresses: z.array(z.string()) })),
  /** When folded: how many containers the network holds. */
  count: z.number().int(),
});

export const MapTopology = z.object({
  flow: Flow,
  /** The address families the edges count (-4/-6; both by default): a pair with none of them is on no edge. */
  families: z.array(IpFamily),
  /** When each host in it was collected: a page showing the map redraws when this changes. */
  collectedAt: z.array(z.string()),
  /** Containers folded into counts per network (past a size a picture stops being readable). */
  folded: z.boolean(),
  hosts: z.array(
    z.object({
      name: z.string(),
      /** Published ports on the host: host address:port → container:port. */
      published: z.array(z.string()),
      /** Ports of Docker bridges that are not containers' veths (a NIC enslaved to docker0): they lead off the host. */
      bridgedPorts: z.array(z.object({ bridge: z.string(), port: z.string() })),
      networks: z.array(Network),
    }),
  ),
  /**
   * Swarm overlays attached on several hosts in view: one network spanning them (its id `swarm/NAME`), not a copy per
   * host; its containers are named `host/name`.
   */
  spanning: z.array(Network.extend({ hosts: z.array(z.string()) })).default([]),
  /**
   * The exceptions to Docker's default (networks isolated from each other, a network's containers reaching each
   * other), one per ordered network pair — `from` = `to` for a block inside a network: how many container pairs reach
   * (a pair reaches when any address of B does), what lets them through and what blocks the rest. A network pair none
   * of whose pairs reach, and a network all of whose pairs reach, have none: they are counted in `defaults`.
   */
  edges: z.array(
    z.object({
      id: z.string(),
      /** path: between networks of one host; cross-host: between hosts; block: inside a network; unknown: not evaluable. */
      kind: z.enum(['path', 'cross-host', 'block', 'unknown']),
      from: z.string(),
      to: z.string(),
      share: Share,
      reachable: z.number().int(),
      total: z.number().int(),
      /** The short reason code of what blocks (isolation, icc-off, admin-rule …); null when all reach. */
      code: z.string().nullable(),
      /** The reason code of what lets the reaching pairs through (admin-rule, …; `open` when nothing in the walk names it); null when none reach. */
      via: z.string().nullable(),
      /** One pair that stands for the edge, for `why`: a blocked one when there is one. */
      example: z.object({ from: z.string(), to: z.string(), ip: z.string() }),
    }),
  ),
  /** Published ports by the network of their container: the host's addresses lead into it (an exception too). */
  published: z.array(z.object({ host: z.string(), network: z.string(), ports: z.array(z.string()) })).default([]),
  /** What matched Docker's default and is not drawn: network pairs none of whose pairs reach, networks all of whose pairs reach. */
  defaults: z.object({ isolatedPairs: z.number().int(), openNetworks: z.number().int() }).default({ isolatedPairs: 0, openNetworks: 0 }),
  /** Containers on more than one network: their nodes in each network are one container. */
  joined: z.array(z.object({ container: z.string(), networks: z.array(z.string()) })),
  /**
   * Networks on different hosts whose subnets overlap (`subnet` the range held twice, `networks` their ids): each host
   * delivers those addresses into its own bridge, so no container reaches the other host's holders. Networks bridged
   * into one segment are listed together but count as one place. With `collidesWith`, one network colliding with a
   * LAN/VPN prefix, `subnet` the range both claim.
   */
  overlaps: z
    .array(
      z.object({
        subnet: z.string(),
        networks: z.array(z.string()),
        /**
         * A collision of the (one) network with a LAN/VPN prefix instead ("Docker took my LAN"): what it collides with
         * (an on-link LAN prefix, a route through a gateway, an address of its host's own, another host's network in
         * view; `host` is whose, `route` as `ip route` prints it), and whether it shadows anything in view there.
         */
        collidesWith: z
          .object({ kind: z.enum(['on-link', 'route', 'address', 'peer']), prefix: z.string(), iface: z.string().nullable(), host: z.string(), route: z.string().nullable(), shadows: z.boolean() })
          .optional(),
      }),
    )
    .default([]),
  /** Host routes to another host's container subnet through that host's address (the cross-host recipe). */
  routes: z.array(z.object({ from: z.string(), to: z.string(), dst: z.string(), via: z.string() })),
});
export type MapTopology = z.infer<typeof MapTopology>;
