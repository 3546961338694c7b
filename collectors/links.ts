// Collector: links of the host namespace (bridges, ports, veths) and each container's interfaces mapped to its host veth
// and bridge, or, for a macvlan or ipvlan child, to its parent in the host's namespace.
import { IP_ADDR } from './first-reads.js';
import type { Collector } from './collector.js';
import { CollectorError } from './collector.js';
import { firstLine } from '../host/exec.js';
import { parseIpAddr } from './iproute-json.js';
import { parseProcNetWireless } from './wireless.js';
import { sandboxProblem } from './sandboxes.js';
import type { Interface, LowerLink, SandboxInterface, SandboxLinks } from '../snapshot/host-snapshot.js';


/**
 * Map a sandbox's veth to the host side. Inside the sandbox, the veth's link_index is the host-side ifindex, which is
 * unique in the host namespace; names and MACs are not trustworthy (a bridge takes its lowest port's MAC).
 */
export function mapSandboxInterfaces(host: Interface[], inside: Interface[]): SandboxInterface[] {
  const byIndex = new Map(host.map((i) => [i.ifindex, i]));
  return inside
    .filter((i) => i.name !== 'lo')
    .map((i) => {
      const peer = i.kind === 'veth' && i.peer?.ifindex != null && i.peer.netnsId !== null ? byIndex.get(i.peer.ifindex) : undefined;
      // The host side must point back at this interface, from another namespace.
      const confirmed = peer && peer.peer?.ifindex === i.ifindex && peer.peer.netnsId !== null ? peer : undefined;
      return {
        name: i.name,
        ifindex: i.ifindex,
        kind: i.kind,
        mac: i.mac,
        mtu: i.mtu,
        up: i.up,
        addresses: i.addresses,
        hostVeth: confirmed ? { ifindex: confirmed.ifindex, name: confirmed.name } : null,
        bridge: confirmed?.master ?? null,
        lower: i.lower ? { ...i.lower, name: parentInHost(byIndex, i.lower) } : null,
      };
    });
}

/**
 * A macvlan/ipvlan child's parent, named as the host's namespace names it. Docker creates the child on the parent in
 * its own (the host's) namespace and moves it into the sandbox, so its link_index is an ifindex of the host's. Unlike
 * a veth, the parent does not point back: the ifindex is all there is. A parent inside the sandbox itself (nsid
 * absent) is not the host's, and is left unnamed.
 */
function parentInHost(hostByIndex: Map<number, Interface>, lower: LowerLink): string | null {
  if (lower.netnsId === null || lower.ifindex === null) return null;
  return hostByIndex.get(lower.ifindex)?.name ?? null;
}

export const linksCollector: Collector<'links'> = {
  name: 'links',
  async collect(ctx) {
    const hostPromise = ctx.exec('ip', IP_ADDR, { timeoutMs: ctx.timeoutMs });
    // Read while the sandboxes are; a failure (ip not installed) is thrown where it is awaited, not left unhandled
    // meanwhile (Node ends the process on an unhandled rejection, with a stack trace).
    hostPromise.catch(() => undefined);
    const errors: { subject?: string; message: string; hint: string }[] = [];
    const readings = await ctx.sandboxes().catch((error: unknown) => {
      const e = error as { message?: string; hint?: string };
      errors.push({ subject: 'containers', message: `container interfaces not read: ${e.message}`, hint: e.hint ?? 'make the Docker API reachable' });
      return [];
    });
    const host = await hostPromise;
    if (host.exitCode !== 0) throw new CollectorError(`ip ${IP_ADDR.join(' ')} failed: ${firstLine(host.stderr)}`, 'check that iproute2 works here (ip addr)');
    const interfaces = parseIpAddr(host.stdout);
    // Wireless is known only where the kernel has wireless extensions: without /proc/net/wireless it stays unknown.
    const wireless = await ctx.readFile('/proc/net/wireless').catch(() => null);
    if (wireless !== null) {
      try {
        const names = new Set(parseProcNetWireless(wireless));
        for (const i of interfaces) i.wireless = names.has(i.name);
      } catch (error) {
        errors.push({ subject: '/proc/net/wireless', message: (error as Error).message, hint: 'which interfaces are wireless is not known: the wireless-parent check is skipped' });
      }
    }
    const sandboxes: SandboxLinks[] = [];
    for (const { sandbox, result } of readings) {
      try {
        if ('error' in result) throw result.error;
        sandboxes.push({ containerId: sandbox.containerId, sandboxKey: sandbox.sandboxKey, interfaces: mapSandboxInterfaces(interfaces, parseIpAddr(result.addr)) });
      } catch (error) {
        errors.push(sandboxProblem(sandbox, error));
      }
    }
    return { data: { interfaces, sandboxes }, errors };
  },
};
