// A prediction copies the snapshots it changes, but a host's own interfaces and addresses only when a step changes
// them (a shim's link and address): the rest of the time they are shared, read as they are, and the snapshot the
// question was asked of stays as it was. On captured snapshots (the seed host, the macvlan lab host).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { shimPlan } from '../../../rules/doctor/shim-plan.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

const ICMP = { proto: 'icmp' as const, port: null };
const seed = () => parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
const macvlan = () => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'attach', 'macvlan-host.json'), 'utf8')));

describe('a prediction\'s copy of a host', () => {
  it('the seed\'s fixes (a network connect, a DOCKER-USER accept): interfaces and addresses shared, everything else copied, the asked snapshot unchanged', () => {
    const s = seed();
    const before = structuredClone(s);
    const world = buildWorld([s]);
    const fixes = fixesFor(world, why(world, 'alpine-01', 'redis-1', ICMP), ICMP);
    expect(fixes.map((f) => f.kind)).toContain('network-connect');
    for (const f of fixes) {
      const [after] = applySteps([s], f.steps);
      expect(after!.links!.interfaces).toBe(s.links!.interfaces);
      expect(after!.host!.addresses).toBe(s.host!.addresses);
      expect(after!.docker).not.toBe(s.docker);
      expect(after!.links!.sandboxes).not.toBe(s.links!.sandboxes);
      expect(after!.firewall).not.toBe(s.firewall);
      // The keys in the snapshot's own order, as a whole copy gives them.
      expect(Object.keys(after!)).toEqual(Object.keys(s));
      expect(Object.keys(after!.links!)).toEqual(Object.keys(s.links!));
      expect(after).toEqual(applySteps([structuredClone(s)], f.steps)[0]);
    }
    expect(s).toEqual(before);
  });

  it('a macvlan shim (a link and its address added): the host\'s interfaces and addresses copied and changed there only', () => {
    const s = macvlan();
    const before = structuredClone(s);
    const world = buildWorld([s]);
    const plan = shimPlan(world, world.hosts[0]!, s.docker!.networks.find((n) => n.name === 'lan-mv')!);
    if (!plan.ok) throw new Error(plan.reason);
    const [after] = applySteps([s], plan.steps);
    expect(after!.links!.interfaces).not.toBe(s.links!.interfaces);
    expect(after!.links!.interfaces.map((i) => i.name)).toContain('mv-lan-mv');
    expect(after!.host!.addresses.some((a) => a.iface === 'mv-lan-mv')).toBe(true);
    expect(s).toEqual(before);
  });
});
