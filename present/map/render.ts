// One entry point for every map format, shared by `netdiag map` and the agent: the topology, then DOT, SVG, Mermaid
// or the standalone HTML page (one pair of each grid cell explained ahead of time, since no agent answers behind it).
import { fixesFor } from '../../rules/changes/fixes.js';
import type { Family } from '../../rules/addr/addr.js';
import type { World } from '../../rules/model/types.js';
import type { Fix, Flow, MapTopology, MatrixPair, WhyAnswer } from '../../snapshot/contract.js';
import { why } from '../../rules/why/why.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { mapPage } from './page.js';
import { renderSvg } from './svg.js';
import { buildTopology } from '../../rules/map/topology.js';
import type { TopologyDetail } from '../../rules/map/topology.js';

export const MAP_FORMATS = ['svg', 'dot', 'mermaid', 'html', 'json'] as const;
export type MapFormat = (typeof MAP_FORMATS)[number];

export async function renderMap(world: World, flow: Flow, format: MapFormat, opts: { fold?: boolean } = {}, families: readonly Family[] = [4, 6]): Promise<{ text: string; topology: MapTopology }> {
  // The page explains each edge and shows every pair: kept from the walks the topology makes, not walked again.
  const detail: TopologyDetail | undefined = format === 'html' ? { pairs: [], answers: new Map() } : undefined;
  const topology = buildTopology(world, flow, opts, detail, families);
  switch (format) {
    case 'json':
      return { text: `${JSON.stringify(topology)}\n`, topology };
    case 'dot':
      return { text: toDot(topology), topology };
    case 'mermaid':
      return { text: toMermaid(topology), topology };
    case 'svg':
      return { text: await renderSvg(toDot(topology)), topology };
    case 'html': {
      const explained: Record<string, { why: WhyAnswer; fixes: Fix[] }> = {};
      for (const [id, w] of (detail as TopologyDetail).answers) explained[id] = { why: w, fixes: w.verdict === 'blocked' ? fixesFor(world, w, flow) : [] };
      // No agent answers behind a file: one pair of each cell of the grid is traced ahead of time (exceptions first).
      for (const p of cellExamples(topology, (detail as TopologyDetail).pairs)) {
        const w = why(world, p.from, p.to, flow, families);
        explained[`${p.from}\u0000${p.to}`] = { why: w, fixes: w.verdict === 'blocked' ? fixesFor(world, w, flow) : [] };
      }
      const svg = await renderSvg(toDot(topology));
      return { text: mapPage({ mode: 'static', title: `netdiag map — ${world.hosts.map((h) => h.name).join(', ')}`, svg, topology, matrix: (detail as TopologyDetail).pairs, explained }), topology };
    }
  }
}

/** How many pairs a static page traces ahead of time: one per cell of the grid, up to this many cells. */
const TRACED_CELLS = 60;

/**
 * One container pair of each cell of the network grid (row network → column network), cells with an edge (an
 * exception to Docker's default) first: what the static page embeds with its trace, since nothing answers behind it.
 */
function cellExamples(topology: MapTopology, pairs: MatrixPair[]): MatrixPair[] {
  const networksOf = new Map<string, string[]>();
  for (const h of topology.hosts) {
    for (const n of h.networks) {
      for (const c of n.containers) for (const k of new Set([c.name, `${h.name}/${c.name}`])) networksOf.set(k, [...(networksOf.get(k) ?? []), n.id]);
    }
  }
  const cells = new Map<string, MatrixPair>();
  for (const p of pairs) {
    if (p.verdict === 'no-address') continue;
    for (const a of networksOf.get(p.from) ?? []) for (const b of networksOf.get(p.to) ?? []) if (!cells.has(`${a}\u0000${b}`)) cells.set(`${a}\u0000${b}`, p);
  }
  const edged = new Set(topology.edges.map((e) => `${e.from}\u0000${e.to}`));
  const ordered = [...cells].sort(([x], [y]) => Number(edged.has(y)) - Number(edged.has(x)));
  return [...new Map(ordered.slice(0, TRACED_CELLS).map(([, p]) => [`${p.from}\u0000${p.to}`, p])).values()];
}
