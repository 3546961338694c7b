// What the agent's metrics count, read from a snapshot and the model: drops by Docker's chains from the rules' own
// counters, and reachability between networks per address family (network pairs, never container pairs).
import type { IpFamily } from '../../snapshot/contract.js';
import { drain, pairRows } from '../matrix/matrix.js';
import type { HostModel, World } from '../model/types.js';

/**
 * Packets and bytes dropped so far per chain and family, from the rules' own counters: the drops Docker writes (its
 * isolation, icc, internal, unpublished-port and Docker 28+'s raw PREROUTING drops) and an administrator's in
 * DOCKER-USER, told by their meaning — iptables' for IPv4, ip6tables' for IPv6: one chain name, two rule sets.
 */
export function droppedByChain(host: HostModel): Map<string, { chain: string; family: IpFamily; packets: number; bytes: number }> {
  const out = new Map<string, { chain: string; family: IpFamily; packets: number; bytes: number }>();
  for (const [family, rs] of [['ipv4', host.ruleset], ['ipv6', host.ruleset6]] as const) {
    for (const [table, chains] of rs ?? []) {
      for (const [name, c] of chains) {
        const label = table === 'raw' ? 'raw PREROUTING' : name;
        for (const r of c.rules) {
          if (r.parsed.target.kind !== 'DROP' && r.parsed.target.kind !== 'REJECT') continue;
          const m = host.meanings.byRule.get(r.ref);
          if (m?.owner !== 'docker' && m?.code !== 'admin-rule') continue;
          const k = `${family} ${label}`;
          const v = out.get(k) ?? { chain: label, family, packets: 0, bytes: 0 };
          v.packets += r.ref.packets;
          v.bytes += r.ref.bytes;
          out.set(k, v);
        }
      }
    }
  }
  return out;
}

/**
 * Reachability between networks, per family: for each (from, to) network pair, how many container pairs reach each
 * other over IPv4 and over IPv6 (counted over pairs whose B has an address of that family). The two often differ:
 * without ip6tables, networks isolated over IPv4 are open over IPv6.
 */
export type Reach = Map<string, { from: string; to: string; family: IpFamily; reachable: number; total: number }>;

export function networkReachability(world: World): Reach {
  return drain(reachabilitySteps(world));
}

/** The same, walked a row at a time (the agent computes it in slices, between scrapes). */
export function* reachabilitySteps(world: World): Generator<unknown, Reach> {
  const net = new Map<string, string>();
  for (const h of world.hosts) for (const c of h.containers) net.set(c.name, c.endpoints[0]?.network?.name ?? c.docker.networkMode);
  const out = new Map<string, { from: string; to: string; family: IpFamily; reachable: number; total: number }>();
  for (const [family, f] of [['ipv4', 4], ['ipv6', 6]] as const) {
    yield* pairRows(
      world,
      { proto: 'icmp', port: null },
      (p) => {
        if (p.addresses.length === 0) return;
        const from = net.get(p.from) ?? 'unknown';
        const to = net.get(p.to) ?? 'unknown';
        const k = `${from}\u0000${to}\u0000${family}`;
        const v = out.get(k) ?? { from, to, family, reachable: 0, total: 0 };
        v.total++;
        if (p.verdict === 'reachable') v.reachable++;
        out.set(k, v);
      },
      [f],
    );
  }
  return out;
}
