// Issue 27, no secrets served: `agent --snapshot` and `map --serve` serve saved snapshots through the collector's
// filter, so a snapshot holding every label (the lab's secrets host, collected with --keep-labels '*') is not served
// whole; --keep-labels on the agent serves more. And --keep-labels' bad values are one line, exit 2.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../agent/app.js';
import { ChangeLedger } from '../../../actuation/ledger.js';
import { createMetrics } from '../../../agent/metrics.js';
import { SnapshotStore } from '../../../agent/snapshot-store.js';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const keepAll = parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'secrets/keep-all.json'), 'utf8')));
const HASH = '$apr1$netdiag0$';

async function serve(store: SnapshotStore): Promise<{ snapshot: string; ui: string; map: string }> {
  const ledger = new ChangeLedger('/nonexistent/netdiag-review');
  const app = await buildApp({ store, metrics: createMetrics(store, ledger), ledger, token: null, stateDir: '', hostName: keepAll.name });
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    expect(r.statusCode, url).toBe(200);
    return r.body;
  };
  const out = { snapshot: await get('/v1/snapshot'), ui: await get('/ui'), map: await get('/v1/map?format=json') };
  await app.close();
  return out;
}

describe('saved snapshots served through the label filter', () => {
  it('the file holds Traefik\'s basic-auth users; /v1/snapshot, /ui and /v1/map do not', async () => {
    expect(JSON.stringify(keepAll)).toContain(HASH);
    const served = await serve(SnapshotStore.saved([keepAll]));
    for (const [route, body] of Object.entries(served)) expect(body, route).not.toContain(HASH);
    const snap = JSON.parse(served.snapshot);
    expect(snap.docker.dropped).toEqual({ labels: 4, options: 1, keepLabels: [] });
    expect(snap.docker.containers.find((c: { name: string }) => c.name === 'web').labels['com.docker.compose.service']).toBe('web');
  });

  it('with the agent\'s --keep-labels traefik.* the label is served, and the network vendor\'s still is not', async () => {
    const served = await serve(SnapshotStore.saved([keepAll], Date.now, ['traefik.*']));
    expect(served.snapshot).toContain(HASH);
    expect(served.snapshot).not.toContain('net-label-s3cret');
  });
});

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('--keep-labels on the command line', () => {
  it.each([
    [['snapshot', '--keep-labels', ''], 'netdiag: --keep-labels takes a glob of label keys (traefik.*), not an empty string\n'],
    [['agent', '--keep-labels', 'traefik.enable=true', '--snapshot', 'x.json'], 'netdiag: --keep-labels matches label keys, not values: "traefik.enable=true" holds \'=\'\n'],
  ])('%j: one line, exit 2, nothing collected or served', async (argv, line) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err).toBe(line);
    expect(io.out).toBe('');
  });

  it('agent --snapshot takes --keep-labels (it is not one of the live-only flags)', async () => {
    const io = captureIo();
    // A missing file is the next thing checked: the flag itself was accepted.
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-keep-'));
    expect(await main(['agent', '--keep-labels', 'traefik.*', '--snapshot', join(dir, 'none.json'), '--listen', '127.0.0.1:0'], io)).toBe(2);
    expect(io.err).not.toMatch(/keep-labels/);
    expect(io.err).toMatch(/none\.json/);
  });
});
