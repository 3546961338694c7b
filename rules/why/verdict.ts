// The verdict of a pair: every address of B walked from A, and what they add up to (reachable if any address is),
// per family too — IPv4 and IPv6 are filtered by different rule sets and often disagree.
import { familyOf } from '../addr/addr.js';
import type { Family } from '../addr/addr.js';
import type { ContainerModel, Endpoint, World } from '../model/types.js';
import type { AddressVerdict, Flow, IpFamily } from '../../snapshot/contract.js';
import { walkBalanced } from '../walk/balanced.js';
import type { FlowResult } from '../walk/flow.js';

export const BOTH: readonly Family[] = [4, 6];
export const familyName = (f: Family): IpFamily => (f === 4 ? 'ipv4' : 'ipv6');

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

/**
 * B has addresses, none of the families asked (-6 towards an IPv4-only container): there is no packet to walk, and
 * calling that blocked would send someone looking for a rule that is not there. (B with no address at all is not
 * this: --network none is unreachable in every family.)
 */
export function lacksFamily(b: ContainerModel, families: readonly Family[]): boolean {
  return b.endpoints.length > 0 && targetsOf(b, families).length === 0;
}

/**
 * The asked families A can send in: those its namespace holds an address of. A container on an IPv4-only network
 * has no IPv6 to speak (the kernel: "Network is unreachable"), so B's IPv6 addresses are not a question from it. A
 * with no address at all (--network none) keeps them all: the walk says what happens.
 */
export function sendable(a: ContainerModel, families: readonly Family[]): Family[] {
  if (a.endpoints.length === 0) return [...families];
  return families.filter((f) => a.endpoints.some((e) => familyOf(e.ip) === f));
}

/** A pair with nothing to walk in the families asked: A or B has no address of any family both could use. */
export function noCommonFamily(a: ContainerModel, b: ContainerModel, families: readonly Family[]): boolean {
  const usable = sendable(a, families);
  return lacksFamily(b, families) || usable.length === 0 || lacksFamily(b, usable);
}

/** What a family B lacks reads as in a message: "redis-1 has no IPv6 address (it has 172.18.0.2 on net-redis)". */
export function noAddressOfFamily(name: string, b: ContainerModel, families: readonly Family[]): string {
  const asked = families.map((f) => familyWord(familyName(f))).join(' or ');
  const has = b.endpoints.map((e) => `${e.ipText}${e.network ? ` on ${e.network.name}` : ''}`).join(', ');
  return `${name} has no ${asked} address (it has ${has})`;
}

/** B's addresses of the asked families, in B's order. */
export function targetsOf(b: ContainerModel, families: readonly Family[] = BOTH): Endpoint[] {
  return families.length === 2 ? b.endpoints : b.endpoints.filter((e) => families.includes(familyOf(e.ip)));
}

/** Each address of B walked from A, without a trace (the cost of a walk is mostly its trace). */
export function addressWalks(world: World, a: ContainerModel, b: ContainerModel, flow: Flow, families: readonly Family[] = BOTH): FlowResult[] {
  return targetsOf(b, families).map((e) => walkBalanced(world, { kind: 'container', container: a }, e.ip, flow, 0, false, b));
}

/** Each address of B from A, verdicts only. */
export function addressVerdicts(world: World, a: ContainerModel, b: ContainerModel, flow: Flow, families: readonly Family[] = BOTH): AddressVerdict[] {
  return addressWalks(world, a, b, flow, families).map((w) => w.outcome);
}

export function pairVerdict(world: World, a: ContainerModel, b: ContainerModel, flow: Flow, families: readonly Family[] = BOTH): AddressVerdict {
  return verdictOfAddresses(b, addressVerdicts(world, a, b, flow, families));
}

/** The verdict over each family's addresses; null for a family B has no address of. */
export function familyVerdicts(answers: { family: IpFamily; verdict: AddressVerdict }[]): { ipv4: AddressVerdict | null; ipv6: AddressVerdict | null } {
  const of = (f: IpFamily) => {
    const vs = answers.filter((a) => a.family === f).map((a) => a.verdict);
    return vs.length > 0 ? combine(vs) : null;
  };
  return { ipv4: of('ipv4'), ipv6: of('ipv6') };
}

/** How a family is written in a sentence. */
export const familyWord = (f: IpFamily) => (f === 'ipv4' ? 'IPv4' : 'IPv6');
const said = (v: AddressVerdict) => (v === 'unknown' ? 'netdiag cannot tell' : v);

/**
 * The families disagreeing, in words: the case a user is most misled by (isolated over IPv4, wide open over IPv6,
 * or the reverse). Null when they agree or B has one family only.
 */
export function familySummary(name: string, fv: { ipv4: AddressVerdict | null; ipv6: AddressVerdict | null }, codes: { ipv4: string | null; ipv6: string | null }): string | null {
  const { ipv4, ipv6 } = fv;
  if (ipv4 === null || ipv6 === null || ipv4 === ipv6) return null;
  const open: IpFamily | null = ipv4 === 'reachable' ? 'ipv4' : ipv6 === 'reachable' ? 'ipv6' : null;
  if (open) {
    const shut: IpFamily = open === 'ipv4' ? 'ipv6' : 'ipv4';
    const why = codes[shut] ? ` (${codes[shut]})` : '';
    const v = fv[shut] as AddressVerdict;
    return v === 'blocked'
      ? `${name} is reachable over ${familyWord(open)} but blocked over ${familyWord(shut)}${why}: what stops ${familyWord(shut)} does not stop ${familyWord(open)}`
      : `${name} is reachable over ${familyWord(open)}; over ${familyWord(shut)} ${said(v)}${why}`;
  }
  return `over IPv4 ${said(ipv4)}${codes.ipv4 ? ` (${codes.ipv4})` : ''}; over IPv6 ${said(ipv6)}${codes.ipv6 ? ` (${codes.ipv6})` : ''}`;
}
