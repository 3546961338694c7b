// Doctor across the swarm nodes in view: the ports between them, the data path, overlay subnets and MTU.
import type { World } from '../model/types.js';
import type { Finding } from './finding.js';
import { swarmPortFindings } from './swarm-ports.js';
import { swarmPortsFixText } from './swarm-ports-plan.js';
import { swarmOverlayFindings } from './swarm-overlay.js';

/** Every swarm finding; none when no host in view is an active swarm node. */
export function swarmFindings(world: World): Finding[] {
  return [...swarmPortFindings(world, swarmPortsFixText), ...swarmOverlayFindings(world)];
}
