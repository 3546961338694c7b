// Issue 23, case 8: `plan routes` said "nothing to change" and then "apply with: …". The apply command is printed only
// when `netdiag apply` would apply something; otherwise what to do instead (captured two-host snapshots).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { applyHint } from '../../../cli/commands/plan.js';
import { planRoutes } from '../../../rules/plan/plan-routes.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const R = join(CAPTURED, 'reach');
const MOBY = join(CAPTURED, 'moby-topology');
const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(f, 'utf8')));

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const o = { out: '', err: '', isTTY: false, env, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  const code = await main(argv, o);
  return { code, out: o.out };
}

describe('plan routes: the apply hint only when there is something to apply', () => {
  it('h1 and h2 (overlapping subnets, nothing netdiag can change): no "apply with", the changes by hand first', async () => {
    const r = await run(['plan', 'routes', '--snapshot', join(R, 'h1.json'), '--snapshot', join(R, 'h2.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nothing to change/);
    expect(r.out).not.toMatch(/apply with/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('  nothing for netdiag to apply: make the changes above by hand, then plan again');
  });

  it('moby-topology from snapshots (steps, but no agent to apply through): how to apply it, not an apply that would be refused', async () => {
    const r = await run(['plan', 'routes', '--snapshot', join(MOBY, 'docker.json'), '--snapshot', join(MOBY, 'peer.json')]);
    expect(r.out).toMatch(/\$ iptables -w -I DOCKER-USER/);
    expect(r.out).not.toMatch(/apply with/);
    expect(r.out).toMatch(/to apply it through netdiag, plan from the hosts' agents \(--agent or --inventory\): docker, peer have no agent to apply through/);
  });

  it('moby-topology through agents: apply with, naming the --out file', () => {
    const plan = planRoutes([load(join(MOBY, 'docker.json')), load(join(MOBY, 'peer.json'))], new Map([['docker', 'http://10.66.0.1:9700'], ['peer', 'http://10.66.0.2:9700']]));
    expect(applyHint(plan, 'routes.json')).toEqual(['  apply with: netdiag apply routes.json']);
    expect(applyHint(plan, undefined)).toEqual(['  apply with: netdiag plan routes … --out plan.json && netdiag apply plan.json']);
  });

  it('a plan with no step and nothing by hand: nothing to apply', () => {
    const plan = planRoutes([load(join(MOBY, 'docker.json')), load(join(MOBY, 'peer.json'))]);
    const empty = { ...plan, hosts: plan.hosts.map((h) => ({ ...h, steps: [] })), prerequisites: [] };
    expect(applyHint(empty, undefined)).toEqual(['  nothing to apply: no host needs a change']);
  });
});

describe('apply: a plan with nothing to apply says so', () => {
  it('"nothing to apply", exit 0 — not "applied on  and verified" with no host named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-apply-'));
    const plan = planRoutes([load(join(MOBY, 'docker.json')), load(join(MOBY, 'peer.json'))], new Map([['docker', 'http://127.0.0.1:1'], ['peer', 'http://127.0.0.1:2']]));
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify({ ...plan, hosts: plan.hosts.map((h) => ({ ...h, steps: [] })) }));
    const r = await run(['apply', file, '--state-dir', dir], { NETDIAG_TOKEN: 'a-token-of-sufficient-length' });
    expect(r.out).toBe(`${plan.id}: nothing to apply: no host needs a change\n`);
    expect(r.code).toBe(0);
  });
});
