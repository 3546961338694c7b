// Defect 6 from fuzzing, in a file of its own (it replaces a module): matrix --json that fails after streaming has
// begun still prints one whole document.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MatrixResult } from '../../../snapshot/contract.js';
import { REPO } from '../fixtures.js';
import { EXIT } from '../../../cli/exit-codes.js';

const SEED = join(REPO, 'examples/seed-host.json');
/** Pairs in one row: the seed's running containers but one. */
const ROW = (JSON.parse(readFileSync(SEED, 'utf8')) as { docker: { containers: { state: string }[] } }).docker.containers.filter((c) => c.state === 'running').length - 1;

function io() {
  const o = { out: '', err: '', isTTY: false, env: {}, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  return o;
}

// The first row is written, then the walk fails.
vi.mock('../../../present/matrix-text.js', async (orig) => {
  const real = (await orig()) as typeof import('../../../present/matrix-text.js');
  return {
    ...real,
    rowViews: function* (...args: Parameters<typeof real.rowViews>) {
      const rows = real.rowViews(...args);
      const first = rows.next(false);
      if (!first.done) yield first.value;
      throw new Error('injected failure');
    },
  };
});

describe('6. matrix --json that fails after streaming has begun', () => {
  it('still prints one whole JSON document, with the error in it, and exits 70 (a bug, not bad input)', async () => {
    const { main: fresh } = await import('../../../cli/main.js');
    const o = io();
    expect(await fresh(['matrix', '--snapshot', SEED, '--json'], o)).toBe(EXIT.internal);
    const doc = MatrixResult.parse(JSON.parse(o.out));
    // The seed host's first container's row: one pair towards each of the others.
    const row = ROW;
    expect(doc.pairs).toHaveLength(row);
    expect(new Set(doc.pairs.map((p) => p.from)).size).toBe(1);
    expect(doc.error?.message).toBe('injected failure');
    expect(o.err).toMatch(new RegExp(`the matrix stopped after ${row} pairs: injected failure`));
  });
  it('--format ndjson: the pairs so far, one per line, then the error as the last line', async () => {
    const { main: fresh } = await import('../../../cli/main.js');
    const o = io();
    expect(await fresh(['matrix', '--snapshot', SEED, '--format', 'ndjson'], o)).toBe(EXIT.internal);
    const lines = o.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(ROW + 1);
    expect(lines[0]).toMatchObject({ from: expect.any(String), to: expect.any(String), verdict: expect.any(String) });
    expect(lines[ROW]).toEqual({ error: { message: 'injected failure' } });
  });
});

