// plan routes on snapshots captured in the lab: what each host needs, overlaps detected, the effect predicted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { Plan, planRoutes } from '../../../rules/plan/plan-routes.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(f, 'utf8')));
const docker = load(join(CAPTURED, 'moby-topology/docker.json'));
const peer = load(join(CAPTURED, 'moby-topology/peer.json'));
const seed = load(join(REPO, 'examples/seed-host.json'));

describe('plan routes between the two moby-topology hosts (routes already in place, FORWARD policy DROP)', () => {
  const plan = planRoutes([docker, peer], new Map([['docker', 'http://10.66.0.1:9700'], ['peer', 'http://10.66.0.2:9700']]));

  it('is a valid plan with an ID and per-host steps', () => {
    expect(Plan.safeParse(plan).success).toBe(true);
    expect(plan.id).toMatch(/^pl-[0-9a-f]{8}$/);
    expect(plan.prerequisites).toEqual([]);
  });

  it('adds no route that exists, and accepts each peer\'s LAN address in DOCKER-USER (not appended to FORWARD)', () => {
    const d = plan.hosts.find((h) => h.name === 'docker')!;
    expect(d.steps.filter((s) => s.kind === 'ip-route-add')).toEqual([]);
    expect(d.steps).toEqual(
      expect.arrayContaining([
        { kind: 'iptables-insert', host: 'docker', table: 'filter', chain: 'DOCKER-USER', rule: ['-i', 'eth0', '-s', '10.66.0.2/32', '-d', '172.17.0.0/16', '-m', 'comment', '--comment', `netdiag:${plan.id}`, '-j', 'ACCEPT'] },
        { kind: 'iptables-insert', host: 'docker', table: 'filter', chain: 'DOCKER-USER', rule: ['-i', 'eth0', '-s', '10.66.0.2/32', '-d', '192.0.2.0/24', '-m', 'comment', '--comment', `netdiag:${plan.id}`, '-j', 'ACCEPT'] },
      ]),
    );
    expect(plan.hosts.find((h) => h.name === 'peer')!.steps.some((s) => s.kind === 'ip-route-add')).toBe(false);
  });

  it('predicts the cross-host pairs blocked before and reachable after, and the model agrees once applied', () => {
    expect(plan.predicted.before.reachable).toBeLessThan(plan.predicted.after.reachable);
    expect(plan.predicted.after.blocked).toBe(0);
    const after = buildWorld(applySteps([docker, peer], plan.hosts.flatMap((h) => h.steps)));
    expect(why(after, 'peer/peer-1', 'docker/c0', { proto: 'icmp', port: null }).verdict).toBe('reachable');
    expect(why(buildWorld([docker, peer]), 'peer/peer-1', 'docker/c0', { proto: 'icmp', port: null }).verdict).toBe('blocked');
  });

  it('is the same plan when made again (applying it again changes nothing)', () => {
    expect(planRoutes([docker, peer]).id).toBe(plan.id);
  });
});

describe('overlapping default subnets', () => {
  it('are detected, and the second host is told to move its bip first, flagged disruptive', () => {
    const plan = planRoutes([docker, seed]);
    const bip = plan.prerequisites.find((p) => p.kind === 'bip')!;
    expect(bip).toMatchObject({ host: 'lab-h1', disruptive: true });
    expect(bip.message).toMatch(/default bridge 172\.17\.0\.0\/16 overlaps docker's/);
    expect(bip.commands[0]).toMatch(/^set "bip": "192\.168\.\d+\.1\/24" in \/etc\/docker\/daemon\.json$/);
  });
});
