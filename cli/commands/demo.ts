// `netdiag demo`: the seed scenario — alpine-01 on the default bridge, redis-1/2 on net-redis — from a snapshot
// captured in the lab and bundled with netdiag: the blocked pair, the deciding rule, the fixes. No root, no Docker.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../host/version.js';
import { buildWorld } from '../../rules/model/build.js';
import { adviseFixes } from '../../rules/changes/fixes.js';
import { flowText } from '../../rules/query/flow.js';
import { matrix } from '../../rules/matrix/matrix.js';
import { why } from '../../rules/why/why.js';
import type { Io } from '../io.js';
import { writeFileAtomic } from '../files.js';
import { readSnapshotFile } from '../snapshot-file.js';
import { renderMap } from '../../present/map/render.js';
import { renderFixAdvice } from '../render/fixes.js';
import { styleFor } from '../render/style.js';
import { renderWhy } from '../render/why.js';
import { EXIT } from '../exit-codes.js';

/** examples/ ships in the package, beside dist/. */
export const DEMO_SNAPSHOT = join(packageRoot(), 'examples/seed-host.json');

export async function demoCommand(opts: { json?: boolean }, io: Io): Promise<number> {
  const snapshot = await readSnapshotFile(DEMO_SNAPSHOT);
  const world = buildWorld([snapshot]);
  const flow = { proto: 'icmp' as const, port: null };
  const answer = why(world, 'alpine-01', 'redis-1', flow);
  const advice = adviseFixes(world, answer, flow);
  if (opts.json) {
    io.stdout(`${JSON.stringify({ ...answer, fixes: advice.fixes })}\n`);
    return EXIT.ok;
  }
  const st = styleFor(io);
  const pairs = matrix(world, flow);
  const lines = [
    `netdiag demo — host ${snapshot.name}, captured from a real dockerd ${snapshot.docker?.version} in the lab:`,
    '  alpine-01 on the default bridge; redis-1 and redis-2 on the user-defined network net-redis.',
    '',
    ...pairs.map((p) => `  ${p.from.padEnd(10)} → ${p.to.padEnd(10)} ${st.verdict(p.verdict)}`),
    '',
    `$ netdiag why alpine-01 redis-1`,
    ...renderWhy(answer, st, advice),
    '',
    `$ netdiag fix alpine-01 redis-1`,
    ...renderFixAdvice({ from: answer.from.name, to: answer.to.name, verdict: answer.verdict, ...advice }, st, flowText(flow), 'apply one with: netdiag fix alpine-01 redis-1 --apply [--fix ID]'),
    '',
    `$ netdiag map --snapshot examples/seed-host.json --out ${MAP_FILE}.svg`,
    ...(await writeMaps(world, flow)),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

const MAP_FILE = 'netdiag-demo-map';

/** The seed's map as SVG and as the standalone page, in the current directory (or the temporary one if it is not writable). */
async function writeMaps(world: ReturnType<typeof buildWorld>, flow: { proto: 'icmp'; port: null }): Promise<string[]> {
  const [svg, html] = await Promise.all([renderMap(world, flow, 'svg'), renderMap(world, flow, 'html')]);
  for (const dir of [process.cwd(), tmpdir()]) {
    try {
      await writeFileAtomic(join(dir, `${MAP_FILE}.svg`), svg.text);
      await writeFileAtomic(join(dir, `${MAP_FILE}.html`), html.text);
      // Named as the user reaches them: from here when written here (the output is then the same in every directory).
      const shown = (f: string) => (dir === process.cwd() ? f : resolve(dir, f));
      return [
        `  the map: ${shown(`${MAP_FILE}.svg`)} — both networks, their containers, no edge between them (isolated, as Docker intends: the legend says so), the published port`,
        `  with the matrix and a click-for-why panel: ${shown(`${MAP_FILE}.html`)} (open it in a browser; an agent serves the same live at /ui)`,
      ];
    } catch {
      /* not writable here: the next place */
    }
  }
  return ['  the map could not be written (neither here nor in the temporary directory is writable)'];
}
