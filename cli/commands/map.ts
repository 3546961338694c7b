// `netdiag map`: the hosts, their networks and containers, and who reaches whom between networks, as a picture.
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { MAP_FORMATS, renderMap } from '../../present/map/render.js';
import type { MapFormat } from '../../present/map/render.js';
import { writeFileAtomic } from '../files.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';

export async function mapCommand(opts: SourceOptions & { port?: string; format?: string; out?: string; ipv4?: boolean; ipv6?: boolean }, io: Io): Promise<number> {
  const format = (opts.format ?? (opts.out?.endsWith('.html') ? 'html' : opts.out?.endsWith('.dot') ? 'dot' : opts.out?.endsWith('.mmd') ? 'mermaid' : 'svg')) as MapFormat;
  if (!MAP_FORMATS.includes(format)) throw new UsageError(`--format ${JSON.stringify(opts.format)} is not one netdiag draws`, `use one of ${MAP_FORMATS.join(', ')}`);
  const flow = parseFlow(opts.port);
  const world = await loadWorld(opts, io);
  const { text, topology } = await renderMap(world, flow, format, {}, parseFamilies(opts));
  if (opts.out === undefined) {
    io.stdout(text);
    return 0;
  }
  await writeFileAtomic(opts.out, text);
  const nets = topology.hosts.reduce((n, h) => n + h.networks.length, 0);
  io.stderr(`netdiag: map of ${topology.hosts.length} host${topology.hosts.length === 1 ? '' : 's'}, ${nets} networks and ${topology.edges.length} edges between them written to ${opts.out}\n`);
  return 0;
}
