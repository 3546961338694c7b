// A swarm service's name as Docker's embedded DNS answers it to a container (moby service_common.go
// addEndpointNameResolution): `<svc>` is the VIP in vip mode and every task's address in dnsrr mode; `tasks.<svc>` is
// every task's address in both — on the networks the asking container shares with the service only.
import type { ContainerModel } from '../model/types.js';

export interface ServiceName {
  service: string;
  /** vip: the service's VIP on that network; dnsrr: its tasks (no VIP); tasks: `tasks.<svc>`, its tasks whatever the mode. */
  mode: 'vip' | 'dnsrr' | 'tasks';
  network: string;
  networkId: string;
  addresses: string[];
}

/**
 * What `asked` resolves to from `a` through Docker's DNS when it is a service's name, from what a's node's NetworkDB
 * holds (swarm.networks[].services, `network inspect --verbose`): null when no network a is on has that service. The
 * records are added per network (n.addSvcRecords) and a sandbox asks its own networks in order (network.go ResolveName).
 */
export function serviceName(a: ContainerModel, asked: string): ServiceName | null {
  const sw = a.host.snapshot.swarm;
  if (!sw) return null;
  const word = asked.toLowerCase();
  const tasks = word.startsWith('tasks.');
  const name = tasks ? word.slice('tasks.'.length) : word;
  for (const ep of a.docker.endpoints) {
    const net = sw.networks.find((n) => n.id === ep.networkId);
    // "" holds standalone containers (no service): their names are container names, answered elsewhere.
    const svc = net?.services.find((s) => s.name !== '' && s.name.toLowerCase() === name);
    if (!net || !svc) continue;
    const taskIps = svc.tasks.map((t) => t.ip);
    // :35 tasks.<svc> → every task; :41 no VIP → <svc> is every task (DNS RR); :48 a VIP → <svc> is the VIP.
    if (tasks) return { service: svc.name, mode: 'tasks', network: net.name, networkId: net.id, addresses: taskIps };
    if (svc.vip === null) return { service: svc.name, mode: 'dnsrr', network: net.name, networkId: net.id, addresses: taskIps };
    // deleteEndpointNameResolution :112: the VIP record goes with the service's last backend (rmService).
    if (taskIps.length === 0) return { service: svc.name, mode: 'vip', network: net.name, networkId: net.id, addresses: [] };
    return { service: svc.name, mode: 'vip', network: net.name, networkId: net.id, addresses: [svc.vip] };
  }
  return null;
}
