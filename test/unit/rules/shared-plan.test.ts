// A routes plan written as one shared table (plan@2) must give every host exactly the steps, in the order, the
// per-host form (plan@1) gives it, the same prerequisites, notes and prediction; apply reads either; bad files are
// one line. On the captured two-host topology and on fleets of synthetic hosts (alike, not alike, overlapping).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticHost } from '../../../bench/synthetic.js';
import { parsePlan } from '../../../cli/commands/plan.js';
import { planRoutes, SHARED_ABOVE } from '../../../rules/plan/plan-routes.js';
import type { Plan, PlanFile, SharedPlan } from '../../../rules/plan/plan-routes.js';
import { countHost, expandPlan } from '../../../rules/plan/shared-plan.js';
import { PlanFile as PlanFileSchema } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(f, 'utf8')));
const MOBY = join(CAPTURED, 'moby-topology');
const synthetic = (n: number, perNetwork = 2, from = 0) => Array.from({ length: n }, (_, i) => syntheticHost(2, perNetwork, `h${i + from}`, { lan: `10.99.0.${i + from + 1}`, firstSubnet: (i + from) * 2 }));
const edit = (fleet: HostSnapshot[], change: (s: HostSnapshot, i: number) => void) =>
  fleet.map((s, i) => {
    const c = structuredClone(s);
    change(c, i);
    return c;
  });

/** The per-host plan with the shared plan's ID: the only thing the two shapes may differ in is the ID they hash. */
function renamed(plan: Plan, id: string): Plan {
  const from = `netdiag:${plan.id}`;
  return { ...plan, id, hosts: plan.hosts.map((h) => ({ ...h, steps: h.steps.map((s) => (s.kind === 'iptables-insert' ? { ...s, rule: s.rule.map((w) => (w === from ? `netdiag:${id}` : w)) } : s)) })) };
}

const fleets: [string, () => HostSnapshot[], boolean][] = [
  ['the captured moby-topology hosts (routes already in place, FORWARD policy DROP)', () => [load(join(MOBY, 'docker.json')), load(join(MOBY, 'peer.json'))], true],
  ['five synthetic hosts built alike', () => synthetic(5), true],
  ['hosts of four kinds (1 to 4 containers a network)', () => [1, 2, 3, 4].map((n, i) => syntheticHost(2, n, `h${i}`, { lan: `10.99.0.${i + 1}`, firstSubnet: i * 2 })), true],
  ['ip_forward off on one host (a step of its own)', () => edit(synthetic(5), (s, i) => void (i === 2 && (s.sysctls!.values['net.ipv4.ip_forward'] = '0'))), true],
  ['a network Docker does not masquerade (its subnet is the source)', () => edit(synthetic(4), (s) => void (s.docker!.networks[1]!.masquerade = false)), true],
  ['a host with a route to a peer already', () => edit(synthetic(4), (s, i) => void (i === 1 && s.routes!.routes.push({ ...s.routes!.routes[0]!, dst: '172.16.0.0/24', gateway: '10.99.0.1', dev: 'eth0', prefsrc: null, scope: 'global', protocol: 'static' }))), true],
  ['overlapping subnets (the later host must move first)', () => synthetic(3).concat(syntheticHost(2, 2, 'h3', { lan: '10.99.0.4', firstSubnet: 1 })), true],
  ['a rule on every host for a network that holds one host\'s containers (not alike)', () => edit(synthetic(4), (s) => {
    const ch = s.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((x) => x.name === 'DOCKER-USER')!;
    ch.rules.unshift({ index: 1, text: '-A DOCKER-USER -d 172.16.0.0/23 -j DROP', packets: 0, bytes: 0 });
    ch.rules.forEach((r, k) => (r.index = k + 1));
  }), true],
  ['hosts on two LANs (written host by host)', () => synthetic(2).concat(syntheticHost(2, 2, 'h2', { lan: '10.98.0.3', firstSubnet: 4 })), false],
];

describe('plan routes as one shared table expands to the per-host plan, host by host', () => {
  for (const [name, make, shared] of fleets) {
    it(name, () => {
      const fleet = make();
      const agents = new Map(fleet.map((s, i) => [s.name, `http://10.99.0.${i + 1}:9700`]));
      const perHost = planRoutes(fleet, agents, { shape: 'per-host' });
      const table = planRoutes(fleet, agents, { shape: 'shared' });
      expect(perHost.schema).toBe('netdiag/plan@1');
      expect(table.schema).toBe(shared ? 'netdiag/plan@2' : 'netdiag/plan@1');
      expect(PlanFileSchema.safeParse(JSON.parse(JSON.stringify(table))).success).toBe(true);
      const expanded = expandPlan(table);
      expect(expanded).toEqual(renamed(perHost as Plan, table.id));
      expect(expanded.hosts.some((h) => h.steps.length > 0)).toBe(true);
      // What apply reads from the file is the per-host plan, each host's steps exactly as before.
      expect(parsePlan(JSON.parse(JSON.stringify(table)), 'plan.json')).toEqual(expanded);
      if (table.schema === 'netdiag/plan@2') table.hosts.forEach((_, i) => expect(countHost(table, i, table.hosts.reduce((k, p) => k + p.reach.sources.length, 0))).toBe(expanded.hosts[i]!.steps.length));
    });
  }

  it('the overlapping fleet\'s table says what the later host leaves out, both ways', () => {
    const table = planRoutes(synthetic(3).concat(syntheticHost(2, 2, 'h3', { lan: '10.99.0.4', firstSubnet: 1 })), new Map(), { shape: 'shared' }) as SharedPlan;
    // h3's networks sit on h0's second and h1's first: neither is routed from h3, nor accepted from it.
    expect(table.hosts[3]!.takes.skipRoutes).toEqual(['172.16.1.0/24', '172.16.2.0/24']);
    expect(table.hosts[0]!.takes.skipAccepts).toEqual([{ from: 'h3', dst: '172.16.1.0/24' }]);
    expect(table.hosts[1]!.takes.skipAccepts).toEqual([{ from: 'h3', dst: '172.16.2.0/24' }]);
    expect(table.hosts[3]!.reach.routes).toEqual([]);
    expect(table.prerequisites.map((p) => p.kind)).toEqual(['network-subnet', 'network-subnet']);
  });

  it('is the same plan when made again', () => {
    expect(planRoutes(synthetic(5), new Map(), { shape: 'shared' }).id).toBe(planRoutes(synthetic(5), new Map(), { shape: 'shared' }).id);
  });
});

describe('the shape is chosen by size', () => {
  // 50 hosts of two networks: 9,800 steps host by host; 51: 10,200.
  it(`host by host up to ${SHARED_ABOVE.toLocaleString('en')} steps, one shared table above`, () => {
    const small: PlanFile = planRoutes(synthetic(50));
    expect(small.schema).toBe('netdiag/plan@1');
    expect(small.hosts.reduce((k, h) => k + h.steps.length, 0)).toBe(9800);
    const large = planRoutes(synthetic(51));
    expect(large.schema).toBe('netdiag/plan@2');
    expect(expandPlan(large).hosts.reduce((k, h) => k + h.steps.length, 0)).toBe(10_200);
    // The prediction read the table as the per-host check reads the steps: one pair walked.
    expect(large.notes.join('\n')).toMatch(/walked h0 and h1 only/);
    expect(large.predicted).toEqual(planRoutes(synthetic(51), new Map(), { shape: 'per-host' }).predicted);
  });
});

describe('a shared plan file that is not one', () => {
  it('is one line naming the field', () => {
    const table = JSON.parse(JSON.stringify(planRoutes(synthetic(3), new Map(), { shape: 'shared' })));
    delete table.hosts[1].takes.skipRoutes;
    expect(() => parsePlan(table, 'plan.json')).toThrow(/^plan\.json is not a netdiag plan: hosts\.1\.takes\.skipRoutes: Invalid input: expected array, received undefined$/);
    expect(() => parsePlan({ ...table, schema: 'netdiag/plan@3' }, 'plan.json')).toThrow(/^plan\.json is not a netdiag plan: schema: .*netdiag\/plan@2/);
  });
});
