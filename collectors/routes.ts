// Collector: routes of every table and the policy rules, on the host and inside each container's namespace.
import type { Collector, CollectContext } from './collector.js';
import { CollectorError } from './collector.js';
import { firstLine } from '../host/exec.js';
import type { CommandResult } from '../host/exec.js';
import { parseIpRoutes, parseIpRules } from './iproute-json.js';
import { sandboxProblem } from './sandboxes.js';
import type { PolicyRule, Route, SandboxRoutes } from '../snapshot/host-snapshot.js';

// IPv4 only: the reachability model is IPv4 (Docker's IPv6 is opt-in per network).
const ROUTES = ['-j', '-4', 'route', 'show', 'table', 'all'];
const RULES = ['-j', '-4', 'rule', 'show'];

async function readRouting(run: (args: string[]) => Promise<CommandResult>): Promise<{ routes: Route[]; rules: PolicyRule[] }> {
  const [r, p] = await Promise.all([run(ROUTES), run(RULES)]);
  // A failing `ip -j route` leaves a truncated "[" on stdout: check the exit code before parsing.
  if (r.exitCode !== 0) throw new CollectorError(`ip ${ROUTES.join(' ')} failed: ${firstLine(r.stderr)}`, 'check that iproute2 works here (ip route)');
  if (p.exitCode !== 0) throw new CollectorError(`ip ${RULES.join(' ')} failed: ${firstLine(p.stderr)}`, 'check that iproute2 works here (ip rule)');
  return { routes: parseIpRoutes(r.stdout, 'inet'), rules: parseIpRules(p.stdout) };
}

export const routesCollector: Collector<'routes'> = {
  name: 'routes',
  async collect(ctx: CollectContext) {
    const hostPromise = readRouting((args) => ctx.exec('ip', args, { timeoutMs: ctx.timeoutMs }));
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
        sandboxes.push({ containerId: sandbox.containerId, routes: parseIpRoutes(result.routes, 'inet'), rules: parseIpRules(result.rules) });
      } catch (error) {
        errors.push(sandboxProblem(sandbox, error));
      }
    }
    return { data: { ...(await hostPromise), sandboxes }, errors };
  },
};
