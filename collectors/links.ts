// Collector: links of the host namespace (bridges, ports, veths) and each container's interfaces mapped to its host veth and bridge.
import type { Collector } from './collector.js';
import { CollectorError } from './collector.js';
import { firstLine } from '../host/exec.js';
import { parseIpAddr } from './iproute-json.js';
import { sandboxProblem } from './sandboxes.js';
import type { Interface, SandboxInterface, SandboxLinks } from '../snapshot/host-snapshot.js';

const IP_ADDR = ['-j', '-d', 'addr', 'show'];

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
      };
    });
}

export const linksCollector: Collector<'links'> = {
  name: 'links',
  async collect(ctx) {
    const hostPromise = ctx.exec('ip', IP_ADDR, { timeoutMs: ctx.timeoutMs });
    const errors: { subject?: string; message: string; hint: string }[] = [];
    const readings = await ctx.sandboxes().catch((error: unknown) => {
      const e = error as { message?: string; hint?: string };
      errors.push({ subject: 'containers', message: `container interfaces not read: ${e.message}`, hint: e.hint ?? 'make the Docker API reachable' });
      return [];
    });
    const host = await hostPromise;
    if (host.exitCode !== 0) throw new CollectorError(`ip ${IP_ADDR.join(' ')} failed: ${firstLine(host.stderr)}`, 'check that iproute2 works here (ip addr)');
    const interfaces = parseIpAddr(host.stdout);
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
