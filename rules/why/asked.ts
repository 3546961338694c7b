// The question as the user asked it: B given by a name A must resolve for `docker exec A ping B` to work.
import type { WhyAnswer } from '../../snapshot/contract.js';

/**
 * B asked by a name Docker's DNS (or A's /etc/hosts) could answer: a container on A's own host, by name. Across
 * hosts no Docker name resolves, so there the user means the address whatever they typed.
 */
export function askedByName(answer: WhyAnswer): boolean {
  return answer.from.kind === 'container' && answer.to.kind === 'container' && answer.to.host === answer.from.host && answer.to.askedBy === 'name';
}

/** Reachable at B's addresses, while the name the user gave does not resolve from A: `ping B` fails with "bad address". */
export function reachableButNameFails(answer: WhyAnswer): boolean {
  return answer.verdict === 'reachable' && askedByName(answer) && !answer.dns.resolves;
}

/**
 * Reachable, and the name would resolve, but the way to Docker's resolver could not be checked (a snapshot without
 * the container's DNS rules): a yes from a part not read.
 */
export function nameUnchecked(answer: WhyAnswer): boolean {
  return answer.verdict === 'reachable' && askedByName(answer) && answer.dns.resolves && answer.dns.resolver?.verdict === 'unknown';
}
