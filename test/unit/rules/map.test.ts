// The map on captured snapshots (and the bench's 500-container fleet), checked by structure: only exceptions to
// Docker's default are edges, each with its code; an overlay on two hosts is one network; a legend in every format;
// labels on their edges, none overlapping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { COLOURS, nodeId, toDot } from '../../../present/map/dot.js';
import { toMermaid } from '../../../present/map/mermaid.js';
import { legendLines } from '../../../present/map/legend.js';
import { renderMap } from '../../../present/map/render.js';
import { renderSvg } from '../../../present/map/svg.js';
import { buildTopology } from '../../../rules/map/topology.js';
import { eachPair } from '../../../rules/matrix/matrix.js';
import { buildWorld } from '../../../rules/model/build.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import type { MapTopology } from '../../../snapshot/contract.js';
import { main } from '../../../cli/main.js';
import { mapFleet } from '../../../bench/synthetic.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (f: string): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(f, 'utf8')));
const seed = load(join(REPO, 'examples/seed-host.json'));
const swarm = () => buildWorld([load(join(CAPTURED, 'swarm/a-h1.json')), load(join(CAPTURED, 'swarm/a-h2.json'))]);
const unescape = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');

/** The SVG element Graphviz wrote for an id, with its class and the drawing inside it. */
function group(svg: string, id: string): string {
  const at = svg.indexOf(`id="${id}"`);
  expect(at, `${id} in the SVG`).toBeGreaterThan(0);
  return unescape(svg.slice(svg.lastIndexOf('<g', at), svg.indexOf('</g>', at)));
}

/** Nothing drawn restates Docker's default: no edge between networks none of whose pairs reach, no block where all reach. */
function noDefaultRestated(t: MapTopology): void {
  for (const e of t.edges) {
    if (e.from !== e.to) expect(e.share, `${e.from} → ${e.to}`).not.toBe('none');
    else expect(e.share, `inside ${e.from}`).not.toBe('all');
    expect(e.code ?? e.via, `${e.id} has a reason code`).toBeTruthy();
  }
}

/** The legend's first line (Docker's default, said once) as each format writes it. */
const LEGEND = "Docker's default, not drawn";

describe('netdiag map on the seed snapshot', () => {
  it('draws no edge between bridge and net-redis (isolated, as Docker intends) and says so in the legend; the published port is an edge', async () => {
    const { text: svg, topology: t } = await renderMap(buildWorld([seed]), PING, 'svg');
    expect(t.edges).toEqual([]);
    expect(t.defaults).toEqual({ isolatedPairs: 2, openNetworks: 1 });
    expect(t.published).toEqual([{ host: 'lab-h1', network: 'lab-h1/net-redis', ports: [':8080/tcp → redis-2:80'] }]);
    expect(group(svg, 'label_p0')).toContain('published :8080/tcp → redis-2:80');
    expect(group(svg, 'edge_p0_head')).toContain(`class="edge published"`);
    expect(group(svg, 'legend')).toContain('2 network pairs isolated, 1 network open inside');
    for (const n of ['bridge', 'net-redis']) expect(group(svg, nodeId('net', `lab-h1/${n}`))).toContain(n);
    for (const [n, c] of [['bridge', 'alpine-01'], ['net-redis', 'redis-1'], ['net-redis', 'redis-2']]) expect(group(svg, nodeId('c', `lab-h1/${n}/${c}`))).toContain(c);
  });
  it("a network's name is at the top of its box, above its containers", async () => {
    const { text: svg, topology: t } = await renderMap(buildWorld([seed]), PING, 'svg');
    for (const n of t.hosts[0]!.networks) {
      const box = group(svg, nodeId('net', n.id));
      const nameY = Number(/<text[^>]*y="([-\d.]+)"[^>]*>([^<]*)<\/text>/.exec(box)![1]);
      expect(box).toMatch(new RegExp(`>${n.name}</text>`));
      for (const c of n.containers) expect(nameY).toBeLessThan(Number(/<text[^>]*y="([-\d.]+)"/.exec(group(svg, nodeId('c', `${n.id}/${c.name}`)))![1]));
    }
  });
  it('an edge with some pairs through is amber and solid, labelled with what lets them through and what blocks the rest', async () => {
    const s = structuredClone(seed);
    const user = s.firewall!.tables.find((x) => x.name === 'filter')!.chains.find((c) => c.name === 'DOCKER-USER')!;
    user.rules.unshift({ index: 1, text: '-A DOCKER-USER -s 172.17.0.2/32 -d 172.18.0.2/32 -j ACCEPT', packets: 0, bytes: 0 }, { index: 2, text: '-A DOCKER-USER -s 172.18.0.2/32 -d 172.17.0.2/32 -j ACCEPT', packets: 0, bytes: 0 });
    user.rules.forEach((r, i) => (r.index = i + 1));
    const { text: svg, topology: t } = await renderMap(buildWorld([s]), PING, 'svg');
    const out = t.edges.find((e) => e.from.endsWith('/bridge'))!;
    expect(out).toMatchObject({ kind: 'path', share: 'some', reachable: 1, total: 2, code: 'isolation', via: 'admin-rule' });
    expect(out.example.to).toBe('redis-2');
    const g = group(svg, `edge_${out.id}`);
    expect(g).toContain(`stroke="${COLOURS.some}"`);
    expect(g).not.toContain('stroke-dasharray');
    expect(group(svg, `label_${out.id}`)).toContain('admin-rule 1/2, rest isolation');
  });
  it('a port question is its own map: TCP 80 inside net-redis all reachable, so no edge inside it', () => {
    const t = buildTopology(buildWorld([seed]), parseFlow('80/tcp'));
    expect(t.hosts[0]!.networks.find((n) => n.name === 'net-redis')!.inside).toMatchObject({ share: 'all', total: 2 });
    expect(t.edges.filter((e) => e.kind === 'block')).toEqual([]);
  });
  it('folded, containers become counts per network; small hosts like the seed are unfolded unless asked', async () => {
    expect(buildTopology(buildWorld([seed]), PING).folded).toBe(false);
    const t = buildTopology(buildWorld([seed]), PING, { fold: true });
    expect(t.folded).toBe(true);
    expect(t.hosts[0]!.networks.map((n) => [n.name, n.count, n.containers.length])).toEqual([['bridge', 1, 0], ['net-redis', 2, 0]]);
    const io = { out: '', err: '', isTTY: false, env: {}, stdout: (x: string) => void (io.out += x), stderr: (x: string) => void (io.err += x) };
    expect(await main(['map', '--no-containers', '--format', 'json', '--snapshot', join(REPO, 'examples/seed-host.json')], io)).toBe(0);
    expect(JSON.parse(io.out).folded).toBe(true);
  });
  it('a legend in every format: dot, mermaid, svg, html', async () => {
    const world = buildWorld([seed]);
    for (const f of ['dot', 'mermaid', 'svg', 'html'] as const) expect(unescape((await renderMap(world, PING, f)).text), f).toContain(LEGEND);
    expect(toMermaid(buildTopology(world, PING))).toMatch(/^ {2}legend>"Docker's default, not drawn/m);
  });
});

describe('netdiag map across hosts and families (captured)', () => {
  it('a dual-stack host without ip6tables: isolated over IPv4, joined over IPv6: every pair reaches (by its IPv6 address), an edge each way', () => {
    const t = buildTopology(buildWorld([load(join(CAPTURED, 'ipv6/v6open.json'))]), PING);
    expect(t.edges.length).toBe(2);
    for (const e of t.edges) expect(e).toMatchObject({ kind: 'path', share: 'all', code: null });
  });
  it('two hosts: each a frame of its own, the mermaid and DOT texts name every network', async () => {
    const world = buildWorld([load(join(CAPTURED, 'moby-topology/docker.json')), load(join(CAPTURED, 'moby-topology/peer.json'))]);
    const t = buildTopology(world, PING);
    expect(t.hosts.map((h) => h.name).sort()).toEqual(['docker', 'peer']);
    noDefaultRestated(t);
    const dot = (await renderMap(world, PING, 'dot')).text;
    const mermaid = (await renderMap(world, PING, 'mermaid')).text;
    for (const h of t.hosts) for (const n of h.networks) {
      expect(dot).toContain(nodeId('net', n.id));
      expect(mermaid).toContain(nodeId('net', n.id));
    }
  });
  it('the swarm (a-h1 + a-h2): ov1 and ov2 are each one network spanning h1 and h2, not isolated copies', async () => {
    const world = swarm();
    const t = buildTopology(world, PING);
    expect(t.spanning.map((n) => [n.id, n.hosts]).sort()).toEqual([['swarm/ingress', ['h1', 'h2']], ['swarm/ov1', ['h1', 'h2']], ['swarm/ov2', ['h1', 'h2']]]);
    expect(t.hosts.flatMap((h) => h.networks.map((n) => n.name))).not.toContain('ov1');
    expect(t.spanning.find((n) => n.id === 'swarm/ov1')!.containers.map((c) => c.name).sort()).toEqual(['h1/a1', 'h1/c1', 'h2/a2']);
    const dot = toDot(t);
    expect(dot.split(`cluster_${nodeId('net', 'swarm/ov1')}"`).length - 1).toBe(1);
    expect(dot).toContain('overlay ov1 (spans h1, h2)');
  });
  it('the swarm: edges per pair verdict — a1 → a2 reaches over ov1 though its docker_gwbridge address does not, so ov1 is open inside and no edge is drawn', () => {
    const world = swarm();
    const pairs: { from: string; to: string; addresses: { ip: string; verdict: string }[] }[] = [];
    eachPair(world, PING, (p) => pairs.push(p));
    const a1a2 = pairs.find((p) => p.from === 'h1/a1' && p.to === 'h2/a2')!;
    // Per address, the pair is half blocked (its gwbridge address): counting addresses would draw ov1 blocked.
    expect(a1a2.addresses.map((a) => a.verdict).sort()).toEqual(['blocked', 'reachable']);
    const t = buildTopology(world, PING);
    expect(t.spanning.find((n) => n.id === 'swarm/ov1')!.inside).toEqual({ share: 'all', reachable: 6, total: 6 });
    // As the probes found (12 answered of 48, each inside an overlay): nothing else reaches, nothing inside is blocked.
    const probes = JSON.parse(readFileSync(join(CAPTURED, 'swarm/probes-a.json'), 'utf8')) as { from: string; to: string; network: string; ok: boolean }[];
    expect(probes.filter((p) => p.ok).every((p) => p.network === 'ov1' || p.network === 'ov2')).toBe(true);
    expect(t.edges).toEqual([]);
    noDefaultRestated(t);
    expect(t.joined).toEqual([{ container: 'h1/c1', networks: ['swarm/ov1', 'swarm/ov2'] }]);
  });
});

/** Each label's text box (x, y, an estimated width) and the bounding box of its edge's drawn paths, from Graphviz's SVG. */
function labelBoxes(raw: string): { id: string; text: string; box: Box; edge: Box | null }[] {
  const svg = unescape(raw);
  const out: { id: string; text: string; box: Box; edge: Box | null }[] = [];
  for (const m of svg.matchAll(/<g id="label_([^"]+)" class="node edge-label[^"]*">([\s\S]*?)<\/g>/g)) {
    const id = m[1] as string;
    const texts = [...(m[2] as string).matchAll(/<text[^>]*x="([-\d.]+)" y="([-\d.]+)"[^>]*font-size="([\d.]+)"[^>]*>([^<]*)<\/text>/g)];
    const boxes = texts.map((t) => {
      const [x, y, fs, s] = [Number(t[1]), Number(t[2]), Number(t[3]), t[4] as string];
      const w = s.length * fs * 0.55;
      return { x0: x - w / 2, x1: x + w / 2, y0: y - fs * 0.8, y1: y + fs * 0.2 };
    });
    const box = union(boxes);
    const paths = ['', '_head'].flatMap((suffix) => {
      const g = new RegExp(`<g id="edge_${id}${suffix}" class="edge[^"]*">([\\s\\S]*?)</g>`).exec(svg);
      return g ? [...(g[1] as string).matchAll(/<path[^>]* d="([^"]+)"/g)].map((p) => pathBox(p[1] as string)) : [];
    });
    out.push({ id, text: texts.map((t) => t[4]).join(' '), box: box!, edge: union(paths) });
  }
  return out;
}
interface Box { x0: number; x1: number; y0: number; y1: number }
const union = (bs: Box[]): Box | null => (bs.length === 0 ? null : { x0: Math.min(...bs.map((b) => b.x0)), x1: Math.max(...bs.map((b) => b.x1)), y0: Math.min(...bs.map((b) => b.y0)), y1: Math.max(...bs.map((b) => b.y1)) });
function pathBox(d: string): Box {
  const n = [...d.matchAll(/-?[\d.]+/g)].map((x) => Number(x[0]));
  const xs = n.filter((_v, i) => i % 2 === 0);
  const ys = n.filter((_v, i) => i % 2 === 1);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}
const overlap = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const grow = (b: Box, by: number): Box => ({ x0: b.x0 - by, x1: b.x1 + by, y0: b.y0 - by, y1: b.y1 + by });

describe('the 500-container map (10 hosts × 5 networks × 10, built with exceptions on purpose)', () => {
  let t: MapTopology;
  let svg: string;
  beforeAll(async () => {
    t = buildTopology(buildWorld(mapFleet()), PING);
    svg = await renderSvg(toDot(t));
  }, 60_000);
  it('folds containers into counts and draws no edge that restates the default', () => {
    expect(t.folded).toBe(true);
    expect(t.hosts.flatMap((h) => h.networks).every((n) => n.containers.length === 0 && n.count === 10)).toBe(true);
    noDefaultRestated(t);
    expect(t.defaults.openNetworks).toBe(40);
  });
  it('every exception built into it is an edge with its code', () => {
    const key = (e: MapTopology['edges'][number]) => `${e.kind} ${e.from} ${e.to} ${e.share} ${e.code ?? e.via}`;
    const want = new Set<string>();
    for (let i = 0; i < 10; i++) {
      want.add(`block host${i}/net-4 host${i}/net-4 none icc-off`);
      want.add(`path host${i}/net-1 host${i}/net-2 all admin-rule`).add(`path host${i}/net-2 host${i}/net-1 all admin-rule`);
      // Every other host routes to its successor's net-0, which accepts the LAN: every network of it reaches there.
      if (i % 2 === 0) for (let n = 0; n < 5; n++) want.add(`cross-host host${i}/net-${n} host${i + 1}/net-0 all admin-rule`);
    }
    expect(new Set(t.edges.map(key))).toEqual(want);
    expect(t.published.map((p) => p.network)).toEqual(Array.from({ length: 10 }, (_, i) => `host${i}/net-0`));
  });
  it('no two edge labels overlap, and each lies on its own edge', () => {
    const labels = labelBoxes(svg);
    expect(labels.length).toBe(t.edges.length + t.published.length + t.routes.length + t.overlaps.length);
    for (const l of labels) {
      expect(l.edge, `${l.id}'s edge`).not.toBeNull();
      // On its edge: the text box touches the edge's paths, its centre within them give or take half its width.
      expect(overlap(grow(l.box, 4), l.edge!), `${l.id} "${l.text}" touches its edge`).toBe(true);
      const cx = (l.box.x0 + l.box.x1) / 2;
      const cy = (l.box.y0 + l.box.y1) / 2;
      const e = grow(l.edge!, (l.box.x1 - l.box.x0) / 2 + 4);
      expect(cx >= e.x0 && cx <= e.x1 && cy >= e.y0 && cy <= e.y1, `${l.id} "${l.text}" centred on its edge`).toBe(true);
    }
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) expect(overlap(labels[i]!.box, labels[j]!.box), `${labels[i]!.text} / ${labels[j]!.text}`).toBe(false);
  });
  it('the legend is in the SVG, the DOT and the mermaid', () => {
    expect(unescape(svg)).toContain(legendLines(t)[0]);
    expect(toDot(t)).toContain('id="legend"');
    expect(toMermaid(t)).toContain(LEGEND);
  });
});
