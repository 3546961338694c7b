// Bench: `netdiag map`'s picture at 50, 200 and 500 containers (the last the issue's 50 networks on 10 hosts) — the
// topology (the pair walks and a why per drawn edge) and Graphviz's layout of its DOT, each timed on its own.
import { buildWorld } from '../rules/model/build.js';
import { buildTopology } from '../rules/map/topology.js';
import { PING } from '../rules/query/flow.js';
import { toDot } from '../present/map/dot.js';
import { renderSvg } from '../present/map/svg.js';
import { median, report } from './report.js';
import { mapFleet } from './synthetic.js';

/** The sizes drawn: hosts × 5 networks × 10 containers. */
export const MAP_SIZES = [1, 4, 10] as const;

export async function benchMap(): Promise<void> {
  const rows: [string, string, string][] = [];
  // The first layout loads Graphviz's WebAssembly module: timed apart, as a user's first map pays it once.
  const t0 = performance.now();
  await renderSvg('digraph { a -> b }');
  const load = performance.now() - t0;
  for (const hosts of MAP_SIZES) {
    const world = buildWorld(mapFleet(hosts));
    const n = hosts * 50;
    const tt: number[] = [];
    const lt: number[] = [];
    let dot = '';
    let edges = 0;
    for (let i = 0; i < 3; i++) {
      const a = performance.now();
      const t = buildTopology(world, PING);
      tt.push(performance.now() - a);
      dot = toDot(t);
      edges = t.edges.length + t.published.length;
      const b = performance.now();
      await renderSvg(dot);
      lt.push(performance.now() - b);
    }
    const layout = median(lt);
    rows.push([`layout (Graphviz dot), ${n} containers on ${hosts * 5} networks on ${hosts} host${hosts === 1 ? '' : 's'}`, `${layout.toFixed(0)} ms`, `${edges} exception edges, containers folded: ${n > 40 ? 'yes' : 'no'}${n === 500 ? `; goal ≤ 1000 ms${layout <= 1000 ? '' : ', missed'}` : ''}`]);
    rows.push(['  the topology behind it (pair walks, a why per edge)', `${median(tt).toFixed(0)} ms`, `${(n * (n - 1)).toLocaleString('en')} container pairs`]);
    if (n === 500) {
      // Unfolded (`--containers`): every container a box — what folding saves.
      const dotAll = toDot(buildTopology(world, PING, { fold: false }));
      const u: number[] = [];
      for (let i = 0; i < 3; i++) {
        const b = performance.now();
        await renderSvg(dotAll);
        u.push(performance.now() - b);
      }
      rows.push(['  the same layout with --containers (500 container boxes)', `${median(u).toFixed(0)} ms`, '']);
    }
  }
  rows.push(['  loading Graphviz (WebAssembly), once per process', `${load.toFixed(0)} ms`, '']);
  report('map, synthetic fleets with exceptions (in process, median of 3)', rows);
}
