// The code cache the quick path runs from (cli/code-cache.ts): written after a run, read by the next, and a cache that
// is garbage, made under other flags or cannot be written is compiled past, never an error.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDirs, cacheName, runCached, trustedPath } from '../../../cli/code-cache.js';

/** A script like the quick one: CommonJS, named by a hash, with a function the run compiles. */
function script(dir: string, name = 'why-quick-AAAA1111.cjs', body = 'module.exports = { twice: (x) => x * 2, dir: __dirname, viaRequire: typeof require("node:path").join };'): string {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
}

describe('the code cache', () => {
  it('is written beside the script after the first run and compiled from at the next', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    const f = script(dir);
    const first = runCached<{ twice(x: number): number; dir: string; viaRequire: string }>(f, {});
    expect(first.fromCache).toBe(false);
    expect(first.exports.twice(21)).toBe(42);
    expect(first.exports.dir).toBe(dir);
    expect(first.exports.viaRequire).toBe('function');
    first.keep();
    expect(readdirSync(join(dir, '.v8-cache'))).toEqual([cacheName(f)]);
    const second = runCached<{ twice(x: number): number }>(f, {});
    expect(second.fromCache).toBe(true);
    expect(second.exports.twice(4)).toBe(8);
  });

  it('a cache V8 refuses (garbage) is compiled past and rewritten', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    const f = script(dir);
    mkdirSync(join(dir, '.v8-cache'));
    writeFileSync(join(dir, '.v8-cache', cacheName(f)), 'not a cache');
    const r = runCached<{ twice(x: number): number }>(f, {});
    expect(r.fromCache).toBe(false);
    expect(r.exports.twice(1)).toBe(2);
    r.keep();
    expect(runCached(f, {}).fromCache).toBe(true);
  });

  it('beside the script not writable: the user\'s cache directory; nowhere writable: no cache, no error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    const f = script(dir);
    // A file where the directory would go: nobody, root included, can make it.
    writeFileSync(join(dir, '.v8-cache'), '');
    const home = mkdtempSync(join(tmpdir(), 'netdiag-home-'));
    expect(cacheDirs(f, { HOME: home })).toEqual([join(dir, '.v8-cache'), join(home, '.cache', 'netdiag', 'v8-cache')]);
    const r = runCached(f, { HOME: home });
    r.keep();
    expect(readdirSync(join(home, '.cache', 'netdiag', 'v8-cache'))).toEqual([cacheName(f)]);
    expect(runCached(f, { HOME: home }).fromCache).toBe(true);
    const nowhere = runCached(f, {});
    expect(() => nowhere.keep()).not.toThrow();
    expect(nowhere.fromCache).toBe(false);
  });

  it('an earlier build\'s cache is removed when this build\'s is written; this build\'s under other flags stays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    mkdirSync(join(dir, '.v8-cache'));
    const old = 'why-quick-OLD00000.cjs.v20.0.0-x64-0.v8';
    const f = script(dir, 'why-quick-NEW11111.cjs');
    const otherFlags = `why-quick-NEW11111.cjs.${process.version}-${process.arch}-ffffffff.v8`;
    for (const n of [old, otherFlags]) writeFileSync(join(dir, '.v8-cache', n), 'x');
    runCached(f, {}).keep();
    expect(readdirSync(join(dir, '.v8-cache')).sort()).toEqual([cacheName(f), otherFlags].sort());
  });

  it('a cache directory others may write is neither read nor written: V8 would run whatever is put there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    const f = script(dir);
    runCached(f, {}).keep();
    expect(runCached(f, {}).fromCache).toBe(true);
    chmodSync(join(dir, '.v8-cache'), 0o777);
    expect(runCached(f, {}).fromCache).toBe(false);
    chmodSync(join(dir, '.v8-cache'), 0o755);
    chmodSync(join(dir, '.v8-cache', cacheName(f)), 0o666);
    expect(runCached(f, {}).fromCache).toBe(false);
  });

  it("trusts a path owned by the user or by root only (sudo may keep an ordinary user's HOME)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-cc-'));
    const file = join(dir, 'x');
    writeFileSync(file, '', { mode: 0o644 });
    const me = process.geteuid?.() ?? 0;
    expect(trustedPath(file, me)).toBe(true);
    expect(trustedPath(join(dir, 'absent'), me)).toBe(false);
    if (me === 0) {
      // Root made it: everyone may trust it. Another user's file: root does not, and neither does a third user.
      expect(trustedPath(file, 1000)).toBe(true);
      chownSync(file, 65534, 65534);
      expect(trustedPath(file, 0)).toBe(false);
      expect(trustedPath(file, 1000)).toBe(false);
      expect(trustedPath(file, 65534)).toBe(true);
    } else {
      expect(trustedPath(file, me + 1)).toBe(false);
    }
  });
});
