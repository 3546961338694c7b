// Collector: the sockets that accept traffic, in the host's namespace and in every container's: TCP in LISTEN and
// bound UDP, with the process where it can be seen. The last hop of a TCP or UDP question is one of these.
import type { Collector, CollectContext } from './collector.js';
import { byCodeUnits, CollectorError, mapLimit } from './collector.js';
import { parseInspect } from './docker-api.js';
import { firstLine } from '../host/exec.js';
import { parseProcNet, parseSs } from './proc-net.js';
import type { ListeningSocket, SocketsPart } from '../snapshot/host-snapshot.js';
import { SS_WITH_PROCESSES, SS_WITHOUT_PROCESSES } from './first-reads.js';

const FILES: [string, 'tcp' | 'udp', 'inet' | 'inet6'][] = [
  ['tcp', 'tcp', 'inet'],
  ['tcp6', 'tcp', 'inet6'],
  ['udp', 'udp', 'inet'],
  ['udp6', 'udp', 'inet6'],
];

/**
 * A namespace's sockets through one of its tasks: /proc/PID/net shows the network namespace of PID. Processes are
 * named where PID itself holds the socket (a container's main process usually serves; others are not searched).
 */
async function throughTask(ctx: CollectContext, pid: number): Promise<ListeningSocket[] | null> {
  const read = await Promise.all(FILES.map(async ([file, proto, family]) => ({ text: await ctx.readFile(`/proc/${pid}/net/${file}`), proto, family })));
  if (read.every((r) => r.text === null)) return null;
  const sockets = read.flatMap((r) => (r.text === null ? [] : parseProcNet(r.text, r.proto, r.family)));
  const comm = (await ctx.readFile(`/proc/${pid}/comm`))?.trim() ?? null;
  const fds = (await ctx.listDir(`/proc/${pid}/fd`)) ?? [];
  const owned = new Set((await Promise.all(fds.map((fd) => ctx.readLink(`/proc/${pid}/fd/${fd}`)))).map((l) => /^socket:\[(\d+)\]$/.exec(l ?? '')?.[1]).filter(Boolean).map(Number));
  return sockets.map(({ inode, ...s }) => ({ ...s, process: comm && owned.has(inode) ? { name: comm, pid } : null }));
}

/** The host's namespace: ss names every process (unless told not to); without ss, /proc/self/net still says what listens. */
async function hostSockets(ctx: CollectContext): Promise<ListeningSocket[]> {
  try {
    const r = await ctx.exec('ss', ctx.socketProcesses === false ? SS_WITHOUT_PROCESSES : SS_WITH_PROCESSES, { timeoutMs: ctx.timeoutMs });
    if (r.exitCode === 0) return parseSs(r.stdout);
  } catch {
    // ss missing: fall through to /proc.
  }
  const read = await Promise.all(FILES.map(async ([file, proto, family]) => ({ text: await ctx.readFile(`/proc/net/${file}`), proto, family })));
  if (read.every((r) => r.text === null)) throw new CollectorError('neither ss nor /proc/net could be read', 'install iproute2 (ss), and run netdiag on Linux with /proc mounted');
  return read.flatMap((r) => (r.text === null ? [] : parseProcNet(r.text, r.proto, r.family).map(({ inode: _inode, ...s }) => s)));
}

export const socketsCollector: Collector<'sockets'> = {
  name: 'sockets',
  async collect(ctx) {
    const errors: { subject?: string; message: string; hint: string }[] = [];
    const host = await hostSockets(ctx);
    // Containers that own a namespace: container:X side-cars and host-mode containers share one already counted.
    const owners = (await ctx.containers()).flatMap((c) => {
      const r = parseInspect(c.raw);
      if (!r.success) return [];
      const { State, HostConfig, Name } = r.data;
      if (State.Status !== 'running' || HostConfig.NetworkMode === 'host' || HostConfig.NetworkMode.startsWith('container:')) return [];
      return [{ id: c.id, name: Name.replace(/^\//, ''), pid: State.Pid }];
    });
    // A question's names and sockets are walked in its own containers' namespaces only (see dns.ts).
    const only = (await ctx.namesWalkedIn?.()) ?? null;
    const sandboxes: SocketsPart['sandboxes'] = [];
    await mapLimit(owners.filter((o) => only === null || only.has(o.id)), 32, async (o) => {
      try {
        const sockets = o.pid > 0 ? await throughTask(ctx, o.pid) : null;
        if (sockets === null) {
          errors.push({ subject: o.name, message: `container ${o.name} stopped during collection (no /proc/${o.pid}/net)`, hint: 'collect again; the container is no longer running' });
          return;
        }
        sandboxes.push({ containerId: o.id, sockets });
      } catch (error) {
        errors.push({ subject: o.name, message: `reading container ${o.name}'s sockets: ${firstLine((error as Error).message)}`, hint: 'run netdiag as root, with the host\'s /proc (PID namespace)' });
      }
    });
    sandboxes.sort((a, b) => byCodeUnits(a.containerId, b.containerId));
    return { data: { host, sandboxes }, errors };
  },
};
