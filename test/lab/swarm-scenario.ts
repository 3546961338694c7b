// The lab's two-host swarm (issue 25, scenario A): h1 manager, h2 worker, two attachable overlays, containers on
// each, on both, on the default bridge and on a user bridge. Shared by the capture and the collector's lab test.
import type { Lab, LabHost } from './lab.js';
import { until } from './lab.js';

export interface SwarmLab {
  h1: LabHost;
  h2: LabHost;
  /** Every container, with its host: a1 b1 c1 br1 on h1, a2 b2 u2 on h2. */
  containers: { host: LabHost; name: string }[];
}

/** Two Docker hosts on the lab LAN, not yet in a swarm (distinct --bip, so their default bridges do not collide). */
export async function swarmHosts(lab: Lab): Promise<[LabHost, LabHost]> {
  return Promise.all([lab.host('h1', { lan: '10.77.0.11/24', bip: '192.168.101.1/24' }), lab.host('h2', { lan: '10.77.0.12/24', bip: '192.168.102.1/24' })]);
}

/** Scenario A on two hosts from swarmHosts; resolves once both overlays carry a ping across the hosts. */
export async function swarmScenario(h1: LabHost, h2: LabHost): Promise<SwarmLab> {
  await h1.docker(['swarm', 'init', '--advertise-addr', '10.77.0.11']);
  const token = (await h1.docker(['swarm', 'join-token', '-q', 'worker'])).trim();
  await h2.docker(['swarm', 'join', '--token', token, '10.77.0.11:2377']);
  await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.60.1.0/24', 'ov1']);
  await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.60.2.0/24', 'ov2']);
  await h2.docker(['network', 'create', '--subnet', '172.31.2.0/24', 'ub2']);
  await h1.run('a1', { network: 'ov1' });
  await h2.run('a2', { network: 'ov1' });
  await h1.run('b1', { network: 'ov2' });
  await h2.run('b2', { network: 'ov2' });
  await h1.run('c1', { network: 'ov1' });
  await h1.docker(['network', 'connect', 'ov2', 'c1']);
  if (!(await h1.docker(['ps', '-q', '--filter', 'name=^br1$'])).trim()) await h1.run('br1', {});
  await h2.run('u2', { network: 'ub2' });
  // NetworkDB gossips the remote endpoints within seconds: wait until both overlays carry a ping across the hosts.
  await until('ov1 across hosts', async () => ((await h1.probe('a1', await h2.ip('a2', 'ov1'))) ? true : null), 60_000);
  await until('ov2 across hosts', async () => ((await h1.probe('b1', await h2.ip('b2', 'ov2'))) ? true : null), 60_000);
  await until('c1 on ov2 across hosts', async () => ((await h1.probe('c1', await h2.ip('b2', 'ov2'))) ? true : null), 60_000);
  return { h1, h2, containers: [...['a1', 'b1', 'c1', 'br1'].map((name) => ({ host: h1, name })), ...['a2', 'b2', 'u2'].map((name) => ({ host: h2, name }))] };
}
