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
    eachPair: (w: Parameters<typeof real.eachPair>[0], f: Parameters<typeof real.eachPair>[1], visit: Parameters<typeof real.eachPair>[2]) => {
      let n = 0;
      return real.eachPair(w, f, (p) => {
        if (n++ === 2) throw new Error('injected failure');
        visit(p);
      });
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
});

