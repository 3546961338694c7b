// `why`'s line on Docker's rules: those Docker writes for the pair's networks, missing on the pair's hosts (doctor's
// docker-rules-missing, asked only of the networks the two containers are on).
import type { ContainerModel } from '../model/types.js';
import type { WhyAnswer } from '../../snapshot/contract.js';
import { missingDockerRules } from '../doctor/docker-rules.js';
import { DOCKER_RULES_MISSING, missingWords } from '../doctor/wiped.js';

export function pairDockerRules(containers: (ContainerModel | null)[]): WhyAnswer['dockerRules'] | null {
  for (const h of new Set(containers.filter((c): c is ContainerModel => c !== null).map((c) => c.host))) {
    const ids = new Set(containers.flatMap((c) => (c?.host === h ? c.docker.endpoints.map((e) => e.networkId) : [])));
    const { missing } = missingDockerRules(h.snapshot, { ruleset: h.ruleset, ruleset6: h.ruleset6, nft: h.nft, meanings: h.meanings }, ids);
    if (missing.length > 0) return { code: DOCKER_RULES_MISSING, host: h.name, networks: missing.map((m) => ({ name: m.network.name, missing: missingWords(m) })) };
  }
  return null;
}
