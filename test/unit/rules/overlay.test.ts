// The swarm overlay walk on two nodes captured in the lab (swarm/a-*: as built; swarm/b-*: udp/4789 dropped in h2's
// INPUT), checked against the real probes taken with them, and on variants derived from them: a neighbour entry
// NetworkDB never wrote, an entry pointing at the wrong node, an encrypted network, a node whose swarm part is missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../rules/model/build.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { matrix } from '../../../rules/matrix/matrix.js';
import { adviseFixes } from '../../../rules/changes/fixes.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import type { Step } from '../../../snapshot/contract.js';

const DIR = join(__dirname, '../../fixtures/captured/swarm');
const load = (scenario: 'a' | 'b'): HostSnapshot[] => ['h1', 'h2'].map((h) => parseSnapshot(JSON.parse(readFileSync(join(DIR, `${scenario}-${h}.json`), 'utf8'))));
const probes = (scenario: 'a' | 'b'): { from: string; to: string; ip: string; ok: boolean }[] => JSON.parse(readFileSync(join(DIR, `probes-${scenario}.json`), 'utf8'));
const steps = (hops: { steps: Step[] }[]) => hops.flatMap((h) => h.steps);
const ov = (s: HostSnapshot, name: string) => {
  const id = s.docker!.networks.find((n) => n.name === name)!.id;
  return s.swarm!.namespaces.find((x) => x.role === 'overlay' && x.networkId === id)!;
};
const ipOf = (s: HostSnapshot, container: string, network: string) => s.docker!.containers.find((c) => c.name === container)!.endpoints.find((e) => e.network === network)!.ip!;

describe('swarm overlays, as the lab probed them', () => {
  for (const scenario of ['a', 'b'] as const) {
    it(`agrees with every real probe of scenario ${scenario} (every pair × address, ping)`, () => {
      const w = buildWorld(load(scenario));
      const list = probes(scenario);
      expect(list.length).toBe(48);
      const wrong = list.filter((p) => {
        const a = why(w, p.from, p.to, PING).addresses.find((x) => x.ip === p.ip);
        return !a || a.verdict === 'unknown' || (a.verdict === 'reachable') !== p.ok;
      });
      expect(wrong).toEqual([]);
      // The matrix (classes shared between alike containers) says the same as each why.
      const m = matrix(w, PING);
      for (const p of list) expect(m.find((x) => x.from === p.from && x.to === p.to)?.addresses.find((x) => x.ip === p.ip)?.verdict, `${p.from} → ${p.to} ${p.ip}`).toBe(p.ok ? 'reachable' : 'blocked');
    });
  }

  it('walks the inner flow and the VXLAN packet: encapsulated on h1, through h2 INPUT, unwrapped into ov1 there, and back', () => {
    const a = why(buildWorld(load('a')), 'h1/a1', 'h2/a2', parseFlow('80/tcp')).addresses.find((x) => x.network === 'ov1')!;
    expect(a.verdict).toBe('reachable');
    const req = steps(a.request);
    expect(req.find((s) => s.type === 'vxlan' && s.op === 'encapsulate')).toMatchObject({ network: 'ov1', vni: 4097, outer: { src: '10.77.0.11', dst: '10.77.0.12', port: 4789 } });
    expect(req.find((s) => s.type === 'vxlan' && s.op === 'decapsulate')).toMatchObject({ network: 'ov1', outer: { src: '10.77.0.11', dst: '10.77.0.12' } });
    expect(a.request.map((h) => `${h.at.kind}:${h.at.host}`)).toEqual(['container:h1', 'overlay:h1', 'host:h1', 'host:h2', 'overlay:h2', 'container:h2']);
    // h2's INPUT saw the outer packet (udp 4789), not the inner flow.
    expect(req.some((s) => s.type === 'chain' && s.chain === 'INPUT' && s.verdict !== 'DROP')).toBe(true);
    expect(steps(a.reply).find((s) => s.type === 'vxlan' && s.op === 'encapsulate')).toMatchObject({ outer: { src: '10.77.0.12', dst: '10.77.0.11' } });
  });

  it('a drop of udp/4789 is named on the VXLAN packet, in whichever direction crosses it', () => {
    const w = buildWorld(load('b'));
    expect(why(w, 'h1/a1', 'h2/a2', PING).addresses.find((x) => x.network === 'ov1')?.decidedBy).toMatchObject({ kind: 'rule', host: 'h2', chain: 'INPUT', direction: 'request', tunnel: { network: 'ov1', vni: 4097, src: '10.77.0.11', dst: '10.77.0.12', port: 4789 } });
    expect(why(w, 'h2/a2', 'h1/a1', PING).addresses.find((x) => x.network === 'ov1')?.decidedBy).toMatchObject({ kind: 'rule', host: 'h2', direction: 'reply', tunnel: { dst: '10.77.0.12' } });
    // On one node the overlay never leaves its bridge: a1 and c1 still meet.
    expect(why(w, 'h1/a1', 'h1/c1', PING).verdict).toBe('reachable');
  });

  it('overlays are isolated from each other and from bridges; a container on both reaches both', () => {
    const w = buildWorld(load('a'));
    expect(why(w, 'h1/a1', 'h2/b2', PING).addresses.find((x) => x.network === 'ov2')?.decidedBy).toMatchObject({ kind: 'route', host: 'h1' });
    expect(why(w, 'h1/a1', 'h1/br1', PING).verdict).toBe('blocked');
    expect(why(w, 'h1/c1', 'h2/b2', PING).verdict).toBe('reachable');
    expect(why(w, 'h1/c1', 'h2/a2', PING).verdict).toBe('reachable');
    // The host has no route into an overlay: only its containers are on it.
    expect(why(w, 'h1/host', 'h1/a1', PING).addresses.find((x) => x.network === 'ov1')?.decidedBy).toMatchObject({ kind: 'route' });
  });

  it('names resolve across nodes on a shared overlay, and only there', () => {
    const w = buildWorld(load('a'));
    expect(why(w, 'h1/a1', 'a2', PING).dns).toMatchObject({ resolves: true, via: 'embedded-dns', network: 'ov1' });
    expect(why(w, 'h1/a1', 'h2/u2', PING).dns.resolves).toBe(false);
  });

  it('fixes for two overlays across nodes: docker network connect, predicted with NetworkDB\'s entries on the other node', () => {
    const w = buildWorld(load('a'));
    const advice = adviseFixes(w, why(w, 'h1/a1', 'h2/b2', PING), PING);
    expect(advice.fixes.map((f) => f.title)).toEqual(['connect a1 to ov2', 'connect b2 to ov1']);
    expect(advice.fixes[0]!.predicted.forward).toBe('reachable');
    // A local bridge network on another host is not the same network: never offered across hosts.
    const u = adviseFixes(w, why(w, 'h1/a1', 'h2/u2', PING), PING);
    expect(u.fixes.some((f) => f.title.includes('ub2'))).toBe(false);
  });
});

describe('overlay entries that NetworkDB did not write, or wrote wrong', () => {
  it('no neighbour entry for the address on the sending node: overlay-no-peer', () => {
    const [h1, h2] = load('a') as [HostSnapshot, HostSnapshot];
    const a2 = ipOf(h2, 'a2', 'ov1');
    ov(h1, 'ov1').neighbours = ov(h1, 'ov1').neighbours.filter((n) => n.dst !== a2);
    const d = why(buildWorld([h1, h2]), 'h1/a1', 'h2/a2', PING).addresses.find((x) => x.ip === a2);
    expect(d?.verdict).toBe('blocked');
    expect(d?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'no-peer', code: 'overlay-no-peer', network: 'ov1', address: a2, host: 'h1' });
  });

  it('an entry that sends the frame to a node without the endpoint: overlay-stale-peer, decided where it arrives', () => {
    const [h1, h2] = load('a') as [HostSnapshot, HostSnapshot];
    const a2 = ipOf(h2, 'a2', 'ov1');
    // a2 gone from h2 while h1 still holds its entries (a stale NetworkDB entry).
    h2.docker!.containers = h2.docker!.containers.filter((c) => c.name !== 'a2');
    const d = why(buildWorld([h1, h2]), 'h1/a1', a2, PING).addresses[0];
    expect(d?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'stale-peer', code: 'overlay-stale-peer', host: 'h2' });
  });

  it('an encrypted overlay and a node read without its swarm part are unknown, said why', () => {
    const [h1, h2] = load('a') as [HostSnapshot, HostSnapshot];
    h1.swarm!.networks.find((n) => n.name === 'ov1')!.encrypted = true;
    expect(why(buildWorld([h1, h2]), 'h1/a1', 'h2/a2', PING).addresses.find((x) => x.network === 'ov1')?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'encrypted', code: 'unknown' });
    const [g1, g2] = load('a') as [HostSnapshot, HostSnapshot];
    g2.swarm = null;
    const r = why(buildWorld([g1, g2]), 'h1/a1', 'h2/a2', PING).addresses.find((x) => x.network === 'ov1');
    expect(r?.verdict).toBe('unknown');
    expect(r?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'no-namespace', host: 'h2' });
  });
});
