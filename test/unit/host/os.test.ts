// A socket table is read in one read() when it ends short of a page, and to the end otherwise: the same text either way.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSmallFile, readWalkedTable } from '../../../host/os.js';

describe('tables the kernel walks (/proc/PID/net/…)', () => {
  it('a short one is read whole in one read', async () => {
    // ptype: the packet handlers, a few lines that do not change while a test runs.
    const path = `/proc/${process.pid}/net/ptype`;
    expect(readFileSync(path, 'utf8').length).toBeGreaterThan(0);
    expect(await readSmallFile(path)).toBe(readFileSync(path, 'utf8'));
  });

  it('a long one is read to its end, past the first read', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'netdiag-os-')), 'table');
    const text = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(4)}: ${'0123456789ABCDEF'.repeat(9)}\n`).join('');
    writeFileSync(path, text);
    expect(text.length).toBeGreaterThan(200_000);
    expect(await readWalkedTable(path)).toBe(text);
  });

  it('one that does not exist is null', async () => {
    expect(await readSmallFile('/proc/999999999/net/tcp')).toBeNull();
  });
});
