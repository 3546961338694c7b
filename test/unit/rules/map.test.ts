// The map on captured snapshots, checked by structure: which nodes, which edges between which networks, their colours.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { COLOURS, nodeId } from '../../../present/map/dot.js';
import { renderMap } from '../../../present/map/render.js';
import { buildTopology } from '../../../rules/map/topology.js';
import { buildWorld } from '../../../rules/model/build.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (f: string): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(f, 'utf8')));
const seed = load(join(REPO, 'examples/seed-host.json'));

/** The SVG element Graphviz wrote for an id, with its class and the drawing inside it. */
function group(svg: string, id: string): string {
  const at = svg.indexOf(`id="${id}"`);
  expect(at, `${id} in the SVG`).toBeGreaterThan(0);
  // Graphviz writes some characters as entities (net&#45;redis).
  return svg.slice(svg.lastIndexOf('<g', at), svg.indexOf('</g>', at)).replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
}

describe('netdiag map on the seed snapshot', () => {
  it('draws both networks in the host frame, their containers, and the blocked edge both ways', async () => {
    const { text: svg, topology } = await renderMap(buildWorld([seed]), PING, 'svg');
    const host = seed.name;
    for (const n of ['bridge', 'net-redis']) expect(group(svg, nodeId('net', `${host}/${n}`))).toContain(n);
    for (const [n, c] of [['bridge', 'alpine-01'], ['net-redis', 'redis-1'], ['net-redis', 'redis-2']]) expect(group(svg, nodeId('c', `${host}/${n}/${c}`))).toContain(c);
    expect(topology.edges).toHaveLength(2);
    for (const e of topology.edges) {
      const g = group(svg, `edge_${e.id}`);
      expect(g).toContain('class="edge net-edge share-none"');
      // Blocked: red and dashed, labelled with the reason's code.
      expect(g).toContain(`stroke="${COLOURS.none}"`);
      expect(g).toContain('stroke-dasharray');
      expect(g).toContain('0/2 isolation');
    }
    expect(topology.hosts[0]!.published).toContain('0.0.0.0:8080/tcp → redis-2:80');
  });
  it('an edge with some pairs through is amber and solid; a fix that opens one pair changes it', () => {
    const s = structuredClone(seed);
    const user = s.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'DOCKER-USER')!;
    user.rules.unshift({ index: 1, text: '-A DOCKER-USER -s 172.17.0.2/32 -d 172.18.0.2/32 -j ACCEPT', packets: 0, bytes: 0 }, { index: 2, text: '-A DOCKER-USER -s 172.18.0.2/32 -d 172.17.0.2/32 -j ACCEPT', packets: 0, bytes: 0 });
    user.rules.forEach((r, i) => (r.index = i + 1));
    const t = buildTopology(buildWorld([s]), PING);
    const out = t.edges.find((e) => e.from.endsWith('/bridge'))!;
    expect(out).toMatchObject({ share: 'some', reachable: 1, total: 2, code: 'isolation' });
    expect(out.example.to).toBe('redis-2');
  });
  it('a port question is its own map: TCP 80 inside net-redis all reachable', () => {
    const t = buildTopology(buildWorld([seed]), parseFlow('80/tcp'));
    expect(t.hosts[0]!.networks.find((n) => n.name === 'net-redis')!.inside).toMatchObject({ share: 'all', total: 2 });
  });
  it('past the fold, containers become counts per network and the network edges stay', () => {
    const t = buildTopology(buildWorld([seed]), PING, { fold: true });
    expect(t.folded).toBe(true);
    expect(t.hosts[0]!.networks.map((n) => [n.name, n.count, n.containers.length])).toEqual([['bridge', 1, 0], ['net-redis', 2, 0]]);
    expect(t.edges).toHaveLength(2);
  });
});

describe('netdiag map across hosts and families (captured)', () => {
  it('a dual-stack host without ip6tables: networks isolated over IPv4 are joined over IPv6, some pairs each way', () => {
    const t = buildTopology(buildWorld([load(join(CAPTURED, 'ipv6/v6open.json'))]), PING);
    for (const e of t.edges) expect(e).toMatchObject({ share: 'some', code: 'isolation' });
  });
  it('two hosts: each a frame of its own, the mermaid and DOT texts name every network', async () => {
    const world = buildWorld([load(join(CAPTURED, 'moby-topology/docker.json')), load(join(CAPTURED, 'moby-topology/peer.json'))]);
    const t = buildTopology(world, PING);
    expect(t.hosts.map((h) => h.name).sort()).toEqual(['docker', 'peer']);
    const dot = (await renderMap(world, PING, 'dot')).text;
    const mermaid = (await renderMap(world, PING, 'mermaid')).text;
    for (const h of t.hosts) for (const n of h.networks) {
      expect(dot).toContain(nodeId('net', n.id));
      expect(mermaid).toContain(nodeId('net', n.id));
    }
  });
});
