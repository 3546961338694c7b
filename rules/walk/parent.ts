// A parent interface: a container's interface that is no bridge port (a macvlan or ipvlan child of a host NIC) sends
// straight out of its parent. Not modelled yet: the walk stops with a decision that names the interface.
import type { ContainerModel, Endpoint } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

/** The packet leaves by `dev`, which is on no bridge netdiag can see: unknown until attachments are modelled. */
export function onParent(w: Walk, c: ContainerModel, ep: Endpoint | null, dev: string | null): LegResult {
  const iface = ep?.iface ?? dev;
  return w.stopped(w.decision('missing-data', c.host.name, `container ${c.name}'s ${dev} is not attached to a bridge netdiag can see`, iface === null ? { missing: 'attachment' } : { missing: 'attachment', iface }));
}
