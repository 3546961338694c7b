// `why` and `matrix` through main(), on the seed host captured in the lab: the JSON contract and the exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { MatrixResult, WhyResult } from '../../../snapshot/contract.js';
import { REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');

function captureIo(env: NodeJS.ProcessEnv = {}, isTTY = false): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY, env, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

// The contract other tools rely on, exactly: no field missing, none added.
const WhyJson = WhyResult.strict();
const MatrixJson = MatrixResult.strict();

describe('netdiag why --snapshot', () => {
  it('blocked: exit 1, the deciding rule and fixes in the JSON', async () => {
    const io = captureIo();
    expect(await main(['why', 'alpine-01', 'redis-1', '--snapshot', SEED, '--json'], io)).toBe(1);
    const j = WhyJson.parse(JSON.parse(io.out));
    expect(j.verdict).toBe('blocked');
    expect(j.addresses[0]!.decidedBy).toMatchObject({ kind: 'rule', table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2', index: 1, code: 'isolation' });
    expect(j.fixes.length).toBeGreaterThan(0);
    expect(io.err).toBe('');
  });

  it('reachable: exit 0, same-bridge traffic let through by the ICC rule', async () => {
    const io = captureIo();
    expect(await main(['why', 'redis-1', 'redis-2', '--snapshot', SEED, '--json'], io)).toBe(0);
    const j = WhyJson.parse(JSON.parse(io.out));
    expect(j.addresses[0]!.decidedBy?.text).toMatch(/^-A FORWARD -i (br-\w+) -o \1 -j ACCEPT$/);
  });

  it('TCP to a published port through the host address goes through docker-proxy', async () => {
    const io = captureIo();
    expect(await main(['why', 'alpine-01', '172.17.0.1', '--port', '8080/tcp', '--snapshot', SEED, '--json'], io)).toBe(0);
    const a = WhyJson.parse(JSON.parse(io.out)).addresses[0]!;
    expect(a.deliveredTo).toMatch(/^redis-2 172\.18\.0\.\d+:80 \(through docker-proxy/);
    const steps = a.request.flatMap((h) => h.steps);
    expect(steps.find((s) => s.type === 'socket')).toMatchObject({ port: 8080, result: 'listening', process: expect.stringMatching(/^docker-proxy\b/) });
    expect(steps.find((s) => s.type === 'proxy')).toMatchObject({ listen: '0.0.0.0:8080/tcp', to: expect.stringMatching(/^redis-2 172\.18\.0\.\d+:80$/) });
  });

  it('human output: verdict first, the rule quoted, DNS, and the next step; no colour off a TTY', async () => {
    const io = captureIo();
    await main(['why', 'alpine-01', 'redis-1', '--snapshot', SEED], io);
    const lines = io.out.split('\n');
    expect(lines[0]).toBe('alpine-01 → redis-1 (ping): blocked');
    expect(io.out).toMatch(/-A DOCKER-ISOLATION-STAGE-2 -o br-\w+ -j DROP/);
    expect(io.out).toMatch(/name: the name redis-1 does not resolve from alpine-01/);
    expect(io.out).toMatch(/next: netdiag fix alpine-01 redis-1/);
    expect(io.out).not.toMatch(/\u001b\[/);
  });

  it('colours on a TTY, and not with NO_COLOR', async () => {
    const tty = captureIo({}, true);
    await main(['why', 'alpine-01', 'redis-1', '--snapshot', SEED], tty);
    expect(tty.out).toMatch(/\u001b\[31;1mblocked/);
    const plain = captureIo({ NO_COLOR: '1' }, true);
    await main(['why', 'alpine-01', 'redis-1', '--snapshot', SEED], plain);
    expect(plain.out).not.toMatch(/\u001b\[/);
  });

  it.each([
    [['why', 'nosuch', 'redis-1', '--snapshot', SEED], /^netdiag: no running container "nosuch" \(running: alpine-01, redis-1, redis-2\)\n$/],
    [['why', 'alpine-01', 'redis-1', '--port', '99999', '--snapshot', SEED], /^netdiag: --port takes PORT\/tcp or PORT\/udp/],
    [['why', 'alpine-01', 'redis-1', '--snapshot', '/nonexistent.json'], /^netdiag: cannot read the snapshot \/nonexistent.json: no such file or directory\n$/],
  ])('bad input %j: exit 2, one line', async (argv, message) => {
    const io = captureIo();
    expect(await main(argv as string[], io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(io.out).toBe('');
  });

  it('a malformed snapshot: exit 2, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schema: 'netdiag/snapshot@1', name: 'x' }));
    const io = captureIo();
    expect(await main(['why', 'a', 'b', '--snapshot', bad], io)).toBe(2);
    expect(io.err).toMatch(/^netdiag: .*bad\.json is not a netdiag\/snapshot@1 snapshot: collectedAt: /);
    writeFileSync(bad, '{"truncated": ');
    const io2 = captureIo();
    expect(await main(['why', 'a', 'b', '--snapshot', bad], io2)).toBe(2);
    expect(io2.err).toMatch(/bad\.json is not JSON \(it ends in the middle: cut short\?\)/);
  });
});

describe('netdiag matrix --snapshot', () => {
  it('prints every ordered pair with per-address verdicts', async () => {
    const io = captureIo();
    expect(await main(['matrix', '--snapshot', SEED, '--json'], io)).toBe(0);
    const j = MatrixJson.parse(JSON.parse(io.out));
    expect(j.pairs).toHaveLength(6);
    expect(j.pairs.filter((p) => p.verdict === 'reachable').map((p) => `${p.from}>${p.to}`).sort()).toEqual(['redis-1>redis-2', 'redis-2>redis-1']);
  });

  it('--format ndjson: the same pairs as --json, one object per line', async () => {
    const json = captureIo();
    await main(['matrix', '--snapshot', SEED, '--json'], json);
    const nd = captureIo();
    expect(await main(['matrix', '--snapshot', SEED, '--format', 'ndjson'], nd)).toBe(0);
    const lines = nd.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(JSON.parse(json.out).pairs);
    const bad = captureIo();
    expect(await main(['matrix', '--snapshot', SEED, '--format', 'csv'], bad)).toBe(2);
    expect(bad.err).toMatch(/--format "csv" is not a matrix format/);
  });

  it('human table with a summary line', async () => {
    const io = captureIo();
    await main(['matrix', '--snapshot', SEED], io);
    expect(io.out).toMatch(/^FROM\s+TO\s+VERDICT\n/);
    expect(io.out).toMatch(/\n6 pairs: 2 reachable, 4 blocked, 0 unknown\n$/);
  });
});
