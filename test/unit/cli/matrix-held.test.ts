// matrix --json/--format ndjson write each row straight from its template: when stdout still holds the bytes (a
// pipe that did not take them), the template must be copied before the next row changes it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { MatrixResult } from '../../../snapshot/contract.js';
import { CAPTURED, REPO } from '../fixtures.js';

const SNAPSHOTS = [join(CAPTURED, 'reach/h1.json'), join(CAPTURED, 'reach/h2.json'), join(REPO, 'examples/seed-host.json')];

/** An Io that keeps the buffers it is given, as a stream with a full pipe does, and says whether it still holds them. */
function keeping(held: boolean) {
  const chunks: Uint8Array[] = [];
  const o = {
    isTTY: false,
    env: {},
    err: '',
    stdout: (t: string) => void chunks.push(Buffer.from(t, 'utf8')),
    stderr: (t: string) => void (o.err += t),
    stdoutBytes: (b: Uint8Array) => void chunks.push(b),
    stdoutHeld: () => held,
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
  return o;
}

/** An Io that copies what it is given at once (a write the OS took whole). */
function copying() {
  const o = { ...keeping(false), out: '' };
  o.stdoutBytes = (b: Uint8Array) => void (o.out += Buffer.from(b).toString('utf8'));
  o.stdout = (t: string) => void (o.out += t);
  o.text = () => o.out;
  return o;
}

const args = (format: string[]) => ['matrix', ...format, ...SNAPSHOTS.flatMap((f) => ['--snapshot', f])];

describe('matrix rows written from their templates', () => {
  it.each([[['--json']], [['--format', 'ndjson']]])('%j: a stdout that holds every row gets the same bytes as one that copies them', async (format) => {
    const want = copying();
    const wantCode = await main(args(format), want);
    const got = keeping(true);
    expect(await main(args(format), got)).toBe(wantCode);
    expect(got.text()).toBe(want.text());
    // Every pair of the three captured hosts, once each, as the contract has them.
    const n = 8 + 3 + 3;
    const pairs = format[0] === '--json' ? MatrixResult.parse(JSON.parse(got.text())).pairs : got.text().trimEnd().split('\n').map((l) => JSON.parse(l) as { from: string; to: string });
    expect(pairs).toHaveLength(n * (n - 1));
    expect(new Set(pairs.map((p) => `${p.from} ${p.to}`)).size).toBe(n * (n - 1));
  });
  it('a stdout that keeps the buffers but says it took them shows why the copy is needed: rows change under it', async () => {
    const want = copying();
    await main(args(['--format', 'ndjson']), want);
    const wrong = keeping(false);
    await main(args(['--format', 'ndjson']), wrong);
    expect(wrong.text()).not.toBe(want.text());
  });
});
