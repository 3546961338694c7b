// The macvlan shim's steps on a recording host holding the captured macvlan host's links: applied in order, verified,
// rolled back exactly in reverse order (route, link down, address, link), undone when verification fails, and bad input
// (the parent missing, the name taken) refused before anything changes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChange, rollbackChange } from '../../../actuation/apply.js';
import { doStep, inverseOf } from '../../../actuation/steps.js';
import { present } from '../../../actuation/ledger.js';
import { shimPlan } from '../../../rules/doctor/shim-plan.js';
import { buildWorld } from '../../../rules/model/build.js';
import type { PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';
import { recordingHost } from '../recording-host.js';
import type { HostState } from '../recording-host.js';

const s = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'attach/macvlan-host.json'), 'utf8')));
const world = buildWorld([s]);
const plan = shimPlan(world, world.hosts[0]!, s.docker!.networks.find((n) => n.name === 'lan-mv')!);
if (!plan.ok) throw new Error(plan.reason);
const steps = plan.steps;

/** The captured host's links as `ip -j -d addr show dev NAME` reads them. */
function stateOf(): HostState {
  const links = Object.fromEntries(s.links!.interfaces.map((i) => [i.name, { kind: i.kind, parent: i.lower?.name ?? null, mode: i.lower?.mode ?? null, up: i.up, addresses: i.addresses.map((a) => `${a.local}/${a.prefixLen}`) }]));
  return { iptables: {}, sysctls: {}, routes: [], attached: {}, networks: {}, nft: {}, links, linkRoutes: [] };
}

const apply = (host: ReturnType<typeof recordingHost>, verified = true) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-shim-'));
  const req = { kind: 'fix' as const, id: 'fx-shim', title: 'shim', steps, context: {} };
  return { stateDir, run: applyChange(req, { stateDir, host, verify: async () => ({ ok: verified, detail: verified ? 'probe: 10.77.0.128 reachable' : 'probe: 10.77.0.128 blocked' }), progress: () => undefined }) };
};

describe('the macvlan shim applied to a host', () => {
  it('applies in order, and rollback undoes it in reverse order to exactly the state before', async () => {
    const before = stateOf();
    const host = recordingHost(before);
    const { stateDir, run } = apply(host);
    expect(await run).toMatchObject({ status: 'applied', verified: true });
    expect(host.state.links!['mv-lan-mv']).toEqual({ kind: 'macvlan', parent: 'eth0', mode: 'bridge', up: true, addresses: ['10.77.0.127/32'] });
    expect(host.state.linkRoutes).toEqual(['10.77.0.128/25 dev mv-lan-mv']);
    host.calls.length = 0;
    expect(await rollbackChange('fx-shim', { stateDir, host, progress: () => undefined })).toMatchObject({ status: 'rolled-back' });
    expect(host.calls).toEqual(['ip route del 10.77.0.128/25 dev mv-lan-mv', 'ip link set mv-lan-mv down', 'ip addr del 10.77.0.127/32 dev mv-lan-mv', 'ip link del mv-lan-mv']);
    expect(host.state).toEqual(before);
  });

  it('a failed verification undoes every step', async () => {
    const before = stateOf();
    const host = recordingHost(before);
    expect(await apply(host, false).run).toMatchObject({ status: 'rolled-back', verified: false, verification: 'probe: 10.77.0.128 blocked' });
    expect(host.state).toEqual(before);
  });

  it('applied twice changes nothing the second time', async () => {
    const host = recordingHost(stateOf());
    for (const st of steps) await doStep(host, st);
    for (const st of steps) expect((await doStep(host, st)).changed, JSON.stringify(st)).toBe(false);
  });

  it('the parent missing: one line, nothing changed', async () => {
    const before = stateOf();
    delete before.links!.eth0;
    const host = recordingHost(before);
    const r = await apply(host).run;
    expect(r).toMatchObject({ status: 'rolled-back', error: { message: 'no interface eth0 here, the parent the shim needs' } });
    expect(host.calls.filter((c) => c.startsWith('ip link add'))).toEqual([]);
    expect(host.state).toEqual(before);
  });

  it('the name taken by another interface: refused, and that interface is left alone (rollback never deletes it)', async () => {
    const before = stateOf();
    before.links!['mv-lan-mv'] = { kind: 'veth', parent: null, mode: null, up: true, addresses: [] };
    const host = recordingHost(before);
    const r = await apply(host).run;
    expect(r.error?.message).toBe('an interface named mv-lan-mv exists already (veth)');
    expect(host.calls).toEqual([]);
    expect(host.state).toEqual(before);
  });

  it('a route for the range through another device (the kernel refuses a second): the step fails, everything is undone', async () => {
    const before = stateOf();
    before.linkRoutes = ['10.77.0.128/25 dev eth0'];
    const host = recordingHost(before);
    const r = await apply(host).run;
    expect(r).toMatchObject({ status: 'rolled-back', error: { message: 'a route for 10.77.0.128/25 exists already through eth0' } });
    expect(host.state).toEqual(before);
  });

  it('each step\'s inverse is the step that undoes it', () => {
    const inverses = steps.map((st) => inverseOf(st));
    expect(inverses.map((x) => x?.kind)).toEqual(['ip-link-del', 'ip-addr-del', 'ip-link-set', 'ip-link-route-del']);
    expect((inverses[2] as Extract<PlanStep, { kind: 'ip-link-set' }>).up).toBe(false);
    for (const [i, st] of steps.entries()) expect(inverseOf(inverses[i]!)).toEqual(st);
  });

  it('the agent\'s ledger sees a shim in place on a host collected again (macvlan-shimmed), and missing where it is not', () => {
    const shimmed = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'attach/macvlan-shimmed.json'), 'utf8')));
    const link: PlanStep = { kind: 'ip-link-add', host: 'x', name: 'mvshim', parent: 'eth0', type: 'macvlan', mode: 'bridge' };
    const route: PlanStep = { kind: 'ip-link-route-add', host: 'x', dst: '10.77.0.128/25', dev: 'mvshim' };
    expect([present(link, shimmed), present(route, shimmed)]).toEqual([true, true]);
    expect([present(link, s), present(route, s)]).toEqual([false, false]);
  });
});
