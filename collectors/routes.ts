// Collector: routes of every table and the policy rules, on the host and inside each container's namespace.
import type { Collector, CollectContext } from './collector.js';
import { CollectorError } from './collector.js';
import { firstLine } from '../host/exec.js';
import type { CommandResult } from '../host/exec.js';
import { parseIpNeighbours, parseIpRoutes, parseIpRules } from './iproute-json.js';
import { sandboxProblem } from './sandboxes.js';
import type { Neighbour, PolicyRule, Route, SandboxRoutes } from '../snapshot/host-snapshot.js';

import { IP_NEIGH as NEIGH, IP_ROUTES as ROUTES, IP_ROUTES6 as ROUTES6, IP_RULES as RULES, IP_RULES6 as RULES6 } from './first-reads.js';

async function readRouting(run: (args: readonly string[]) => Promise<CommandResult>, ipv6: Promise<boolean>): Promise<{ routes: Route[]; rules: PolicyRule[]; neighbours: Neighbour[] }> {
  // IPv6 and the neighbour table are best-effort: a host without them must still report its IPv4 routes.
  const optional = (args: readonly string[]) => run(args).catch(() => null);
  // IPv6 only when the collection wants it (a question between IPv4-only containers does not).
  const ifIpv6 = (args: readonly string[]) => ipv6.then((yes) => (yes ? optional(args) : null));
  const [r, p, r6, p6, n] = await Promise.all([run(ROUTES), run(RULES), ifIpv6(ROUTES6), ifIpv6(RULES6), optional(NEIGH)]);
  // A failing `ip -j route` leaves a truncated "[" on stdout: check the exit code before parsing.
  for (const [x, args] of [[r, ROUTES], [p, RULES]] as const) {
    if (x.exitCode !== 0) throw new CollectorError(`ip ${args.join(' ')} failed: ${firstLine(x.stderr)}`, 'check that iproute2 works here (ip route)');
  }
  // A kernel without IPv6 (ipv6.disable=1) answers -6 with an error: then there is simply no IPv6 to route.
  const v6 = r6 !== null && p6 !== null && r6.exitCode === 0 && p6.exitCode === 0;
  return {
    routes: [...parseIpRoutes(r.stdout, 'inet'), ...(v6 ? parseIpRoutes(r6.stdout, 'inet6') : [])],
    rules: [...parseIpRules(p.stdout), ...(v6 ? parseIpRules(p6.stdout, 'inet6') : [])],
    neighbours: n !== null && n.exitCode === 0 ? parseIpNeighbours(n.stdout) : [],
  };
}

export const routesCollector: Collector<'routes'> = {
  name: 'routes',
  async collect(ctx: CollectContext) {
    const hostPromise = readRouting((args) => ctx.exec('ip', args, { timeoutMs: ctx.timeoutMs }), ctx.needsIpv6?.() ?? Promise.resolve(true));
    // Thrown where it is awaited below, not left unhandled while the sandboxes are read (see links.ts).
    hostPromise.catch(() => undefined);
    const errors: { subject?: string; message: string; hint: string }[] = [];
    const readings = await ctx.sandboxes().catch((error: unknown) => {
      const e = error as { message?: string; hint?: string };
      errors.push({ subject: 'containers', message: `container routes not read: ${e.message}`, hint: e.hint ?? 'make the Docker API reachable' });
      return [];
    });
    const sandboxes: SandboxRoutes[] = [];
    for (const { sandbox, result } of readings) {
      try {
        if ('error' in result) throw result.error;
        const v6 = { routes: result.routes6 === null ? [] : parseIpRoutes(result.routes6, 'inet6'), rules: result.rules6 === null ? [] : parseIpRules(result.rules6, 'inet6') };
        const neighbours = [...parseIpNeighbours(result.neigh), ...(result.neigh6 === null ? [] : parseIpNeighbours(result.neigh6))];
        sandboxes.push({ containerId: sandbox.containerId, routes: [...parseIpRoutes(result.routes, 'inet'), ...v6.routes], rules: [...parseIpRules(result.rules), ...v6.rules], neighbours });
      } catch (error) {
        errors.push(sandboxProblem(sandbox, error));
      }
    }
    return { data: { ...(await hostPromise), sandboxes }, errors };
  },
};
