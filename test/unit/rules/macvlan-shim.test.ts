// The macvlan shim fix on real macvlan hosts (captured in the lab): its address (reserved or free in view), its name,
// its routes (the --ip-range, or a /32 per container), and its prediction against the shim a real host was given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepCommand } from '../../../rules/steps/command.js';
import { adviseFixes } from '../../../rules/changes/fixes.js';
import { macvlanShims, shimCandidate } from '../../../rules/changes/fix-kinds/macvlan-shim.js';
import { heldAddresses, shimPlan } from '../../../rules/doctor/shim-plan.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { childHost } from '../derive-attach.js';
import { CAPTURED } from '../fixtures.js';

const load = (name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'attach', `${name}.json`), 'utf8')));
const ICMP = { proto: 'icmp' as const, port: null };

function planFor(s: HostSnapshot, network: string) {
  const world = buildWorld([s]);
  const h = world.hosts[0]!;
  return shimPlan(world, h, s.docker!.networks.find((n) => n.name === network)!);
}

describe('the shim for a macvlan network', () => {
  it('macvlan-host (--ip-range 10.77.0.128/25, no --aux-address): the highest address outside the range nobody holds, a route for the range only', () => {
    const plan = planFor(load('macvlan-host'), 'lan-mv');
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan).toMatchObject({ name: 'mv-lan-mv', parent: 'eth0', address: '10.77.0.127', reserved: null, inPool: false, range: '10.77.0.128/25', routes: ['10.77.0.128/25'], existing: false });
    expect(plan.steps.map(stepCommand)).toEqual(['ip link add mv-lan-mv link eth0 type macvlan mode bridge', 'ip addr add 10.77.0.127/32 dev mv-lan-mv', 'ip link set mv-lan-mv up', 'ip route add 10.77.0.128/25 dev mv-lan-mv']);
    // Every step is a valid step of the contract (the interface names too).
    for (const st of plan.steps) expect(PlanStep.safeParse(st).success).toBe(true);
    const c = shimCandidate(plan);
    expect(c.kind).toBe('macvlan-shim');
    expect(c.note).toMatch(/reserve it with --aux-address host=10\.77\.0\.127 when lan-mv is next created/);
    expect(c.persistence).toMatchObject({ reboot: false, daemonRestart: true });
    expect(c.persistence.keep).toMatch(/\/etc\/network\/interfaces.*systemd-networkd: mv-lan-mv\.netdev/);
  });

  it('macvlan-aux: the address --aux-address reserves (Docker reports it as AuxiliaryAddresses)', () => {
    const s = load('macvlan-aux');
    expect(s.docker!.networks.find((n) => n.name === 'lan-aux')!.subnets[0]!.auxAddresses).toEqual({ shim: '10.78.0.200' });
    const plan = planFor(s, 'lan-aux');
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan).toMatchObject({ address: '10.78.0.200', reserved: 'shim', routes: ['10.78.0.128/26'] });
    expect(shimCandidate(plan).note).toMatch(/reserves with --aux-address shim=10\.78\.0\.200: Docker never hands it to a container/);
  });

  it('macvlan-norange (no --ip-range): a /32 per container in view, never a second route for the parent\'s own subnet, and the note says why', () => {
    const plan = planFor(load('macvlan-norange'), 'lan-nr');
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan).toMatchObject({ address: '10.76.0.254', inPool: true, range: null, routes: ['10.76.0.2/32'] });
    const note = shimCandidate(plan).note;
    expect(note).toMatch(/no --ip-range: a route for its whole subnet would be a second route for eth0's own prefix/);
    expect(note).toMatch(/it lies in Docker's pool/);
  });

  it('macvlan-shimmed (the shim made by hand, with its route): nothing left to add, and no candidate', () => {
    const s = load('macvlan-shimmed');
    const plan = planFor(s, 'lan-mv');
    expect(plan).toMatchObject({ ok: true, existing: true, name: 'mvshim', address: '10.77.0.127', steps: [] });
    const world = buildWorld([s]);
    expect(macvlanShims(world, why(world, 'host', 'web-mv', ICMP))).toEqual([]);
  });

  it('a shim on the parent without a route to the containers: only the routes it lacks', () => {
    // childHost: the captured attach namespaces, whose host holds mvshim (192.168.50.3/32 on lan0) with no route.
    const plan = planFor(childHost('macvlan'), 'lan-macvlan');
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan).toMatchObject({ existing: true, name: 'mvshim', address: '192.168.50.3' });
    expect(plan.steps.map(stepCommand)).toEqual(['ip route add 192.168.50.10/32 dev mvshim']);
  });

  it('a name already taken on the host: the next free one', () => {
    // macvlan-host, with its veth of `both` renamed as if an administrator had named it mv-lan-mv.
    const s = load('macvlan-host');
    const veth = s.links!.interfaces.find((i) => i.name === 'veth0a8bd5c')!;
    veth.name = 'mv-lan-mv';
    const plan = planFor(s, 'lan-mv');
    expect(plan).toMatchObject({ ok: true, name: 'mv-lan-mv-2' });
  });

  it('an address someone holds in view is never chosen: a neighbour the host learnt, another host of the LAN', () => {
    const s = load('macvlan-host');
    const other = load('macvlan-shimmed'); // 10.77.0.3 on the same LAN, with its own shim at 10.77.0.127
    const world = buildWorld([s, other]);
    expect(heldAddresses(world).has('10.77.0.127')).toBe(true);
    const plan = shimPlan(world, world.hosts[0]!, s.docker!.networks.find((n) => n.name === 'lan-mv')!);
    expect(plan).toMatchObject({ ok: true, address: '10.77.0.126' });
  });

  it('a route for the range already through another device: no shim, the route named', () => {
    const s = load('macvlan-host');
    const eth0 = s.routes!.routes.find((r) => r.dst === '10.77.0.0/24')!;
    s.routes!.routes.push({ ...eth0, dst: '10.77.0.128/25', prefsrc: null, protocol: 'boot' });
    expect(planFor(s, 'lan-mv')).toEqual({ ok: false, reason: 'macvlan-host has a route for 10.77.0.128/25 already (dev eth0): remove it first (ip route del 10.77.0.128/25 dev eth0) if the shim should carry it' });
  });

  it('no shim where none can work: macvlan private mode, a parent that is not there', () => {
    const s = load('macvlan-host');
    const n = s.docker!.networks.find((x) => x.name === 'lan-mv')!;
    n.options = { parent: 'eth0', macvlan_mode: 'private' };
    expect(planFor(s, 'lan-mv')).toMatchObject({ ok: false, reason: expect.stringMatching(/macvlan mode private/) });
    n.options = { parent: 'eth9' };
    expect(planFor(s, 'lan-mv')).toMatchObject({ ok: false, reason: expect.stringMatching(/parent eth9 is not an interface of macvlan-host/) });
  });
});

describe('which questions the shim is proposed for', () => {
  const s = load('macvlan-host');
  const world = buildWorld([s]);
  const proposed = (a: string, b: string) => macvlanShims(world, why(world, a, b, ICMP)).map((c) => c.title);
  it.each([
    ['host', 'web-mv'],
    ['c-br', 'web-mv'],
    ['web-mv', 'host'],
    ['web-mv', 'c-br'],
  ])('%s ↔ %s: the host (or a bridge container it forwards for) and a macvlan container of its own', (a, b) => {
    expect(proposed(a, b)).toEqual(["give macvlan-host a macvlan interface mv-lan-mv on eth0 to reach lan-mv's containers (10.77.0.128/25)"]);
  });
  it('a container in the macvlan container\'s namespace (--network container:web-mv) is one too; a pair that already reaches gets none', () => {
    expect(proposed('side', 'c-br')).toHaveLength(1);
    // c-br reaches `both` on the default bridge (172.17.0.3), whatever its macvlan address does.
    expect(why(world, 'c-br', 'both', ICMP).verdict).toBe('reachable');
    expect(proposed('c-br', 'both')).toEqual([]);
  });
});

describe('the prediction: the shim applied to a copy of the snapshot', () => {
  it('is the shim a real host got by the same commands (macvlan-shimmed): kind, parent, mode, address, routes', () => {
    const s = load('macvlan-host');
    const plan = planFor(s, 'lan-mv');
    if (!plan.ok) throw new Error(plan.reason);
    const [after] = applySteps([s], plan.steps);
    const real = load('macvlan-shimmed');
    const pick = (x: HostSnapshot, name: string) => {
      const i = x.links!.interfaces.find((y) => y.name === name)!;
      const v4 = i.addresses.filter((a) => a.family === 'inet');
      const routes = x.routes!.routes.filter((r) => r.dev === name && r.family === 'inet').map(({ dev: _dev, ...r }) => r).sort((p, q) => (p.dst < q.dst ? -1 : 1));
      return { kind: i.kind, up: i.up, lowerUp: i.lowerUp, mtu: i.mtu, promiscuity: i.promiscuity, lower: i.lower, v4, routes, host: x.host!.addresses.filter((a) => a.iface === name && a.family === 'inet').map((a) => a.ip) };
    };
    expect(pick(after!, 'mv-lan-mv')).toEqual(pick(real, 'mvshim'));
    // The original is untouched: prediction works on a copy.
    expect(s.links!.interfaces.some((i) => i.name === 'mv-lan-mv')).toBe(false);
  });

  it('the inverse steps, in reverse order, give the snapshot back exactly', () => {
    const s = load('macvlan-host');
    const plan = planFor(s, 'lan-mv');
    if (!plan.ok) throw new Error(plan.reason);
    const undo: PlanStep[] = [
      { kind: 'ip-link-route-del', host: s.name, dst: '10.77.0.128/25', dev: 'mv-lan-mv' },
      { kind: 'ip-link-set', host: s.name, dev: 'mv-lan-mv', up: false },
      { kind: 'ip-addr-del', host: s.name, dev: 'mv-lan-mv', address: '10.77.0.127/32' },
      { kind: 'ip-link-del', host: s.name, name: 'mv-lan-mv', parent: 'eth0', type: 'macvlan', mode: 'bridge' },
    ];
    const [back] = applySteps([s], [...plan.steps, ...undo]);
    expect(back).toEqual(s);
  });
});

describe('netdiag fix: the shim predicted through the walk', () => {
  const advise = (s: HostSnapshot, a: string, b: string) => {
    const world = buildWorld([s]);
    return adviseFixes(world, why(world, a, b, ICMP), ICMP);
  };

  it('host → web-mv (macvlan-host): blocked by the isolation; the one fix is the shim, predicted to work both ways, opening c-br\'s way too', () => {
    const s = load('macvlan-host');
    const world = buildWorld([s]);
    expect(why(world, 'host', 'web-mv', ICMP).verdict).toBe('blocked');
    const r = advise(s, 'host', 'web-mv');
    expect(r.status).toBe('fixes');
    expect(r.fixes.map((f) => f.kind)).toEqual(['macvlan-shim']);
    expect(r.fixes[0]!.predicted).toMatchObject({ forward: 'reachable', reverse: 'reachable' });
    expect(r.fixes[0]!.alsoOpens).toEqual(['c-br → side', 'c-br → web-mv']);
  });

  it.each([
    ['macvlan-aux', 'ip addr add 10.78.0.200/32 dev mv-lan-aux'],
    ['macvlan-norange', 'ip route add 10.76.0.2/32 dev mv-lan-nr'],
  ])('host → web-mv (%s): the shim is predicted to work', (name, command) => {
    const r = advise(load(name), 'host', 'web-mv');
    expect(r.fixes[0]).toMatchObject({ kind: 'macvlan-shim', predicted: { forward: 'reachable' } });
    expect(r.fixes[0]!.commands).toContain(command);
  });

  it('web-mv → host and c-br → web-mv: the same shim, predicted to open them', () => {
    const s = load('macvlan-host');
    for (const [a, b] of [['web-mv', 'host'], ['c-br', 'web-mv']] as const) {
      const shim = advise(s, a, b).fixes.find((f) => f.kind === 'macvlan-shim');
      expect(shim?.predicted.forward, `${a} → ${b}`).toBe('reachable');
    }
  });

  it('the prediction answers as the real host with the shim does (macvlan-shimmed): host ↔ web-mv reachable', () => {
    const real = buildWorld([load('macvlan-shimmed')]);
    expect([why(real, 'host', 'web-mv', ICMP).verdict, why(real, 'web-mv', 'host', ICMP).verdict]).toEqual(['reachable', 'reachable']);
    const s = load('macvlan-host');
    const plan = planFor(s, 'lan-mv');
    if (!plan.ok) throw new Error(plan.reason);
    const predicted = buildWorld(applySteps([s], plan.steps));
    expect([why(predicted, 'host', 'web-mv', ICMP).verdict, why(predicted, 'web-mv', 'host', ICMP).verdict, why(predicted, 'c-br', 'web-mv', ICMP).verdict]).toEqual(['reachable', 'reachable', 'reachable']);
  });
});

describe('netdiag fix: when no shim can help, it says why', () => {
  it('a network in macvlan private mode (its children made so, as Docker would with -o macvlan_mode=private): no fix, the reason', () => {
    const s = load('macvlan-host');
    s.docker!.networks.find((n) => n.name === 'lan-mv')!.options = { parent: 'eth0', macvlan_mode: 'private' };
    for (const sb of s.links!.sandboxes) for (const i of sb.interfaces) if (i.lower) i.lower.mode = 'private';
    const world = buildWorld([s]);
    const answer = why(world, 'host', 'web-mv', ICMP);
    expect(answer.verdict).toBe('blocked');
    expect(adviseFixes(world, answer, ICMP)).toEqual({ status: 'no-fix', fixes: [], advice: 'no host-side macvlan interface (shim) can reach it: lan-mv\'s children are in macvlan mode private: only bridge mode lets a macvlan of the host\'s reach them inside the host' });
  });

  it('an ipvlan network (childHost: the shaped ipvlan children of lan0): no shim is made, and the advice says where the commands are', () => {
    const world = buildWorld([childHost('ipvlan')]);
    const answer = why(world, 'host', 'on-ipvlan', ICMP);
    const r = adviseFixes(world, answer, ICMP);
    expect(answer.verdict).toBe('blocked');
    expect(r.fixes).toEqual([]);
    expect(r.advice).toBe('no host-side macvlan interface (shim) can reach it: lan-ipvlan is an ipvlan network: netdiag does not make an ipvlan shim itself (netdiag doctor gives its commands)');
  });
});
