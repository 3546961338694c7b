// Issue 23, case 8: the agent printed a fastify deprecation (FSTDEP023) at start. The built CLI's agent, started on
// 127.0.0.1:0 without root, Docker or iproute2 (every collector that needs them says so and the agent still serves),
// answers /healthz and prints no warning or deprecation; SIGTERM ends it with 0.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../fixtures.js';

const CLI = join(REPO, 'dist/netdiag.mjs');

describe('netdiag agent at start', () => {
  it('listens on a free port, says which, and prints no warning, deprecation or stack trace', async () => {
    const state = mkdtempSync(join(tmpdir(), 'netdiag-agent-start-'));
    // No PATH and no Docker socket: nothing of this machine is read or run but /proc.
    const child = spawn(process.execPath, [CLI, 'agent', '--listen', '127.0.0.1:0', '--state-dir', state, '--refresh', '1m'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the agent did not start: ${stderr}`)), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    try {
      expect(port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
    const everything = `${stdout}\n${stderr}`;
    expect(everything).not.toMatch(/deprecat|warning|FSTDEP|\(node:\d+\)|^\s+at /im);
    // What it did print: its own lines, and fastify's JSON log.
    // Issue 27: the line says how it is reached and who may read.
    expect(stderr).toMatch(/^netdiag agent: host \S+, listening on 127\.0\.0\.1:\d+ \(http; reads open\), read-only \(no --token-file\)$/m);
    expect(stderr).toMatch(/^netdiag agent: SIGTERM, shutting down$/m);
  }, 30_000);
});
