// A parent interface: a container's interface that is no bridge port (a macvlan or ipvlan child of a host NIC) sends
// straight out of its parent. Not modelled yet: the walk stops with a decision that names the interface.
import type { ContainerModel, Endpoint } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

/** How an attachment reads in a sentence (`a macvlan child (bridge mode) of eth0`); null when it is none of those. */
function described(ep: Endpoint | null): string | null {
  const a = ep?.attachment.kind === 'container-netns' ? ep.attachment.via : ep?.attachment;
  if (a?.kind === 'macvlan') return `a macvlan child${a.mode ? ` (${a.mode} mode)` : ''}${a.parent ? ` of ${a.parent}` : ''}`;
  if (a?.kind === 'ipvlan') return `an ipvlan child${a.mode ? ` (${a.mode}${a.flag ? ` ${a.flag}` : ''})` : ''}${a.parent ? ` of ${a.parent}` : ''}`;
  return null;
}

/** The packet leaves by `dev`, which is on no bridge: unknown until macvlan and ipvlan are modelled, naming what it is. */
export function onParent(w: Walk, c: ContainerModel, ep: Endpoint | null, dev: string | null): LegResult {
  const iface = ep?.iface ?? dev;
  const what = described(ep);
  const reason = what ? `container ${c.name}'s ${dev} is ${what}: netdiag does not model that attachment yet` : `container ${c.name}'s ${dev} is not attached to a bridge netdiag can see`;
  return w.stopped(w.decision('missing-data', c.host.name, reason, iface === null ? { missing: 'attachment' } : { missing: 'attachment', iface }));
}
