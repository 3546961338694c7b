// How far fixes reach beyond the asked pair: whether a collection of A, B and the containers on their networks
// predicts them, and what each opens besides, exactly as a collection of the whole host would.
import type { Fix } from '../../snapshot/contract.js';
import type { World } from '../model/types.js';

/**
 * A network connect changes only the joiner's endpoints (its pairs are with the containers on the network it joins,
 * and the next free address is read from the containers already there); a DOCKER-USER accept names the pair's own
 * addresses. Both are exact on the pair's networks while every rule of the host is Docker's own: a rule someone else
 * wrote may treat addresses or bridges in ways that open pairs with containers elsewhere too.
 */
const PAIR_KINDS = new Set<Fix['kind']>(['network-connect', 'docker-user']);
const PAIR_STEPS = new Set(['docker-network-connect', 'iptables-insert']);

/** Every rule on every host is Docker's own, by its meaning (iptables, ip6tables, native nftables). */
function onlyDockersRules(world: World): boolean {
  for (const h of world.hosts) {
    for (const rs of [h.ruleset, h.ruleset6]) {
      for (const table of rs?.values() ?? []) for (const chain of table.values()) for (const r of chain.rules) if (h.meanings.byRule.get(r.ref)?.owner !== 'docker') return false;
    }
    for (const t of h.nft?.tables ?? []) for (const chain of t.chains.values()) for (const r of chain.rules) if (h.meanings.byRule.get(r.ref)?.owner !== 'docker') return false;
  }
  return true;
}

/**
 * The fixes are predicted exactly from a collection limited to the pair's networks (each one's "also opens" included):
 * only pair-local kinds, only their own steps, on a single host whose rules are all Docker's.
 */
export function fixesStayOnPairNetworks(world: World, fixes: readonly Fix[]): boolean {
  if (world.hosts.length !== 1) return false;
  const local = fixes.every((f) => PAIR_KINDS.has(f.kind) && f.steps.every((s) => PAIR_STEPS.has(s.kind) && !(s.kind === 'docker-network-connect' && world.hosts[0]?.snapshot.docker?.networks.find((n) => n.id === s.networkId)?.driver === 'overlay')));
  return local && onlyDockersRules(world);
}
