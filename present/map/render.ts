// One entry point for every map format, shared by `netdiag map` and the agent: the topology, then DOT, SVG, Mermaid
// or the standalone HTML page (its edges explained ahead of time, since no agent answers behind it).
import { fixesFor } from '../../rules/changes/fixes.js';
import type { Family } from '../../rules/addr/addr.js';
import type { World } from '../../rules/model/types.js';
import type { Fix, Flow, MapTopology, WhyAnswer } from '../../snapshot/contract.js';
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
      const svg = await renderSvg(toDot(topology));
      return { text: mapPage({ mode: 'static', title: `netdiag map — ${world.hosts.map((h) => h.name).join(', ')}`, svg, topology, matrix: (detail as TopologyDetail).pairs, explained }), topology };
    }
  }
}
