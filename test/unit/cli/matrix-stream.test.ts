// Defect 6 from fuzzing, in a file of its own (it replaces a module): matrix --json that fails after streaming has
// begun still prints one whole document.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MatrixResult } from '../../../snapshot/contract.js';
import { REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');

function io() {
  const o = { out: '', err: '', isTTY: false, env: {}, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  return o;
}

vi.mock('../../../rules/matrix.js', async (orig) => {
  const real = (await orig()) as typeof import('../../../rules/matrix.js');
  return {
    ...real,
    pairRows: (w: Parameters<typeof real.pairRows>[0], f: Parameters<typeof real.pairRows>[1], visit: Parameters<typeof real.pairRows>[2], fam: Parameters<typeof real.pairRows>[3]) => {
      let n = 0;
      return real.pairRows(w, f, (p, shared) => {
        if (n++ === 2) throw new Error('injected failure');
        visit(p, shared);
      }, fam);
    },
  };
});

describe('6. matrix --json that fails after streaming has begun', () => {
  it('still prints one whole JSON document, with the error in it, and exits 2', async () => {
    const { main: fresh } = await import('../../../cli/main.js');
    const o = io();
    expect(await fresh(['matrix', '--snapshot', SEED, '--json'], o)).toBe(2);
    const doc = MatrixResult.parse(JSON.parse(o.out));
    expect(doc.pairs).toHaveLength(2);
    expect(doc.error?.message).toBe('injected failure');
    expect(o.err).toMatch(/the matrix stopped after 2 pairs: injected failure/);
  });
  it('--format ndjson: the pairs so far, one per line, then the error as the last line', async () => {
    const { main: fresh } = await import('../../../cli/main.js');
    const o = io();
    expect(await fresh(['matrix', '--snapshot', SEED, '--format', 'ndjson'], o)).toBe(2);
    const lines = o.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ from: expect.any(String), to: expect.any(String), verdict: expect.any(String) });
    expect(lines[2]).toEqual({ error: { message: 'injected failure' } });
  });
});

