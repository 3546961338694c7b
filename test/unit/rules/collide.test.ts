// Issue 24, item 5: subnets that collide with the LAN, on the captured col1/col2 (test/lab/scenarios.ts
// collideScenario): col1's net-lan (10.77.0.0/16) over its LAN 10.77.0.0/24 on eth0, net-vpn (10.99.0.0/24) under its
// route 10.99.0.0/16 via col2, net-tbl (10.66.1.0/24) under 10.66.0.0/16 via col2 in table 100, which an `ip rule`
// consults before main. Verdicts follow the longest prefix as before; what decides now names the route that
// shadows the other, doctor reports each collision with what it shadows and the commands that move the network, the
// map marks it; hosts whose prefixes are their networks' by design (a macvlan network on its parent's LAN) are clean.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { buildTopology } from '../../../rules/map/topology.js';
import { buildWorld } from '../../../rules/model/build.js';
import { collisions } from '../../../rules/model/overlaps.js';
import { countPairs } from '../../../rules/matrix/matrix.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { adviseFixes } from '../../../rules/changes/fixes.js';
import { shadowLine } from '../../../present/decision-text.js';
import { toDot } from '../../../present/map/dot.js';
import { toMermaid } from '../../../present/map/mermaid.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import type { Decision, DecisionOf } from '../../../snapshot/contract.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (dir: string, name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, dir, `${name}.json`), 'utf8')));
const col = [load('collide', 'col1'), load('collide', 'col2')];
const world = buildWorld(col);
const alone = buildWorld([col[0]!]);
const bridgeOf = (s: HostSnapshot, net: string) => s.docker!.networks.find((n) => n.name === net)!.bridge!;
const BR_LAN = bridgeOf(col[0]!, 'net-lan');
const BR_VPN = bridgeOf(col[0]!, 'net-vpn');
const BR_TBL = bridgeOf(col[0]!, 'net-tbl');
const decided = (from: string, to: string, ip: string, w = world, flow = PING) => why(w, from, to, flow).addresses.find((a) => a.ip === ip)!.decidedBy as DecisionOf<'elsewhere'>;
const notes = (d: { request: { steps: { type: string; text?: string }[] }[] }) => d.request.flatMap((h) => h.steps).filter((s) => s.type === 'note').map((s) => s.text);

describe('why names the route that shadows the other', () => {
  it('x1 → col2\'s LAN address: x1\'s own on-link route for net-lan shadows the LAN on eth0 (a trace note says so at the route)', () => {
    const d = decided('col1/x1', 'col2/hostc2', '10.77.0.12');
    expect(d).toMatchObject({
      kind: 'elsewhere',
      code: 'overlapping-subnet',
      direction: 'request',
      landed: { kind: 'bridge', host: 'col1', name: BR_LAN },
      expected: { kind: 'container', host: 'col2', name: 'hostc2' },
      firstDrop: null,
      shadow: {
        winner: 'network',
        at: { kind: 'container', host: 'col1', name: 'x1' },
        route: '10.77.0.0/16 dev eth0',
        network: { host: 'col1', name: 'net-lan', iface: BR_LAN, subnet: '10.77.0.0/16' },
        collidesWith: { kind: 'on-link', prefix: '10.77.0.0/24', route: '10.77.0.0/24 dev eth0', table: 'main', iface: 'eth0', host: 'col1' },
      },
    });
    expect(d.reason).toContain(`10.77.0.12 is inside col1's network net-lan (10.77.0.0/16 on ${BR_LAN}), which overlaps the LAN 10.77.0.0/24 on col1's eth0: x1 looks for it on ${BR_LAN}, not on eth0`);
    expect(shadowLine(d)).toBe(`route 10.77.0.0/16 dev eth0 in x1 (Docker network net-lan's own) shadows the LAN 10.77.0.0/24 on col1's eth0`);
    const a = why(world, 'col1/x1', 'col2/hostc2', PING).addresses.find((x) => x.ip === '10.77.0.12')!;
    const steps = a.request[0]!.steps;
    const at = steps.findIndex((s) => s.type === 'route');
    expect(steps[at + 1]).toMatchObject({ type: 'note', action: 'noted' });
    expect((steps[at + 1] as { text: string }).text).toContain('x1 looks for it on');
  });

  it('d1 → 10.99.0.12: col1\'s own bridge route for net-vpn shadows its VPN-like route via col2; the isolation drop on the way is not the cause', () => {
    const d = decided('col1/d1', 'col2/hostc2', '10.99.0.12');
    expect(d).toMatchObject({
      code: 'overlapping-subnet',
      landed: { kind: 'bridge', host: 'col1', name: BR_VPN },
      firstDrop: { host: 'col1', kind: 'rule', code: 'isolation' },
      shadow: { winner: 'network', at: { kind: 'host', host: 'col1' }, route: `10.99.0.0/24 dev ${BR_VPN}`, collidesWith: { kind: 'route', route: '10.99.0.0/16 via 10.77.0.12 dev eth0', prefix: '10.99.0.0/16' } },
    });
    expect(d.reason).toMatch(/col1 sends it into br-\w+ \(route 10\.99\.0\.0\/24 dev br-\w+\), not via 10\.77\.0\.12/);
    // The port question has the same cause.
    expect(decided('col1/d1', 'col2/hostc2', '10.99.0.12', world, parseFlow('80/tcp'))).toMatchObject({ shadow: { winner: 'network' } });
  });

  it('x1 → col2/w2: the request goes, the reply to x1 is taken by col1\'s LAN route, which shadows net-lan (the FORWARD drop it then meets is not the cause)', () => {
    const d = decided('col1/x1', 'col2/w2', '10.88.0.2');
    expect(d).toMatchObject({
      direction: 'reply',
      landed: { kind: 'lan', host: 'col1', name: 'eth0' },
      expected: { kind: 'container', host: 'col1', name: 'x1' },
      firstDrop: { code: 'forward-policy' },
      shadow: { winner: 'lan', at: { kind: 'host', host: 'col1' }, route: '10.77.0.0/24 dev eth0', network: { name: 'net-lan' }, collidesWith: { kind: 'on-link' } },
    });
    expect(d.reason).toMatch(/^the reply to 10\.77\.0\.2 would leave col1 on eth0, away from col1\/x1: col1's LAN route 10\.77\.0\.0\/24 dev eth0 takes 10\.77\.0\.2 out on eth0, not into col1's network net-lan/);
  });

  it('to x1 from anywhere: the LAN route (col1\'s own, or col2\'s LAN asked directly) takes 10.77.0.2 away — blocked, where it was unknown', () => {
    expect(decided('col1/d1', 'col1/x1', '10.77.0.2')).toMatchObject({ landed: { kind: 'lan', host: 'col1', name: 'eth0' }, shadow: { winner: 'lan', collidesWith: { kind: 'on-link', host: 'col1' } } });
    const peer = decided('col2/w2', 'col1/x1', '10.77.0.2');
    expect(peer).toMatchObject({ host: 'col2', landed: { kind: 'lan', host: 'col2', name: 'eth0' }, shadow: { winner: 'lan', collidesWith: { kind: 'peer', host: 'col2', prefix: '10.77.0.0/24' }, network: { host: 'col1', name: 'net-lan' } } });
    expect(peer.reason).toContain('col2 asks its LAN 10.77.0.0/24 on eth0 for 10.77.0.2 directly, but 10.77.0.2 is inside col1\'s network net-lan');
    // What the lab measured (every pair × address agrees): no pair is unknown (those to x1 were), and no verdict moved.
    expect(countPairs(world, PING, () => true).counts).toEqual({ reachable: 8, blocked: 34, unknown: 0 });
  });

  it('a VPN route in table 100, which col1\'s rules consult first, takes net-tbl\'s addresses off its bridge: to t1 and t1\'s replies', () => {
    const to = decided('col1/d1', 'col1/t1', '10.66.1.2');
    expect(to).toMatchObject({
      direction: 'request',
      landed: { kind: 'lan', host: 'col1', name: 'eth0' },
      // What the path met after the shadowing route (col2 has no route back) is not the cause.
      firstDrop: { host: 'col2', kind: 'route' },
      shadow: { winner: 'lan', table: '100', route: '10.66.0.0/16 via 10.77.0.12 dev eth0', network: { name: 'net-tbl', iface: BR_TBL, subnet: '10.66.1.0/24' }, collidesWith: { kind: 'route', table: '100' } },
    });
    expect(to.reason).toContain('(table 100, which its rules consult before main) takes 10.66.1.2 out on eth0');
    expect(decided('col1/t1', 'col2/hostc2', '10.77.0.12')).toMatchObject({ direction: 'reply', shadow: { winner: 'lan', table: '100' }, firstDrop: { code: 'forward-policy' } });
    // The request to col2 goes through table 100 as the rule says, and gets there: only the reply is lost.
    const a = why(world, 'col1/t1', 'col2/hostc2', PING).addresses.find((x) => x.ip === '10.66.0.12')!;
    expect(a.request.filter((h) => h.at.kind === 'host' && h.at.host === 'col1').flatMap((h) => h.steps).find((x) => x.type === 'route')).toMatchObject({ table: '100', route: '10.66.0.0/16 via 10.77.0.12 dev eth0' });
    expect(a.deliveredTo).toBeNull();
  });

  it('asked by address on col1 alone (nobody in view holds 10.77.0.12): the shadow is still the cause, with no expected holder', () => {
    const a = why(alone, 'x1', '10.77.0.12', PING);
    expect(a.verdict).toBe('blocked');
    const d = a.addresses[0]!.decidedBy as DecisionOf<'elsewhere'>;
    expect(d).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', shadow: { winner: 'network', collidesWith: { kind: 'on-link' } } });
    expect(d.expected).toBeUndefined();
    expect(d.reason).toContain('not to the holder of 10.77.0.12');
  });

  it('routes that are no party to a collision decide as before: d1 reaches col2 over the LAN, v1\'s own subnet is not the LAN\'s', () => {
    expect(why(world, 'col1/d1', 'col2/w2', PING).verdict).toBe('reachable');
    expect(why(world, 'col1/v1', 'col2/hostc2', PING).addresses.find((a) => a.ip === '10.77.0.12')!.verdict).toBe('reachable');
    // Isolation between two of col1's networks stays isolation.
    expect(decided('col1/x1', 'col1/d1', '172.17.0.2')).toMatchObject({ kind: 'rule', code: 'isolation' });
  });

  it('no fix is offered; the advice is doctor\'s move of the colliding network, as commands', () => {
    const a = why(world, 'col1/d1', 'col1/t1', PING);
    const advice = adviseFixes(world, a, PING, { sideEffects: false });
    expect(advice.status).toBe('no-fix');
    expect(advice.advice).toMatch(/No firewall or route change moves an address: on col1, docker network create --subnet 172\.\d+\.0\.0\/16 net-tbl-2; docker network connect net-tbl-2 t1; docker network disconnect net-tbl t1; docker network rm net-tbl$/);
  });
});

describe('doctor reports each collision, what it shadows, and the fix', () => {
  const found = (snaps: HostSnapshot[]) => doctorAll(snaps).filter((f) => f.code === 'subnet-overlaps-route');

  it('col1 and col2 in view: net-lan over the LAN, net-vpn under the route, net-tbl under table 100\'s (errors: they shadow what is in view); net-own over col2\'s own address (a warning)', () => {
    const f = found(col);
    expect(f.map((x) => [x.host, x.subject, x.severity])).toEqual([['col1', 'net-lan', 'error'], ['col1', 'net-vpn', 'error'], ['col1', 'net-tbl', 'error'], ['col2', 'net-own', 'warning']]);
    const [lan, vpn, tbl, own] = f as [(typeof f)[0], (typeof f)[0], (typeof f)[0], (typeof f)[0]];
    // col2 answers for its own address on the bridge too (o2 reaches it, as the lab measured): what is at risk is IPAM.
    expect(own.title).toContain("collides with col2's own address 10.55.0.12 on lo: Docker may give a container on net-own that address");
    expect(why(world, 'col2/o2', 'col2/hostc2', PING).addresses.find((x) => x.ip === '10.55.0.12')!.verdict).toBe('reachable');
    expect(vpn.title).toContain('collides with the route 10.99.0.0/16 via 10.77.0.12 dev eth0');
    expect(vpn.title).toContain(`col1 itself, and every container it routes, sends 10.99.0.12 (col2's lo) into ${BR_VPN} instead`);
    expect(vpn.evidence).toEqual([`network net-vpn on ${BR_VPN}: 10.99.0.0/24`, 'route 10.99.0.0/16 via 10.77.0.12 dev eth0 (table main)', "10.99.0.12: col2's lo"]);
    expect(lan.title).toContain(`collides with the LAN 10.77.0.0/24 on eth0: its containers look for 10.77.0.0/24 on ${BR_LAN}, never on eth0: 10.77.0.12 (col2's eth0) unreachable from them`);
    expect(lan.title).toContain('so 10.77.0.2 (x1 on net-lan) is cut off');
    expect(tbl.title).toContain('collides with the route 10.66.0.0/16 via 10.77.0.12 dev eth0 (table 100)');
    expect(tbl.evidence).toContain('10.66.1.2: t1 on net-tbl');
    // The moves, on ranges no host in view uses (172.17.0.0/16 is col1's docker0), nothing removed that a container still uses.
    expect(lan.fix).toBe('on col1, docker network create --subnet 172.18.0.0/16 net-lan-2; docker network connect net-lan-2 x1; docker network disconnect net-lan x1; docker network rm net-lan');
    expect(vpn.fix).toBe('on col1, docker network create --subnet 172.19.0.0/16 net-vpn-2; docker network connect net-vpn-2 v1; docker network disconnect net-vpn v1; docker network rm net-vpn');
    expect(tbl.fix).toMatch(/^on col1, docker network create --subnet 172\.20\.0\.0\/16 net-tbl-2;/);
  });

  it('col1 alone: net-vpn shadows nothing it knows of (a warning); net-lan cuts off x1 and the LAN neighbour col1 has heard from (an error)', () => {
    const f = found([col[0]!]);
    expect(Object.fromEntries(f.map((x) => [x.subject, x.severity]))).toEqual({ 'net-vpn': 'warning', 'net-lan': 'error', 'net-tbl': 'error' });
    expect(f.find((x) => x.subject === 'net-lan')!.evidence).toContain("10.77.0.12: a neighbour on col1's eth0");
  });

  it('a network in Docker\'s own pools is likely Docker\'s choice: the fix adds default-address-pools (the seed with a route over net-redis)', () => {
    const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
    expect(found([seed])).toEqual([]);
    // The doctor lab test injects this very route (ip route add 172.18.5.0/24 via 10.77.0.254): the captured route, moved.
    const routed = structuredClone(seed);
    const lan = col[0]!.routes!.routes.find((r) => r.dst === '10.99.0.0/16')!;
    routed.routes!.routes.push({ ...lan, dst: '172.18.5.0/24' });
    const f = found([routed]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ subject: 'net-redis', severity: 'warning' });
    expect(f[0]!.evidence[0]).toContain("in Docker's own default pools");
    expect(f[0]!.fix).toMatch(/"default-address-pools": \[\{"base": "172\.\d+\.0\.0\/16", "size": 24\}\] in \/etc\/docker\/daemon\.json/);
  });

  it('no collision where prefixes are the networks\' own by design or none overlaps: seed, reach, bridged, macvlan hosts (shims too) on their parent\'s LAN, moby topology, policy routing', () => {
    // The macvlan hosts side by side: their LAN, their shims' /32s and their children's range are one LAN by design.
    const sets = [['reach', ['h1', 'h2']], ['reach', ['b1', 'b2']], ['attach', ['macvlan-host', 'macvlan-aux', 'macvlan-norange', 'macvlan-shimmed']], ['moby-topology', ['docker', 'peer']], ['policy', ['p1', 'p2']]] as const;
    for (const [dir, names] of sets) expect(collisions(buildWorld(names.map((n) => load(dir, n))))).toEqual([]);
  });
});

describe('the map marks collisions with the LAN', () => {
  it('overlaps name the network and what it collides with; DOT and mermaid draw it to the host, red when it shadows something in view', () => {
    const t = buildTopology(world, PING);
    expect(t.overlaps).toEqual([
      { subnet: '10.77.0.0/24', networks: ['col1/net-lan'], collidesWith: { kind: 'on-link', prefix: '10.77.0.0/24', iface: 'eth0', host: 'col1', route: '10.77.0.0/24 dev eth0', shadows: true } },
      { subnet: '10.99.0.0/24', networks: ['col1/net-vpn'], collidesWith: { kind: 'route', prefix: '10.99.0.0/16', iface: 'eth0', host: 'col1', route: '10.99.0.0/16 via 10.77.0.12 dev eth0', shadows: true } },
      { subnet: '10.66.1.0/24', networks: ['col1/net-tbl'], collidesWith: { kind: 'route', prefix: '10.66.0.0/16', iface: 'eth0', host: 'col1', route: '10.66.0.0/16 via 10.77.0.12 dev eth0', shadows: true } },
      { subnet: '10.55.0.12/32', networks: ['col2/net-own'], collidesWith: { kind: 'address', prefix: '10.55.0.12/32', iface: 'lo', host: 'col2', route: null, shadows: false } },
    ]);
    // What shadows nothing in view is drawn in the "some" colour, not the "none" red.
    expect(toDot(t)).toMatch(/class="edge-label overlap collision".*color="#ef6c00".*label="collides with own address 10\.55\.0\.12\/32"/);
    // No pair of col2/bridge reaches col1/net-lan: isolated, as Docker's default has it, so no edge restates it.
    expect(t.edges.find((e) => e.from === 'col2/bridge' && e.to === 'col1/net-lan')).toBeUndefined();
    expect(toDot(t)).toMatch(/class="edge-label overlap collision".*color="#c62828".*label="collides with LAN 10\.77\.0\.0\/24 on eth0"/);
    expect(toMermaid(t)).toMatch(/-\.-\|"collides with route 10\.99\.0\.0\/16 via 10\.77\.0\.12 dev eth0"\| host_/);
    const quiet = buildTopology(alone, PING).overlaps.find((o) => o.networks[0] === 'col1/net-vpn');
    expect(quiet?.collidesWith?.shadows).toBe(false);
  });
});

it('a decision is typed by the contract: the shadow survives a JSON round trip through the schema', async () => {
  const { Decision } = await import('../../../snapshot/contract.js');
  const d = decided('col2/w2', 'col1/x1', '10.77.0.2');
  expect(Decision.parse(JSON.parse(JSON.stringify(d))) as Decision).toEqual(d);
});
