// An endpoint's attachment: how its interface meets the host's network, from the kernel's link kinds and Docker's driver.
import type { DockerNetwork, SandboxInterface } from '../../snapshot/host-snapshot.js';

/** The kernel's macvlan modes (ip/iplink_macvlan.c): who a child may talk to without leaving through the parent. */
export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru' | 'source';
/** ipvlan's modes (ip/iplink_ipvlan.c): l2 switches on MAC, l3/l3s route on the address (children do no ARP). */
export type IpvlanMode = 'l2' | 'l3' | 'l3s';
/** ipvlan's flag: bridge (children talk directly, the default), private (they do not), vepa (via the switch). */
export type IpvlanFlag = 'bridge' | 'private' | 'vepa';

/** An attachment of the namespace's own interface (what container:X mode shares, see `container-netns`). */
export type OwnAttachment =
  /** A veth whose host end is a port of a Linux bridge (Docker's bridge driver); hostVeth null when not read. */
  | { kind: 'bridge-port'; bridge: string; hostVeth: string | null }
  /** A macvlan child of `parent` (the host's name for it; null when netdiag could not tell). */
  | { kind: 'macvlan'; parent: string | null; mode: MacvlanMode | null }
  /** An ipvlan child of `parent`: it shares the parent's MAC address. */
  | { kind: 'ipvlan'; parent: string | null; mode: IpvlanMode | null; flag: IpvlanFlag | null }
  /**
   * A veth whose other end is a port of a swarm overlay network's bridge (br0), inside that network's own namespace
   * (`namespace`, the file under Docker's netns directory; null when not read), not the host's: the bridge and the
   * VXLAN device there carry its frames, to the network's other nodes as UDP. `networkId` the overlay network's.
   */
  | { kind: 'overlay-port'; networkId: string | null; namespace: string | null; veth: string | null }
  /** network_mode host: the host's own interfaces, in the host's own namespace. */
  | { kind: 'host-netns' }
  /** Unknown: the namespace or the interface was not read, or is of a kind netdiag does not model. */
  | { kind: 'none' };

/** --network container:X: X's namespace (`owner` is X's name), attached as X's interface is (`via`). */
export type Attachment = OwnAttachment | { kind: 'container-netns'; owner: string; via: OwnAttachment };

const MACVLAN_MODES: readonly string[] = ['bridge', 'private', 'vepa', 'passthru', 'source'] satisfies MacvlanMode[];
const IPVLAN_MODES: readonly string[] = ['l2', 'l3', 'l3s'] satisfies IpvlanMode[];
const IPVLAN_FLAGS: readonly string[] = ['bridge', 'private', 'vepa'] satisfies IpvlanFlag[];

const oneOf = <T extends string>(values: readonly string[], v: string | null | undefined): T | null => (v != null && values.includes(v) ? (v as T) : null);

// Docker's macvlan and ipvlan drivers (libnetwork drivers/macvlan, drivers/ipvlan) read `-o parent`, `-o macvlan_mode`,
// `-o ipvlan_mode` and `-o ipvlan_flag`; the network reports only what was passed, so their defaults are filled in here.
const DOCKER_MACVLAN_MODE = 'bridge';
const DOCKER_IPVLAN_MODE = 'l2';
const DOCKER_IPVLAN_FLAG = 'bridge';

/** As Docker's network driver and options describe it: when the namespace was not read, this is all there is. */
export function dockerAttachment(network: DockerNetwork | null): OwnAttachment {
  if (!network) return { kind: 'none' };
  const o = network.options;
  if (network.bridge) return { kind: 'bridge-port', bridge: network.bridge, hostVeth: null };
  if (network.driver === 'macvlan') return { kind: 'macvlan', parent: o.parent ?? null, mode: oneOf(MACVLAN_MODES, o.macvlan_mode ?? DOCKER_MACVLAN_MODE) };
  if (network.driver === 'ipvlan') {
    return { kind: 'ipvlan', parent: o.parent ?? null, mode: oneOf(IPVLAN_MODES, o.ipvlan_mode ?? DOCKER_IPVLAN_MODE), flag: oneOf(IPVLAN_FLAGS, o.ipvlan_flag ?? DOCKER_IPVLAN_FLAG) };
  }
  if (network.driver === 'overlay') return { kind: 'overlay-port', networkId: network.id, namespace: null, veth: null };
  return { kind: 'none' };
}

/**
 * As the kernel showed the interface inside the namespace: its link kind, its bridge through the host's veth, its
 * parent and mode. What the link does not say (a snapshot from before parents were read) comes from Docker's network.
 */
export function interfaceAttachment(iface: SandboxInterface, network: DockerNetwork | null): OwnAttachment {
  if (iface.overlayPort) return { kind: 'overlay-port', networkId: network?.id ?? null, namespace: iface.overlayPort.namespace, veth: iface.overlayPort.veth };
  if (iface.bridge) return { kind: 'bridge-port', bridge: iface.bridge, hostVeth: iface.hostVeth?.name ?? null };
  const docker = dockerAttachment(network);
  const lower = iface.lower;
  if (iface.kind === 'macvlan') {
    const fallback = docker.kind === 'macvlan' ? docker : null;
    return { kind: 'macvlan', parent: lower?.name ?? fallback?.parent ?? null, mode: oneOf(MACVLAN_MODES, lower?.mode) ?? fallback?.mode ?? null };
  }
  if (iface.kind === 'ipvlan') {
    const fallback = docker.kind === 'ipvlan' ? docker : null;
    return {
      kind: 'ipvlan',
      parent: lower?.name ?? fallback?.parent ?? null,
      mode: oneOf(IPVLAN_MODES, lower?.mode) ?? fallback?.mode ?? null,
      flag: oneOf(IPVLAN_FLAGS, lower?.flag) ?? fallback?.flag ?? null,
    };
  }
  return { kind: 'none' };
}

/** A container in another's namespace is attached as that namespace is, through its owner. */
export function sharedFrom(owner: { name: string } | null, own: OwnAttachment): Attachment {
  return owner ? { kind: 'container-netns', owner: owner.name, via: own } : own;
}

/** The namespace's own attachment: through a container:X namespace, X's interface's. */
export const ownAttachment = (a: Attachment): OwnAttachment => (a.kind === 'container-netns' ? a.via : a);

/** The bridge port under an attachment (also through another container's namespace), or null: the walker's view. */
export function bridgePortOf(a: Attachment): { bridge: string; hostVeth: string | null } | null {
  const own = ownAttachment(a);
  return own.kind === 'bridge-port' ? { bridge: own.bridge, hostVeth: own.hostVeth } : null;
}

/** The overlay port under an attachment (also through another container's namespace), or null. */
export function overlayPortOf(a: Attachment): Extract<OwnAttachment, { kind: 'overlay-port' }> | null {
  const own = ownAttachment(a);
  return own.kind === 'overlay-port' ? own : null;
}

/** The host end of a bridge port's veth (null: not a bridge port, or not read). */
export function hostVethOf(a: Attachment): string | null {
  return bridgePortOf(a)?.hostVeth ?? null;
}

/** What of an attachment tells two endpoints apart for a walk: its kind, bridge or parent, and mode (the veth aside). */
export function attachmentKey(a: Attachment): string {
  const own = ownAttachment(a);
  switch (own.kind) {
    case 'bridge-port':
      return `bridge-port:${own.bridge}`;
    case 'macvlan':
      return `macvlan:${own.parent ?? '?'}:${own.mode ?? '?'}`;
    case 'ipvlan':
      return `ipvlan:${own.parent ?? '?'}:${own.mode ?? '?'}:${own.flag ?? '?'}`;
    case 'overlay-port':
      return `overlay:${own.networkId ?? own.namespace ?? '?'}`;
    default:
      return own.kind;
  }
}
