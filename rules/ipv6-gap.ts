// IPv6 addresses the walk cannot answer for: it follows IPv4 (routes, rules, conntrack), so a dual-stack pair's IPv6
// path is `unknown`, named as such, never folded into the IPv4 answer (an IPv4 isolation says nothing about IPv6).
import type { ContainerModel } from './model/types.js';
import type { Decision } from '../snapshot/contract.js';

const ipv6Of = (c: ContainerModel) => c.docker.endpoints.flatMap((e) => (e.ipv6 ? [{ ip: e.ipv6, network: e.network }] : []));

/** B's IPv6 addresses that A could send to: A has an IPv6 address too, or A is the host (which routes to B's subnet). */
export function unmodelledIpv6(a: ContainerModel | null, b: ContainerModel): { ip: string; network: string }[] {
  if (a !== null && ipv6Of(a).length === 0) return [];
  return ipv6Of(b);
}

export function hasIpv6(c: ContainerModel): boolean {
  return ipv6Of(c).length > 0;
}

export function ipv6Decision(b: ContainerModel): Decision {
  return {
    kind: 'missing-data', host: b.host.name, direction: 'request', code: 'ipv6-not-modelled',
    reason: 'netdiag walks IPv4 only: this IPv6 path is not modelled (ip6tables and IPv6 routes are read; see netdiag doctor for IPv6 isolation)',
  };
}
