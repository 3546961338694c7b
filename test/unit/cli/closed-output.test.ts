// Issue 23, case 8: `netdiag matrix … | head -1` sometimes died with an EPIPE stack trace. The built CLI, on a real
// pipe whose reader goes away after the first chunk, ends quietly: nothing on stderr, exit 141 (a tool killed by SIGPIPE).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { REPO } from '../fixtures.js';
import { seedHost } from '../derive.js';

const CLI = join(REPO, 'dist/netdiag.mjs');
const dir = mkdtempSync(join(tmpdir(), 'netdiag-pipe-'));
/** 30 copies of the captured seed host, each under its own name: 90 containers, 8,010 pairs, ~300 kB of matrix (a pipe holds 64 kB). */
const HOSTS = Array.from({ length: 30 }, (_, i) => {
  const file = join(dir, `h${i}.json`);
  writeFileSync(file, JSON.stringify(seedHost(`h${i}`)));
  return ['--snapshot', file];
}).flat();

/** Run the built CLI with stdout on a pipe, read its first chunk, close the reader; its exit and everything on stderr. */
function readFirstChunkThenClose(args: string[]): Promise<{ code: number | null; signal: string | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let first = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      first = d.toString();
      // As `head -1` does once it has its line: the read end of the pipe is closed while netdiag is still writing.
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, first, stderr }));
  });
}

describe('a closed standard output ends the command quietly', () => {
  it.each([
    ['matrix (text)', ['matrix']],
    ['matrix --json', ['matrix', '--json']],
    ['matrix --format ndjson', ['matrix', '--format', 'ndjson']],
  ])('%s | head -1: exit 141, no stack trace', async (_name, args) => {
    // Several rounds: the failure was a race between netdiag's writes and the reader going away.
    for (let round = 0; round < 3; round++) {
      const r = await readFirstChunkThenClose([...args, ...HOSTS]);
      expect(r.first.length).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.signal).toBeNull();
      expect(r.code).toBe(EXIT.closedOutput);
    }
  }, 60_000);

  it('the whole matrix, read to the end, is more than the pipe holds (so the reader above did go away mid-write)', async () => {
    const child = spawn(process.execPath, [CLI, 'matrix', '--format', 'ndjson', ...HOSTS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => void (bytes += d.length));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(EXIT.ok);
    expect(bytes).toBeGreaterThan(4 * 65536);
  }, 60_000);
});
