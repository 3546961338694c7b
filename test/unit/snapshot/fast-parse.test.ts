// The fast snapshot parse returns exactly zod's result for every captured snapshot, and defers to zod on anything wrong.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fastParse, NOT_SURE } from '../../../snapshot/fast-parse.js';
import { HostSnapshot, SNAPSHOT_SCHEMA } from '../../../snapshot/host-snapshot.js';

const ROOT = join(__dirname, '../../..');
function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : f.endsWith('.json') ? [p] : [];
  });
}
const captured = [join(ROOT, 'examples/seed-host.json'), ...jsonFiles(join(ROOT, 'test/fixtures/captured'))]
  .map((f) => ({ f, json: JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown> }))
  .filter(({ json }) => json.schema === SNAPSHOT_SCHEMA);
const load = (name: string) => JSON.parse(readFileSync(join(ROOT, name), 'utf8')) as Record<string, unknown> & { docker: { containers: Record<string, unknown>[] }; links: { interfaces: Record<string, unknown>[] } };

describe('fastParse(HostSnapshot)', () => {
  it('gives zod\'s result, keys in zod\'s order, for every captured snapshot', () => {
    expect(captured.length).toBeGreaterThan(20);
    for (const { f, json } of captured) {
      const quick = fastParse(HostSnapshot, structuredClone(json));
      expect(quick, f).not.toBe(NOT_SURE);
      expect(JSON.stringify(quick), f).toBe(JSON.stringify(HostSnapshot.parse(json)));
    }
  });

  it('returns a snapshot already in zod\'s form as itself, uncopied', () => {
    const parsed = HostSnapshot.parse(load('test/fixtures/captured/reach/h1.json'));
    expect(fastParse(HostSnapshot, parsed)).toBe(parsed);
  });

  it('leaves out unknown keys, fills defaults and orders keys as zod does', () => {
    const s = load('test/fixtures/captured/reach/h1.json');
    (s.docker.containers[0] as Record<string, unknown>).secret = 'x';
    delete s.dns;
    const iface = s.links.interfaces[0] as Record<string, unknown>;
    const name = iface.name;
    delete iface.name;
    iface.name = name;
    const quick = fastParse(HostSnapshot, structuredClone(s));
    expect(JSON.stringify(quick)).toBe(JSON.stringify(HostSnapshot.parse(s)));
    expect(JSON.stringify(quick)).not.toContain('"secret"');
  });

  it('is not sure of any snapshot zod refuses, so zod gives the error', () => {
    const cases: [string, (s: ReturnType<typeof load>) => void][] = [
      ['an address out of range', (s) => ((s.links.interfaces[0] as { addresses: { local: string }[] }).addresses[0]!.local = '999.1.1.1')],
      ['a required key missing', (s) => delete s.docker.containers[0]!.name],
      ['a wrong type', (s) => (s.docker.containers[0]!.pid = 'one')],
      ['a value outside an enum', (s) => ((s as unknown as { collectors: { docker: { status: string } } }).collectors.docker.status = 'flying')],
      ['a non-integer where an integer goes', (s) => (s.links.interfaces[0]!.ifindex = 1.5)],
      ['a number for an object', (s) => ((s as Record<string, unknown>).links = 7)],
    ];
    for (const [what, spoil] of cases) {
      const s = load('test/fixtures/captured/reach/h1.json');
      spoil(s);
      expect(HostSnapshot.safeParse(structuredClone(s)).success, what).toBe(false);
      expect(fastParse(HostSnapshot, s), what).toBe(NOT_SURE);
    }
  });

  it('judges a leaf it has seen before as zod does, every file after the first (the verdicts it keeps)', () => {
    // Every captured snapshot once more, now that the leaves' verdicts are kept from the first pass.
    for (const { f, json } of captured) expect(JSON.stringify(fastParse(HostSnapshot, structuredClone(json))), f).toBe(JSON.stringify(HostSnapshot.parse(json)));
    // A value refused once is refused again, and a value taken before is still taken beside it.
    const bad = load('test/fixtures/captured/reach/h1.json');
    bad.links.interfaces[0]!.ifindex = 1.5;
    expect(fastParse(HostSnapshot, structuredClone(bad))).toBe(NOT_SURE);
    expect(fastParse(HostSnapshot, bad)).toBe(NOT_SURE);
    const good = load('test/fixtures/captured/reach/h1.json');
    expect(JSON.stringify(fastParse(HostSnapshot, structuredClone(good)))).toBe(JSON.stringify(HostSnapshot.parse(good)));
  });

  it('keeps -0 where zod keeps it, after a 0 of the same field', () => {
    const int = z.number().int();
    const s = z.object({ a: int, b: int });
    // An unknown key, so the object is copied and b is what the leaf returned.
    const r = fastParse(s, { a: 0, b: -0, unknown: 1 }) as { a: number; b: number };
    expect(Object.is(r.a, 0)).toBe(true);
    expect(Object.is(r.b, -0)).toBe(Object.is(s.parse({ a: 0, b: -0, unknown: 1 }).b, -0));
    expect(Object.is(r.b, -0)).toBe(true);
  });

  it('asks a refinement every time: its answer may change', () => {
    let calls = 0;
    const s = z.object({ name: z.string().refine(() => ++calls % 2 === 1) });
    expect(fastParse(s, { name: 'x' })).toEqual({ name: 'x' });
    expect(fastParse(s, { name: 'x' })).toBe(NOT_SURE);
    expect(calls).toBe(2);
  });

  it('gives an object of a schema nested in itself its own results (a recursive shape, keys to reorder at each level)', () => {
    const Node = z.object({
      name: z.string(),
      tag: z.enum(['a', 'b']).default('a'),
      get children() {
        return z.array(Node);
      },
    });
    const value = { children: [{ children: [{ children: [], name: 'leaf', tag: 'b' }], name: 'mid' }, { name: 'other', children: [] }], name: 'root', extra: 1 };
    const quick = fastParse(Node, structuredClone(value));
    expect(quick).not.toBe(NOT_SURE);
    expect(JSON.stringify(quick)).toBe(JSON.stringify(Node.parse(value)));
  });
});
