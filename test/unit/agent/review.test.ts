// Issue 26, offline review: `netdiag agent --snapshot FILE…` and `netdiag map --serve --snapshot FILE…` serve the web
// view over saved snapshots without Docker (the built binary, no PATH, no Docker socket); bad input is one line, exit 2.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { REPO } from '../fixtures.js';

const CLI = join(REPO, 'dist/netdiag.mjs');
const SEED = join(REPO, 'examples/seed-host.json');
const H1 = join(REPO, 'test/fixtures/captured/swarm/a-h1.json');
const H2 = join(REPO, 'test/fixtures/captured/swarm/a-h2.json');

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

async function refused(argv: string[]): Promise<string> {
  const io = captureIo();
  expect(await main(argv, io)).toBe(2);
  expect(io.out).toBe('');
  // One line (its hint on a second, as every usage error), no stack trace.
  expect(io.err).not.toMatch(/^\s+at /m);
  return io.err;
}

describe('offline review: bad input is one line and exit 2', () => {
  it('a malformed snapshot file', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'netdiag-review-')), 'bad.json');
    writeFileSync(bad, '{"name": "h1", ');
    expect(await refused(['agent', '--snapshot', bad, '--listen', '127.0.0.1:0'])).toMatch(new RegExp(`^netdiag: .*${bad.replace(/[.]/g, '\\.')}`));
    expect(await refused(['map', '--serve', '--snapshot', bad, '--listen', '127.0.0.1:0'])).toMatch(/bad\.json/);
  });

  it('a port in use', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      expect(await refused(['agent', '--snapshot', SEED, '--listen', `127.0.0.1:${port}`])).toMatch(new RegExp(`^netdiag: 127\\.0\\.0\\.1:${port} is already in use`));
      expect(await refused(['map', '--serve', '--snapshot', SEED, '--listen', `127.0.0.1:${port}`])).toMatch(/is already in use/);
    } finally {
      taken.close();
    }
  });

  it('options that promise what saved snapshots cannot do', async () => {
    expect(await refused(['agent', '--snapshot', SEED, '--token-file', '/etc/hostname'])).toMatch(/^netdiag: --snapshot serves saved snapshots read-only: --token-file does not apply/);
    expect(await refused(['map', '--serve'])).toMatch(/^netdiag: --serve needs --snapshot FILE/);
    expect(await refused(['map', '--serve', '--format', 'dot', '--snapshot', SEED])).toMatch(/--format does not apply/);
    expect(await refused(['map', '--listen', '127.0.0.1:0', '--snapshot', SEED])).toMatch(/^netdiag: --listen goes with --serve/);
    expect(await refused(['map', '--insecure-http', '--snapshot', SEED])).toMatch(/^netdiag: --insecure-http goes with --serve/);
  });

  it('beyond loopback, plain HTTP only knowingly: map --serve and agent --snapshot as the live agent', async () => {
    for (const cmd of [['map', '--serve'], ['agent']]) {
      expect(await refused([...cmd, '--snapshot', SEED, '--listen', '0.0.0.0:0'])).toBe('netdiag: refusing to serve plain HTTP on 0.0.0.0: anyone on the network could read this host\'s snapshot (give --web-config with a tls_server_config, or --insecure-http to accept that, or listen on 127.0.0.1)\n');
    }
  });
});

/** Start the built CLI, wait for its "serving" line, give its port. */
async function serving(args: string[]): Promise<{ port: number; stop: () => Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock', NO_COLOR: '1' } });
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /read-only on http:\/\/127\.0\.0\.1:(\d+)\/ui/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await closed, stderr };
    },
  };
}

describe('offline review from the built binary, without Docker', () => {
  it.each([
    ['agent', ['agent', '--listen', '127.0.0.1:0', '--snapshot', H1, '--snapshot', H2]],
    ['map --serve', ['map', '--serve', '--listen', '127.0.0.1:0', '--snapshot', H1, '--snapshot', H2]],
  ])('%s over the swarm captures: /ui, /v1/status in snapshot mode, the grid across both hosts, no apply; SIGTERM exits 0', async (who, args) => {
    const s = await serving(args);
    try {
      const base = `http://127.0.0.1:${s.port}`;
      const ui = await fetch(`${base}/ui`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<html/i);
      expect(await (await fetch(`${base}/v1/status`)).json()).toMatchObject({ mode: 'snapshot', readOnly: true, hosts: [{ name: 'h1' }, { name: 'h2' }] });
      const grid = (await (await fetch(`${base}/v1/grid`)).json()) as { networks: { host: string }[] };
      expect(new Set(grid.networks.map((n) => n.host))).toEqual(new Set(['h1', 'h2']));
      expect((await fetch(`${base}/v1/fixes/fx-12345678/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    } finally {
      const { code, stderr } = await s.stop();
      expect(code).toBe(0);
      expect(stderr).toMatch(new RegExp(`^netdiag ${who === 'agent' ? 'agent' : 'map'}: serving snapshots of 2 hosts \\(h1, h2\\) read-only on http://127\\.0\\.0\\.1:\\d+/ui$`, 'm'));
      expect(stderr).not.toMatch(/deprecat|FSTDEP|\(node:\d+\)|^\s+at /im);
    }
  }, 30_000);
});
