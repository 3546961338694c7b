// -4/-6 on why, fix, matrix and map, on captured hosts: one family asked is answered in that family everywhere, and a
// family the destination does not have is "no address of that family", never blocked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { listFixes } from '../../../actuation/fix.js';
import { why } from '../../../rules/why/why.js';
import { buildWorld } from '../../../rules/model/build.js';
import { PING } from '../../../rules/query/flow.js';
import { MapTopology, MatrixResult, WhyResult } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');
const V6OPEN = join(CAPTURED, 'ipv6/v6open.json');

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env: {}, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

describe('one family asked, answered in that family (v6open: IPv4 isolated, IPv6 open)', () => {
  it('why b4 a4 -4 is blocked over IPv4 and points at fix with -4', async () => {
    const r = await run(['why', 'b4', 'a4', '-4', '--snapshot', V6OPEN]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}next: netdiag fix b4 a4 -4\b/m);
    const j = WhyResult.strict().parse(JSON.parse((await run(['why', 'b4', 'a4', '-4', '--snapshot', V6OPEN, '--json'])).out));
    expect(j.askedFamilies).toEqual(['ipv4']);
    expect(j.addresses.map((a) => a.family)).toEqual(['ipv4']);
    expect(j.families).toEqual({ ipv4: 'blocked', ipv6: null });
  });

  it('without a family the same pair reaches (over IPv6), and the JSON says both were asked', async () => {
    const j = WhyResult.strict().parse(JSON.parse((await run(['why', 'b4', 'a4', '--snapshot', V6OPEN, '--json'])).out));
    expect(j.askedFamilies).toEqual(['ipv4', 'ipv6']);
    expect(j.verdict).toBe('reachable');
  });

  it('fix b4 a4 -4 lists IPv4 fixes instead of saying it already reaches over IPv6', async () => {
    const world = buildWorld([parseSnapshot(JSON.parse(readFileSync(V6OPEN, 'utf8')))]);
    expect(why(world, 'b4', 'a4', PING).verdict).toBe('reachable');
    const { answer, fixes } = listFixes({ world, from: 'b4', to: 'a4', flow: PING, families: [4] });
    expect(answer.verdict).toBe('blocked');
    expect(fixes.length).toBeGreaterThan(0);
    // Judged over IPv4 only: no prediction speaks for IPv6.
    expect(fixes.every((f) => f.predicted.families.ipv6 === null)).toBe(true);
    expect(fixes.some((f) => f.predicted.forward === 'reachable')).toBe(true);
    const r = await run(['fix', 'b4', 'a4', '-4', '--snapshot', V6OPEN]);
    expect(r.err).not.toContain('already reaches');
    expect(r.out.split('\n')[0]).toMatch(/^b4 → a4( \(ping\))?: blocked;/);
  });

  it('matrix -4 and -6 answer each family; map -4 draws nothing (isolation is the default), map -6 the paths between the networks', async () => {
    const pairs = async (flag: string) => MatrixResult.strict().parse(JSON.parse((await run(['matrix', flag, '--snapshot', V6OPEN, '--json'])).out)).pairs;
    const b4a4 = async (flag: string) => (await pairs(flag)).find((p) => p.from === 'b4' && p.to === 'a4')!;
    expect(await b4a4('-4')).toEqual({ from: 'b4', to: 'a4', verdict: 'blocked', addresses: [{ ip: '172.17.0.2', verdict: 'blocked' }] });
    expect(await b4a4('-6')).toEqual({ from: 'b4', to: 'a4', verdict: 'reachable', addresses: [{ ip: 'fd00:1::242:ac11:2', verdict: 'reachable' }] });
    const edges = async (flag: string) => MapTopology.parse(JSON.parse((await run(['map', flag, '--format', 'json', '--snapshot', V6OPEN])).out)).edges.map((e) => [e.from, e.to, e.share, e.code]);
    expect(await edges('-4')).toEqual([]);
    expect(await edges('-6')).toEqual([['v6open/bridge', 'v6open/net6', 'all', null], ['v6open/net6', 'v6open/bridge', 'all', null]]);
  });
});

describe('a family the pair does not have (the seed host has no IPv6)', () => {
  const NO_V6 = 'netdiag: redis-1 has no IPv6 address (it has 172.18.0.2 on net-redis) (ask without -6)\n';
  it('why -6: one line, exit 2, never "blocked"', async () => {
    const r = await run(['why', 'alpine-01', 'redis-1', '-6', '--snapshot', SEED]);
    expect(r).toEqual({ code: 2, out: '', err: NO_V6 });
    const j = await run(['why', 'alpine-01', 'redis-1', '-6', '--snapshot', SEED, '--json']);
    expect(j).toEqual({ code: 2, out: '', err: NO_V6 });
  });

  it('fix -6: the same line and exit, no fix listed', async () => {
    expect(await run(['fix', 'alpine-01', 'redis-1', '-6', '--snapshot', SEED])).toEqual({ code: 2, out: '', err: NO_V6 });
  });

  it('an address of the other family is refused the same way (a container\'s, or the host\'s)', async () => {
    expect((await run(['why', 'alpine-01', '172.18.0.2', '-6', '--snapshot', SEED])).err).toBe(NO_V6);
    const r = await run(['why', 'alpine-01', '172.17.0.1', '-6', '--snapshot', SEED]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('netdiag: 172.17.0.1 is an IPv4 address, and -6 asks about IPv6 only (ask without -6)\n');
  });

  it('matrix -6: every cell is no-address, in text and JSON, none blocked', async () => {
    const t = await run(['matrix', '-6', '--snapshot', SEED]);
    expect(t.code).toBe(0);
    expect(t.out).toContain('redis-1    redis-2    no IPv6 address\n');
    expect(t.out).not.toContain('blocked  ');
    expect(t.out).toContain('6 pairs: 0 reachable, 0 blocked, 0 unknown, 6 with no IPv6 address\n');
    const j = MatrixResult.strict().parse(JSON.parse((await run(['matrix', '-6', '--snapshot', SEED, '--json'])).out));
    expect(j.pairs).toHaveLength(6);
    expect(j.pairs.every((p) => p.verdict === 'no-address' && p.addresses.length === 0)).toBe(true);
    // Asked about IPv4 the same pairs are what they were: the new mark is only for the family missing.
    const four = MatrixResult.parse(JSON.parse((await run(['matrix', '-4', '--snapshot', SEED, '--json'])).out));
    expect(four.pairs.find((p) => p.from === 'redis-1' && p.to === 'redis-2')!.verdict).toBe('reachable');
  });

  it('map -6: no edge drawn blocked, each network says it has no IPv6 address', async () => {
    const m = MapTopology.parse(JSON.parse((await run(['map', '-6', '--format', 'json', '--snapshot', SEED])).out));
    expect(m.families).toEqual(['ipv6']);
    expect(m.edges).toEqual([]);
    const nets = m.hosts[0]!.networks.filter((n) => n.count > 0);
    expect(nets.map((n) => [n.name, n.flags.includes('no IPv6 address'), n.inside.total])).toEqual([['bridge', true, 0], ['net-redis', true, 0]]);
  });
});

describe('a source without the family (v6mixed: a6 dual-stack on the default bridge, c4 and d4 IPv4-only on net4)', () => {
  const MIXED = join(CAPTURED, 'ipv6/v6mixed.json');
  it('why c4 a6 -6: c4 cannot speak IPv6, said in one line, exit 2 — and so towards the host\'s IPv6 address', async () => {
    const err = 'netdiag: c4 has no IPv6 address (it has 172.31.0.2 on net4) (ask without -6)\n';
    expect(await run(['why', 'c4', 'a6', '-6', '--snapshot', MIXED])).toEqual({ code: 2, out: '', err });
    expect((await run(['why', 'c4', 'fd00:1::1', '--snapshot', MIXED])).err).toBe('netdiag: c4 has no IPv6 address (it has 172.31.0.2 on net4) (ask by an address of the family they share)\n');
  });
  it('why c4 a6 without a family walks only the family c4 has: a6\'s IPv6 address is not called blocked', async () => {
    const j = WhyResult.strict().parse(JSON.parse((await run(['why', 'c4', 'a6', '--snapshot', MIXED, '--json'])).out));
    expect(j.addresses.map((a) => [a.ip, a.verdict, a.decidedBy?.code])).toEqual([['172.17.0.2', 'blocked', 'isolation']]);
    expect(j.families).toEqual({ ipv4: 'blocked', ipv6: null });
  });
  it('matrix: IPv6 cells are no-address whichever end lacks it; without a family, only the shared family is listed', async () => {
    const six = MatrixResult.strict().parse(JSON.parse((await run(['matrix', '-6', '--snapshot', MIXED, '--json'])).out)).pairs;
    expect(six.map((p) => `${p.from}>${p.to} ${p.verdict}`)).toEqual(['a6>c4 no-address', 'a6>d4 no-address', 'c4>a6 no-address', 'c4>d4 no-address', 'd4>a6 no-address', 'd4>c4 no-address']);
    const both = MatrixResult.strict().parse(JSON.parse((await run(['matrix', '--snapshot', MIXED, '--json'])).out)).pairs;
    expect(both.find((p) => p.from === 'c4' && p.to === 'a6')).toEqual({ from: 'c4', to: 'a6', verdict: 'blocked', addresses: [{ ip: '172.17.0.2', verdict: 'blocked' }] });
    expect(both.find((p) => p.from === 'c4' && p.to === 'd4')!.verdict).toBe('reachable');
  });
});
