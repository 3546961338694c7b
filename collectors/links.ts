// Collector: links of the host namespace (bridges, ports, veths) and each container's interfaces mapped to its host veth and bridge.
import type { Collector, CollectContext } from './collector.js';
import { CollectorError, mapLimit } from './collector.js';
import { firstLine } from './exec.js';
import { parseIpAddr } from './iproute-json.js';
import { execInSandbox, ownSandboxes, sandboxProblem } from './sandboxes.js';
import type { Sandbox } from './sandboxes.js';
import type { Interface, SandboxInterface, SandboxLinks } from './snapshot.js';

const IP_ADDR = ['-j', '-d', 'addr', 'show'];

export async function readIpAddr(ctx: CollectContext, run: (args: string[]) => Promise<{ stdout: string; stderr: string; exitCode: number }>, where: string): Promise<Interface[]> {
  const r = await run(IP_ADDR);
  if (r.exitCode !== 0) throw new CollectorError(`ip ${IP_ADDR.join(' ')} failed ${where}: ${firstLine(r.stderr)}`, 'check that iproute2 works here (ip addr)');
  return parseIpAddr(r.stdout);
}

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
    const hostPromise = readIpAddr(ctx, (args) => ctx.exec('ip', args, { timeoutMs: ctx.timeoutMs }), 'in the host namespace');
    const errors: { subject?: string; message: string; hint: string }[] = [];
    let sandboxes: Sandbox[] = [];
    try {
      sandboxes = await ownSandboxes(ctx);
    } catch (error) {
      const e = error as { message?: string; hint?: string };
      errors.push({ subject: 'containers', message: `container interfaces not read: ${e.message}`, hint: e.hint ?? 'make the Docker API reachable' });
    }
    const insides = await mapLimit(sandboxes, 8, async (sb) => {
      try {
        return { sb, interfaces: await readIpAddr(ctx, (args) => execInSandbox(ctx, sb, 'ip', args), `in container ${sb.name}`) };
      } catch (error) {
        errors.push(sandboxProblem(sb, error));
        return null;
      }
    });
    const interfaces = await hostPromise;
    const mapped: SandboxLinks[] = insides
      .filter((x) => x !== null)
      .map(({ sb, interfaces: inside }) => ({ containerId: sb.containerId, sandboxKey: sb.sandboxKey, interfaces: mapSandboxInterfaces(interfaces, inside) }));
    return { data: { interfaces, sandboxes: mapped }, errors };
  },
};
