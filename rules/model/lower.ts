// The children of each parent interface of a host: containers' macvlan and ipvlan addresses and the host's own
// children (a shim): who sits on a parent's segment without a bridge, and what the kernel lets them reach.
import { isLinkLocal6, parseIp } from '../addr/addr.js';
import { ownAttachment } from './attachment.js';
import type { Attachment, IpvlanFlag } from './attachment.js';
import type { Endpoint, HostModel, Interface, LowerChild } from './types.js';

export type { LowerChild };

/** The macvlan or ipvlan attachment under an endpoint (also through a container:X namespace), or null. */
export function childAttachment(a: Attachment): Extract<Attachment, { kind: 'macvlan' | 'ipvlan' }> | null {
  const own = ownAttachment(a);
  return own.kind === 'macvlan' || own.kind === 'ipvlan' ? own : null;
}

/** A container endpoint as a child of its parent (null: not a macvlan or ipvlan child, or its parent is not known). */
export function containerChild(ep: Endpoint): LowerChild | null {
  const a = childAttachment(ep.attachment);
  if (!a || a.parent === null) return null;
  return { parent: a.parent, driver: a.kind, mode: a.mode, flag: a.kind === 'ipvlan' ? a.flag : null, ip: ep.ip, who: { kind: 'container', endpoint: ep } };
}

const IPVLAN_FLAGS: readonly string[] = ['bridge', 'private', 'vepa'];

/** The host's own macvlan and ipvlan interfaces (a shim), one child per address. */
export function hostChildren(i: Interface): LowerChild[] {
  if ((i.kind !== 'macvlan' && i.kind !== 'ipvlan') || !i.lower?.name) return [];
  const out: LowerChild[] = [];
  for (const a of i.addresses) {
    const ip = parseIp(a.local);
    if (ip === null || isLinkLocal6(ip)) continue;
    const flag = i.kind === 'ipvlan' && i.lower.flag && IPVLAN_FLAGS.includes(i.lower.flag) ? (i.lower.flag as IpvlanFlag) : null;
    out.push({ parent: i.lower.name, driver: i.kind, mode: i.lower.mode, flag, ip, who: { kind: 'host', iface: i.name } });
  }
  return out;
}

/** Every child on `host`, by parent (containers' first, in the model's order; then the host's own). */
export function childrenByParent(host: HostModel): Map<string, LowerChild[]> {
  const out = new Map<string, LowerChild[]>();
  const add = (c: LowerChild) => out.set(c.parent, [...(out.get(c.parent) ?? []), c]);
  for (const c of host.containers) {
    // A side-car shares its owner's interfaces: the owner's endpoints stand for the namespace.
    if (c.netnsOwnerId !== c.docker.id) continue;
    for (const ep of c.endpoints) {
      const child = containerChild(ep);
      if (child) add(child);
    }
  }
  for (const i of host.interfaces.values()) for (const child of hostChildren(i)) add(child);
  return out;
}

/** A child in words: `web-mv's macvlan child eth0 (bridge mode)`, `h1's ipvlan shim mv0 (l3 private)`. */
export function childText(c: LowerChild, host: HostModel): string {
  const mode = c.mode ? ` (${c.mode}${c.flag ? ` ${c.flag}` : c.driver === 'macvlan' ? ' mode' : ''})` : '';
  return c.who.kind === 'container' ? `${c.who.endpoint.container.name}'s ${c.driver} child ${c.who.endpoint.iface}${mode}` : `${host.name}'s ${c.driver} interface ${c.who.iface}${mode}`;
}

/** The 802.1q tag an interface's frames carry on the wire: its own, or its parent's (a macvlan child of eth0.50). */
export function vlanOf(host: HostModel, iface: string): number | null {
  for (let name: string | null = iface, hops = 0; name && hops < 4; hops++) {
    const i = host.interfaces.get(name);
    if (!i?.lower) return null;
    if (i.kind === 'vlan') return i.lower.vlanId;
    name = i.lower.name;
  }
  return null;
}

/** ipvlan l3 and l3s: the child's packets are routed by its parent's namespace, not switched on MAC addresses. */
export const routedByHost = (c: LowerChild) => c.driver === 'ipvlan' && (c.mode === 'l3' || c.mode === 'l3s');
