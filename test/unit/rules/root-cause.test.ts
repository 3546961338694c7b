// Issue 23, item 2: the root cause before the first drop. On the captured h1 and h2 (both with docker0 on
// 172.17.0.0/16), 172.17.0.2 is h2/web2's address and h1/c0's: a request from h1 can never leave h1 for h2, so that —
// not the isolation drop met on the way — is what decided, named with both holders and the route. The map and doctor
// flag the overlap; the bridged pair b1/b2, one segment by design, is not flagged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { buildTopology } from '../../../rules/map/topology.js';
import { buildWorld } from '../../../rules/model/build.js';
import { overlappingSubnets } from '../../../rules/model/overlaps.js';
import { countPairs } from '../../../rules/matrix/matrix.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { toDot } from '../../../present/map/dot.js';
import { toMermaid } from '../../../present/map/mermaid.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { DecisionOf } from '../../../snapshot/contract.js';
import { CAPTURED } from '../fixtures.js';

const load = (name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'reach', `${name}.json`), 'utf8')));
const h = [load('h1'), load('h2')];
const world = buildWorld(h);
const ip = (host: number, name: string) => h[host]!.docker!.containers.find((c) => c.name === name)!.endpoints[0]!.ip;

describe('an address that lands elsewhere is the cause, before the first drop', () => {
  it('h1/client → h2/web2: would land in h1/c0 by h1\'s route to docker0; the isolation drop stays in the trace as the first drop', () => {
    expect(ip(1, 'web2')).toBe(ip(0, 'c0'));
    const a = why(world, 'h1/client', 'h2/web2', PING);
    expect(a.verdict).toBe('blocked');
    const d = a.addresses[0]!.decidedBy as DecisionOf<'elsewhere'>;
    expect(d).toMatchObject({
      kind: 'elsewhere',
      code: 'overlapping-subnet',
      host: 'h1',
      landed: { kind: 'container', host: 'h1', name: 'c0' },
      expected: { kind: 'container', host: 'h2', name: 'web2' },
      route: { at: { kind: 'host', host: 'h1' }, table: 'main', route: '172.17.0.0/16 dev docker0' },
      firstDrop: { host: 'h1', kind: 'rule', code: 'isolation' },
    });
    expect(d.overlap).toEqual([
      { host: 'h1', network: 'bridge', iface: 'docker0', subnet: '172.17.0.0/16' },
      { host: 'h2', network: 'bridge', iface: 'docker0', subnet: '172.17.0.0/16' },
    ]);
    expect(d.reason).toMatch(/would land in h1\/c0, not in h2\/web2/);
    // The trace is what happened: the request stops at DOCKER-ISOLATION-STAGE-2, the first drop, on h1.
    const drops = a.addresses[0]!.request.flatMap((x) => x.steps).filter((s) => s.action === 'dropped');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ type: 'chain', verdict: 'DROP', decidedBy: { chain: 'DOCKER-ISOLATION-STAGE-2' } });
  });

  it('the delivered case (h1/c0 → h2/web2, its own address) carries the same cause and route, and no first drop', () => {
    const d = why(world, 'h1/c0', 'h2/web2', PING).addresses[0]!.decidedBy;
    expect(d).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', landed: { name: 'c0' }, firstDrop: null, route: { at: { kind: 'container', name: 'c0' }, table: 'local' } });
  });

  it('an address nobody on h1 holds still goes into h1\'s own docker0 (nothing answers there): the overlap, not the missing neighbour', () => {
    const d = why(world, 'h1/c0', 'h2/client2', PING).addresses[0]!.decidedBy;
    expect(d).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', landed: { kind: 'bridge', host: 'h1', name: 'docker0' }, firstDrop: null });
    // Before, through another network, the isolation drop came first.
    const e = why(world, 'h1/client', 'h2/client2', PING).addresses[0]!.decidedBy;
    expect(e).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', firstDrop: { code: 'isolation' } });
  });

  it('the cause is per question: on one host, the same drop is still the isolation it is', () => {
    expect(why(buildWorld([h[0]!]), 'client', 'c0', PING).addresses[0]!.decidedBy).toMatchObject({ kind: 'rule', code: 'isolation' });
    // And a port question: the same cause, whatever listens.
    expect(why(world, 'h1/client', 'h2/web2', parseFlow('80/tcp')).addresses[0]!.decidedBy).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet' });
  });

  it('verdicts do not change, only what is named as deciding: the matrix as before (32 of 110 ordered pairs reach, none across hosts)', () => {
    expect(countPairs(world, PING, () => true).counts).toEqual({ reachable: 32, blocked: 78, unknown: 0 });
    expect(countPairs(world, PING, (x, y) => x.host !== y.host).counts.reachable).toBe(0);
  });
});

describe('the map and doctor flag overlapping subnets across the hosts in view', () => {
  it('map: h1/bridge and h2/bridge overlap on 172.17.0.0/16, drawn between them; no isolated pair of networks restates the default', () => {
    const t = buildTopology(world, PING);
    expect(t.overlaps).toEqual([{ subnet: '172.17.0.0/16', networks: ['h1/bridge', 'h2/bridge'] }]);
    // Nothing of h1/net-svc reaches h2/bridge: isolated, which the legend says once; the overlap line says why here.
    expect(t.edges.find((e) => e.from === 'h1/net-svc' && e.to === 'h2/bridge')).toBeUndefined();
    expect(toDot(t)).toMatch(/class="edge-label overlap".*label="overlap 172\.17\.0\.0\/16"/);
    expect(toMermaid(t)).toMatch(/-\.-\|"overlap 172\.17\.0\.0\/16"\|/);
  });

  it('doctor: one warning naming both networks, the address held twice, and a renumbering on a free subnet (nothing removed)', () => {
    const f = doctorAll(h).filter((x) => x.code === 'subnet-overlap-across-hosts');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', subject: '172.17.0.0/16' });
    expect(f[0]!.evidence).toEqual(['h1: network bridge on docker0: 172.17.0.0/16', 'h2: network bridge on docker0: 172.17.0.0/16', `${ip(0, 'c0')}: h1/c0, h2/web2`]);
    // 172.18.0.0/16 is h1's net-svc: the first free range of Docker's pools is 172.19.0.0/16.
    expect(f[0]!.fix).toContain('on h2, set "bip": "172.19.0.1/16" in /etc/docker/daemon.json');
    expect(f[0]!.fix).not.toMatch(/\brm\b|delete/);
  });

  it('b1 and b2 bridged into one segment share their subnet by design: not an overlap; with h1 beside them, one group, the segment moved together', () => {
    const b = [load('b1'), load('b2')];
    expect(overlappingSubnets(buildWorld(b))).toEqual([]);
    expect(doctorAll(b).map((x) => x.code)).not.toContain('subnet-overlap-across-hosts');
    const all = doctorAll([h[0]!, ...b]).filter((x) => x.code === 'subnet-overlap-across-hosts');
    expect(all).toHaveLength(1);
    expect(all[0]!.fix).toMatch(/on b1 and b2, whose docker0 and docker0 are one segment, move them together to 172\.19\.0\.0\/16/);
  });
});
