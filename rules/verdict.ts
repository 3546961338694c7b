// The verdict of a pair: every address of B walked from A, and what they add up to (reachable if any address is).
import type { ContainerModel, World } from './model/types.js';
import type { AddressVerdict, Flow } from '../snapshot/contract.js';
import { walkFlow } from './walk/flow.js';
import { unmodelledIpv6 } from './ipv6-gap.js';

export function combine(verdicts: AddressVerdict[]): AddressVerdict {
  if (verdicts.includes('reachable')) return 'reachable';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'blocked';
}

/** B with no address at all (network none) is unreachable as a fact, not a gap in what netdiag knows. */
export function verdictOfAddresses(b: ContainerModel, verdicts: AddressVerdict[]): AddressVerdict {
  if (verdicts.length === 0) return b.netns === 'sandbox' ? 'blocked' : 'unknown';
  return combine(verdicts);
}

/** Each address of B from A (IPv4 walked, then IPv6 as unknown), verdicts only (no trace: the cost of a walk is mostly its trace). */
export function addressVerdicts(world: World, a: ContainerModel, b: ContainerModel, flow: Flow): AddressVerdict[] {
  const v4 = b.endpoints.map((e) => walkFlow(world, { kind: 'container', container: a }, e.ip, flow, 0, false, b).outcome);
  return [...v4, ...unmodelledIpv6(a, b).map((): AddressVerdict => 'unknown')];
}

export function pairVerdict(world: World, a: ContainerModel, b: ContainerModel, flow: Flow): AddressVerdict {
  return verdictOfAddresses(b, addressVerdicts(world, a, b, flow));
}
