// The fast snapshot parse returns exactly zod's result for every captured snapshot, and defers to zod on anything wrong.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
