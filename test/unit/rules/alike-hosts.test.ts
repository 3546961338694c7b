// Hosts built alike: where the fleet is, one pair of hosts must count exactly what every pair counts (walked one by
// one); where it is not, netdiag must say so, and these cases show the one-pair answer would have been wrong.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticHost } from '../../../bench/synthetic.js';
import { AlikeFleet } from '../../../rules/alike/alike-hosts.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { countPairs } from '../../../rules/matrix/matrix.js';
import { buildWorld } from '../../../rules/model/build.js';
import { planRoutes } from '../../../rules/plan/plan-routes.js';
import type { PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';

const ICMP = { proto: 'icmp', port: null } as const;
const cross = (a: { host: unknown }, b: { host: unknown }) => a.host !== b.host;
const stepsOf = (plan: ReturnType<typeof planRoutes>) => plan.hosts.flatMap((h) => h.steps);

/** Every cross-host pair walked in the whole fleet. */
const walked = (fleet: HostSnapshot[], steps: PlanStep[]) => countPairs(buildWorld(applySteps(fleet, steps)), ICMP, cross).counts;

/** What the first two hosts alone would say for the fleet, whether or not it is alike. */
function onePair(fleet: HostSnapshot[], steps: PlanStep[]) {
  const two = fleet.slice(0, 2);
  const names = new Set(two.map((s) => s.name));
  const own = steps.filter((s) => names.has(s.host));
  const scale = (fleet.length * (fleet.length - 1)) / 2;
  const c = countPairs(buildWorld(applySteps(two, own)), ICMP, cross).counts;
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v * scale]));
}

const synthetic = (n: number, perNetwork = 2) => Array.from({ length: n }, (_, i) => syntheticHost(2, perNetwork, `h${i}`, { lan: `10.99.0.${i + 1}`, firstSubnet: i * 2 }));

/** A rule put at the top of a chain on every host (text per host). */
function withRule(fleet: HostSnapshot[], chain: string, text: (s: HostSnapshot, i: number) => string, table = 'filter'): HostSnapshot[] {
  return fleet.map((s, i) => {
    const c = structuredClone(s);
    const ch = c.firewall!.tables.find((t) => t.name === table)!.chains.find((x) => x.name === chain)!;
    ch.rules.unshift({ index: 1, text: text(c, i), packets: 0, bytes: 0 });
    ch.rules.forEach((r, k) => (r.index = k + 1));
    return c;
  });
}

/**
 * The captured seed host as host i of a fleet: its user network renumbered into a /16 of its own, a LAN interface,
 * the host ends of its veths with link-local addresses of their own (the kernel derives them from random MACs), and
 * what Docker and the kernel make up afresh on every host: container and network IDs (and the bridge names and
 * aliases made from them), veth names, MACs, sandbox paths, counters.
 */
function seedClone(i: number, ownLinkLocals = true): HostSnapshot {
  let text = readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8').replace(/172\.18\.(\d+)\.(\d+)/g, `10.${100 + i}.$1.$2`);
  const original = parseSnapshot(JSON.parse(text));
  const fresh = (old: string) => createHash('sha256').update(`${i}:${old}`).digest('hex').slice(0, old.length);
  for (const iface of ownLinkLocals ? original.links!.interfaces : []) {
    for (const a of iface.addresses) if (iface.kind === 'veth' && a.local.startsWith('fe80:')) text = text.replaceAll(a.local, a.local.replace(/:[0-9a-f]{1,4}$/, `:${(i + 1).toString(16)}`));
  }
  for (const id of [...original.docker!.containers.map((c) => c.id), ...original.docker!.networks.map((n) => n.id)]) {
    const to = fresh(id);
    text = text.replaceAll(id, to).replaceAll(id.slice(0, 12), to.slice(0, 12));
  }
  for (const veth of original.links!.interfaces.filter((x) => x.kind === 'veth')) text = text.replaceAll(`"${veth.name}"`, `"veth${fresh(veth.name).slice(0, 7)}"`).replaceAll(` ${veth.name} `, ` veth${fresh(veth.name).slice(0, 7)} `);
  for (const mac of new Set(text.match(/\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/g) ?? [])) text = text.replaceAll(mac, `02:${fresh(mac).slice(0, 10).replace(/(..)(?=.)/g, '$1:')}`);
  for (const key of new Set(text.match(/\/var\/run\/docker\/netns\/[0-9a-f]+/g) ?? [])) text = text.replaceAll(key, `/var/run/docker/netns/${fresh(key).slice(0, 12)}`);
  const s = parseSnapshot(JSON.parse(text));
  s.name = `seed${i}`;
  for (const t of s.firewall!.tables) for (const c of t.chains) for (const r of c.rules) r.packets = (r.packets + i * 7) % 1000;
  const lan = `10.50.0.${i + 1}`;
  s.links!.interfaces.push({ ifindex: 99, name: 'eth0', kind: null, master: null, portState: null, mtu: 1500, mac: null, up: true, lowerUp: true, peer: null, lower: null, addresses: [{ family: 'inet', local: lan, prefixLen: 16, scope: 'global' }] });
  const route = { type: 'unicast', family: 'inet' as const, dev: 'eth0', gateway: null, prefsrc: lan, nexthops: [], flags: [], metric: 0 };
  s.routes!.routes.push({ ...route, table: 'main', dst: '10.50.0.0/16', protocol: 'kernel', scope: 'link' }, { ...route, table: 'local', type: 'local', dst: `${lan}/32`, protocol: 'kernel', scope: 'host' });
  return s;
}

describe('fleets built alike: one pair counts what every pair walked counts', () => {
  const cases: [string, HostSnapshot[]][] = [
    ['five synthetic hosts', synthetic(5)],
    ['four synthetic hosts, each dropping its own first container in DOCKER-USER', withRule(synthetic(4), 'DOCKER-USER', (s) => `-A DOCKER-USER -s ${s.docker!.containers[0]!.endpoints[0]!.ip}/32 -j DROP`)],
    ['four synthetic hosts with forwarding off', synthetic(4).map((s) => ({ ...s, sysctls: { ...s.sysctls!, values: { ...s.sysctls!.values, 'net.ipv4.ip_forward': '0' } } }))],
    ['four synthetic hosts whose FORWARD drops ICMP to 172.16.0.0/12 (every host\'s networks alike)', withRule(synthetic(4), 'FORWARD', () => '-A FORWARD -d 172.16.0.0/12 -p icmp -j DROP')],
    ['four copies of the captured seed host, renumbered, with their own IDs, veths and MACs (docker0 the same on each)', [0, 1, 2, 3].map((i) => seedClone(i))],
    ['two kinds of host: three with 2 networks × 2 containers, three with 2 × 3', [...synthetic(3), ...[3, 4, 5].map((i) => syntheticHost(2, 3, `h${i}`, { lan: `10.99.0.${i + 1}`, firstSubnet: i * 2 }))]],
    ['two kinds interleaved, one of them a single host with a rule of its own', withRule(synthetic(5), 'DOCKER-USER', (s, i) => (i === 2 ? `-A DOCKER-USER -d ${s.docker!.containers[1]!.endpoints[0]!.ip}/32 -j DROP` : '-A DOCKER-USER -j RETURN'))],
  ];
  for (const [name, fleet] of cases) {
    it(name, () => {
      const plan = planRoutes(fleet);
      const steps = stepsOf(plan);
      const alike = new AlikeFleet(fleet);
      expect(alike.with(steps)).toMatchObject({ alike: true });
      expect(alike.with([])).toMatchObject({ alike: true });
      expect(plan.predicted.before).toEqual(walked(fleet, []));
      expect(plan.predicted.after).toEqual(walked(fleet, steps));
      expect(plan.predicted.crossHostPairs).toBe(Object.values(plan.predicted.after).reduce((a, b) => a + b, 0));
      expect(plan.notes.at(-1)).toMatch(new RegExp(`^The prediction walked ${fleet[0]!.name} and ${fleet[1]!.name}(; \\S+ and \\S+)* only: the ${fleet.length} hosts are (built alike|a few kinds of host)`));
    });
  }

  it('the cases are not all one answer: the rules above change what is reachable', () => {
    const answers = cases.map(([, fleet]) => JSON.stringify(planRoutes(fleet).predicted));
    expect(new Set(answers).size).toBeGreaterThanOrEqual(5);
  });
});

describe('fleets that are not alike are walked pair by pair', () => {
  const cases: [string, () => { fleet: HostSnapshot[]; steps: PlanStep[] }, RegExp, boolean][] = [
    // The same rule text on every host, but 172.16.0.0/23 holds only h0's networks: every host drops traffic to h0.
    ['a rule on every host for a network that holds one host\'s containers', () => {
      const fleet = withRule(synthetic(4), 'DOCKER-USER', () => '-A DOCKER-USER -d 172.16.0.0/23 -j DROP');
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /holds h\d's addresses and h0's differently/, true],
    ['a plan missing one host\'s accept for one peer', () => {
      const fleet = synthetic(4);
      const steps = stepsOf(planRoutes(fleet));
      const drop = steps.findIndex((s) => s.host === 'h2' && s.kind === 'iptables-insert' && s.rule.includes('10.99.0.1/32'));
      return { fleet, steps: steps.filter((_, k) => k !== drop) };
    }, /h2 does not treat every other host of a kind the same way/, true],
    ['a host that already names a peer\'s address', () => {
      const fleet = withRule(synthetic(4), 'DOCKER-USER', (_, i) => (i === 3 ? '-A DOCKER-USER -s 10.99.0.1/32 -j DROP' : '-A DOCKER-USER -j RETURN'));
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /h3 already names h0's addresses/, false],
    ['a rule on an address range', () => {
      const fleet = withRule(synthetic(4), 'DOCKER-USER', () => '-A DOCKER-USER -m iprange --dst-range 172.16.0.2-172.16.0.3 -j DROP');
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /address ranges/, true],
    ['four hosts, each of its own kind', () => {
      const fleet = [1, 2, 3, 4].map((n, i) => syntheticHost(2, n, `h${i}`, { lan: `10.99.0.${i + 1}`, firstSubnet: i * 2 }));
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /4 kinds of host among 4: too few are alike/, false],
    ['a NAT target range', () => {
      const fleet = withRule(synthetic(4), 'PREROUTING', () => '-A PREROUTING -d 10.200.0.1/32 -p tcp -j DNAT --to-destination 172.16.0.2-172.16.0.3', 'nat');
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /address range/, false],
    // Who answers on the LAN for an address every host holds depends on the order of the hosts.
    ['copies of the seed host whose veths keep the same link-local addresses', () => {
      const fleet = [0, 1, 2].map((i) => seedClone(i, false));
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /every host holds fe80::/, false],
    ['hosts with overlapping subnets', () => {
      const fleet = synthetic(3).concat(syntheticHost(2, 2, 'h3', { lan: '10.99.0.4', firstSubnet: 0 }));
      return { fleet, steps: stepsOf(planRoutes(fleet)) };
    }, /overlapping/, true],
  ];
  for (const [name, make, why, differs] of cases) {
    it(name, () => {
      const { fleet, steps } = make();
      const a = new AlikeFleet(fleet).with(steps);
      expect(a.alike).toBe(false);
      expect(a.alike ? '' : a.why).toMatch(why);
      // Where the one-pair answer differs from walking every pair, the check is what kept the plan honest.
      if (differs) expect(onePair(fleet, steps)).not.toEqual(walked(fleet, steps));
    });
  }

  it('a plan for such a fleet still predicts every pair walked', () => {
    const fleet = withRule(synthetic(4), 'DOCKER-USER', () => '-A DOCKER-USER -d 172.16.0.0/23 -j DROP');
    const plan = planRoutes(fleet);
    expect(plan.predicted.after).toEqual(walked(fleet, stepsOf(plan)));
    // Every pair with h0 at either end: towards h0 the drop, from h0 the reply (DOCKER-USER runs before ESTABLISHED).
    expect(plan.predicted.after.blocked).toBe(2 * 3 * 4 * 4);
    expect(plan.notes.join('\n')).not.toMatch(/walked .* only/);
  });
});
