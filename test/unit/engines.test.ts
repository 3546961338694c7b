// Issue 23, case 8: `npm install` on Node 20 (the README's version) printed EBADENGINE warnings: a dependency's newest
// major wanted Node 22 (puppeteer-core 25, cookie 2 under fastify's light-my-request). Every package the lockfile
// installs accepts the oldest Node the README names, so a clean install there prints none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './fixtures.js';

type Version = [number, number, number];

/** The comparators npm's engines fields use (>=, >, <, <=, ^, ~, =, x-ranges, ||), over plain versions: enough for them. */
export function satisfies(v: Version, range: string): boolean {
  const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  return range.split('||').some((alt) => {
    const parts = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return parts.every((p) => {
      const m = /^(>=|<=|>|<|=|\^|~)?v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(p);
      if (!m) throw new Error(`an engines range this test does not read: ${range}`);
      const op = m[1] ?? '';
      const num = (s: string | undefined) => (s === undefined || s === 'x' || s === '*' ? null : Number(s));
      const [maj, min, pat] = [num(m[2]), num(m[3]), num(m[4])];
      if (maj === null) return true;
      const lo: Version = [maj, min ?? 0, pat ?? 0];
      const c = cmp(v, lo);
      switch (op) {
        case '>=': return c >= 0;
        case '>': return c > 0;
        case '<': return c < 0;
        case '<=': return c <= 0;
        case '^': return c >= 0 && v[0] === maj && (maj !== 0 || v[1] === min);
        case '~': return c >= 0 && v[0] === maj && (min === null || v[1] === min);
        default: return min === null ? v[0] === maj : pat === null ? v[0] === maj && v[1] === min : c === 0;
      }
    });
  });
}

describe('the Node version the README names', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /with Node\.js \d+ \((\d+)\.(\d+) or later\)/.exec(readme);

  it('is named in the Quick start', () => {
    expect(m).not.toBeNull();
  });

  it('the range reader reads the forms the lockfile holds', () => {
    expect(satisfies([20, 19, 0], '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies([20, 20, 2], '>=22.12.0')).toBe(false);
    expect(satisfies([20, 20, 2], '>=22')).toBe(false);
    expect(satisfies([20, 19, 0], '>= 10.x')).toBe(true);
    expect(satisfies([20, 19, 0], '6.* || 8.* || >= 10.*')).toBe(true);
    expect(satisfies([20, 19, 0], '>=20.19.0 <22.0.0 || >=22.12.0')).toBe(true);
    expect(satisfies([20, 18, 0], '^20.19.0')).toBe(false);
  });

  it('is accepted by netdiag and by every package the lockfile installs', () => {
    const floor: Version = [Number(m![1]), Number(m![2]), 0];
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(satisfies(floor, pkg.engines.node)).toBe(true);
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && typeof p.engines?.node === 'string' && !satisfies(floor, p.engines.node))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
