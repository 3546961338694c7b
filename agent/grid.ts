// The network-by-network grid of the web view: each cell the container pairs from one network to another, counted as
// the matrix is walked (in slices, a source container's row at a time) and, for the pairs that do not reach, the
// reason codes that decided them. A container on two networks counts in both; B counts by the address asked.
import type { Flow, MatrixPair } from '../snapshot/contract.js';
import type { Family } from '../rules/addr/addr.js';
import type { ContainerModel, Endpoint, World } from '../rules/model/types.js';
import { pairRows } from '../rules/matrix/matrix.js';
import { qualifiedName } from '../rules/query/resolve.js';
import { why } from '../rules/why/why.js';
import type { GridResult } from './schemas.js';

type Cell = GridResult['cells'][number];

/** Walks asked per cell for reason codes: a cell's pairs mostly share one answer, and each walk costs a trace. */
const CODE_WALKS_PER_CELL = 3;

const key = (host: string, network: string) => `${host}/${network}`;
const endpointKey = (c: ContainerModel, e: Endpoint) => key(c.host.name, e.network?.name ?? c.docker.networkMode);

/** The networks a container sends from: each of its endpoints' (host mode, none: its network mode). */
function networksOf(c: ContainerModel): string[] {
  const keys = new Set(c.endpoints.map((e) => endpointKey(c, e)));
  if (keys.size === 0) keys.add(key(c.host.name, c.docker.networkMode));
  return [...keys];
}

/** One pair's verdict in a cell: over B's addresses on the cell's network, reachable only if each is. */
function cellVerdict(addresses: MatrixPair['addresses']): 'reachable' | 'blocked' | 'unknown' {
  if (addresses.every((a) => a.verdict === 'reachable')) return 'reachable';
  return addresses.some((a) => a.verdict === 'unknown') ? 'unknown' : 'blocked';
}

interface Walk {
  world: World;
  byName: Map<string, ContainerModel>;
  /** Each destination address's network, by container and address. */
  addressNet: Map<ContainerModel, Map<string, string>>;
}

function prepare(world: World): Walk {
  const containers = world.hosts.flatMap((h) => h.containers);
  const byName = new Map(containers.map((c) => [qualifiedName(c, world), c]));
  const addressNet = new Map(containers.map((c) => [c, new Map(c.endpoints.map((e) => [e.ipText, endpointKey(c, e)]))]));
  return { world, byName, addressNet };
}

/** A pair's addresses grouped by the destination network they are on. */
function byNetwork(w: Walk, b: ContainerModel, addresses: MatrixPair['addresses']): Map<string, MatrixPair['addresses']> {
  const nets = w.addressNet.get(b) ?? new Map<string, string>();
  const out = new Map<string, MatrixPair['addresses']>();
  for (const a of addresses) {
    const net = nets.get(a.ip);
    if (net === undefined) continue;
    const list = out.get(net);
    if (list) list.push(a);
    else out.set(net, [a]);
  }
  return out;
}

/** The grid: every network in view, and a cell for each (from, to) that holds a pair. */
export function* gridSteps(world: World, flow: Flow, families: readonly Family[]): Generator<unknown, GridResult> {
  const w = prepare(world);
  const networks: GridResult['networks'] = [];
  const count = new Map<string, number>();
  for (const c of w.byName.values()) for (const k of networksOf(c)) count.set(k, (count.get(k) ?? 0) + 1);
  for (const h of world.hosts) {
    const known = new Set<string>();
    for (const n of h.snapshot.docker?.networks ?? []) {
      const k = key(h.name, n.name);
      known.add(k);
      networks.push({ key: k, host: h.name, network: n.name, driver: n.driver, subnets: n.subnets.map((s) => s.subnet), containers: count.get(k) ?? 0 });
    }
    // A network mode Docker lists no network for (container:X) still holds containers: a row of its own.
    for (const [k, n] of count) if (k.startsWith(`${h.name}/`) && !known.has(k)) networks.push({ key: k, host: h.name, network: k.slice(h.name.length + 1), driver: null, subnets: [], containers: n });
  }
  const cells = new Map<string, Cell & { walked: number; seen: Set<unknown> }>();
  const codeAsks: { cell: Cell & { walked: number; seen: Set<unknown> }; from: string; to: string; ips: string[] }[] = [];
  const rows = pairRows(world, flow, (p) => {
    const a = w.byName.get(p.from);
    const b = w.byName.get(p.to);
    if (!a || !b) return;
    const on = byNetwork(w, b, p.addresses);
    for (const from of networksOf(a)) {
      for (const [to, addresses] of on) {
        const id = `${from}\u0000${to}`;
        let cell = cells.get(id);
        if (!cell) cells.set(id, (cell = { from, to, pairs: 0, reachable: 0, blocked: 0, unknown: 0, verdict: 'reachable', codes: [], walked: 0, seen: new Set() }));
        cell.pairs++;
        const v = cellVerdict(addresses);
        cell[v]++;
        // The addresses array is shared by pairs with the same answer: a new one is a new answer worth a walk.
        if (v !== 'reachable' && cell.walked < CODE_WALKS_PER_CELL && !cell.seen.has(p.addresses)) {
          cell.seen.add(p.addresses);
          cell.walked++;
          codeAsks.push({ cell, from: p.from, to: p.to, ips: addresses.filter((x) => x.verdict !== 'reachable').map((x) => x.ip) });
        }
      }
    }
  }, families);
  for (let r = rows.next(); !r.done; r = rows.next()) yield;
  // What decided the pairs that do not reach, from one walk with its trace per distinct answer (a few per cell).
  for (const ask of codeAsks) {
    const answer = why(world, ask.from, ask.to, flow, families);
    for (const ip of ask.ips) {
      const code = answer.addresses.find((x) => x.ip === ip)?.decidedBy?.code;
      if (code && !ask.cell.codes.includes(code)) ask.cell.codes.push(code);
    }
    yield;
  }
  const out: Cell[] = [...cells.values()].map(({ walked: _w, seen: _s, ...c }) => {
    const kinds = (['reachable', 'blocked', 'unknown'] as const).filter((k) => c[k] > 0);
    return { ...c, verdict: kinds.length === 1 ? (kinds[0] as Cell['verdict']) : 'mixed', codes: c.codes.sort() };
  });
  return { flow, networks, cells: out };
}

/** One cell's pairs, each with B's addresses on the cell's destination network only. */
export function* gridCellSteps(world: World, flow: Flow, families: readonly Family[], from: string, to: string): Generator<unknown, MatrixPair[]> {
  const w = prepare(world);
  const pairs: MatrixPair[] = [];
  const rows = pairRows(world, flow, (p) => {
    const a = w.byName.get(p.from);
    const b = w.byName.get(p.to);
    if (!a || !b || !networksOf(a).includes(from)) return;
    const addresses = byNetwork(w, b, p.addresses).get(to);
    if (!addresses) return;
    const v = cellVerdict(addresses);
    pairs.push({ from: p.from, to: p.to, verdict: v, addresses });
  }, families);
  for (let r = rows.next(); !r.done; r = rows.next()) yield;
  return pairs;
}

/** Whether a grid key names a network in view (a cell asked about one that is not is a 404, not an empty cell). */
export function gridKeyKnown(world: World, k: string): boolean {
  for (const h of world.hosts) {
    if (!k.startsWith(`${h.name}/`)) continue;
    if ((h.snapshot.docker?.networks ?? []).some((n) => key(h.name, n.name) === k)) return true;
    if (h.containers.some((c) => networksOf(c).includes(k))) return true;
  }
  return false;
}
