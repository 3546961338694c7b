// Scenarios built in the lab, shared by the lab tests and the fixture capture.
import type { Lab, LabHost } from './lab.js';

/**
 * The seed: alpine-01 on the default bridge; net-redis with redis-1 and redis-2 (every container serves HTTP on 80;
 * redis-2's is published as 8080). ip_forward is 0 when dockerd starts, so Docker enables it and sets FORWARD's policy to DROP.
 */
export async function seedScenario(lab: Lab, name = 'h1', opts: { bip?: string; lan?: string } = {}): Promise<LabHost> {
  const h = await lab.host(name, { bip: opts.bip, lan: opts.lan });
  await h.docker(['network', 'create', 'net-redis']);
  // redis-1 before redis-2, so IPAM gives them .2 and .3 every time (fixtures and docs name those addresses).
  await Promise.all([h.run('alpine-01'), h.run('redis-1', { network: 'net-redis' })]);
  await h.run('redis-2', { network: 'net-redis', publish: ['8080:80'] });
  return h;
}
