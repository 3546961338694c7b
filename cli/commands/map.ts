// `netdiag map`: the hosts, their networks and containers, and who reaches whom between networks, as a picture.
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { MAP_FORMATS, renderMap } from '../../present/map/render.js';
import type { MapFormat } from '../../present/map/render.js';
import { writeFileAtomic } from '../files.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { formatForOut, NETDIAG_WRITES } from '../out-file.js';
import { loadWorld } from '../sources.js';
import type { SourceOptions } from '../sources.js';
import { EXIT, answerExit } from '../exit-codes.js';

/** What each map format's file is called (in MAP_FORMATS' order): --out's extension picks the format, or must agree with --format. */
const EXTENSIONS = Object.fromEntries(MAP_FORMATS.map((f) => [f, NETDIAG_WRITES[f]])) as Record<MapFormat, readonly string[]>;

export async function mapCommand(opts: SourceOptions & { port?: string; format?: string; out?: string; ipv4?: boolean; ipv6?: boolean; containers?: boolean; serve?: boolean; listen?: string; webConfig?: string; insecureHttp?: boolean }, io: Io): Promise<number> {
  if (opts.serve) return serveMap(opts, io);
  for (const [given, flag] of [[opts.listen, '--listen'], [opts.webConfig, '--web-config'], [opts.insecureHttp, '--insecure-http']] as const) if (given !== undefined) throw new UsageError(`${flag} goes with --serve`);
  if (opts.format !== undefined && !(MAP_FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)} is not one netdiag draws`, `use one of ${MAP_FORMATS.join(', ')}`);
  const format = formatForOut(opts.out, opts.format, EXTENSIONS, 'svg') as MapFormat;
  const flow = parseFlow(opts.port);
  const world = await loadWorld(opts, io);
  const { text, topology } = await renderMap(world, flow, format, opts.containers === undefined ? {} : { fold: !opts.containers }, parseFamilies(opts));
  const exit = answerExit(EXIT.ok, world.hosts.map((h) => h.snapshot));
  if (opts.out === undefined) {
    io.stdout(text);
    return exit;
  }
  await writeFileAtomic(opts.out, text);
  const nets = topology.hosts.reduce((n, h) => n + h.networks.length, 0);
  io.stderr(`netdiag: map of ${topology.hosts.length} host${topology.hosts.length === 1 ? '' : 's'}, ${nets} networks and ${topology.edges.length} exceptions to Docker's default written to ${opts.out}\n`);
  return exit;
}

/** `map --serve`: the web view (the map, the grid, why and fixes one click away) over saved snapshots, read-only. */
async function serveMap(opts: SourceOptions & { port?: string; format?: string; out?: string; ipv4?: boolean; ipv6?: boolean; containers?: boolean; listen?: string; webConfig?: string; insecureHttp?: boolean }, io: Io): Promise<number> {
  const drawing = [opts.format !== undefined ? '--format' : null, opts.out !== undefined ? '--out' : null, opts.port !== undefined ? '--port' : null, opts.ipv4 ? '-4' : null, opts.ipv6 ? '-6' : null].filter(Boolean);
  if (opts.containers !== undefined) drawing.push(opts.containers ? '--containers' : '--no-containers');
  if (drawing.length > 0) throw new UsageError(`--serve serves the web view, where the port and family are chosen: ${drawing.join(', ')} ${drawing.length === 1 ? 'does' : 'do'} not apply`);
  if (!opts.snapshot?.length) throw new UsageError('--serve needs --snapshot FILE (repeatable): it serves saved snapshots', 'for a live host, run netdiag agent and open /ui');
  const { serveSnapshots } = await import('./agent.js');
  // The same rule as the agent's: beyond loopback, TLS from a web config or clear text knowingly (--insecure-http).
  return serveSnapshots({ listen: opts.listen ?? '127.0.0.1:9700', snapshot: opts.snapshot, webConfig: opts.webConfig, insecureHttp: opts.insecureHttp }, 'netdiag map', io);
}
