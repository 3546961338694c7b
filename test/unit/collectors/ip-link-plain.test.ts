// The hand check of an `ip -j -d addr` entry (ip-link-plain.ts) gives zod's result for every captured entry, and
// never accepts what zod refuses: each field of each captured entry, set to each wrong kind of value, is zod's to judge.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainIpLink } from '../../../collectors/ip-link-plain.js';
import { IpLink } from '../../../collectors/iproute-json.js';
import { CAPTURED } from '../fixtures.js';

/** Every link iproute2 printed in the captured recordings: hosts' (`ip -j -d addr show`) and namespaces' (first batch line). */
function capturedLinks(): unknown[] {
  const out: unknown[] = [];
  const files = readdirSync(CAPTURED, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('recording.json'));
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(CAPTURED, f), 'utf8')) as { commands: Record<string, { stdout: string; exitCode: number }> };
    for (const [cmd, r] of Object.entries(rec.commands)) {
      if (r.exitCode !== 0) continue;
      if (cmd.endsWith('ip -j -d addr show')) out.push(...(JSON.parse(r.stdout) as unknown[]));
      else if (cmd.endsWith('ip -j -d -4 -batch -')) out.push(...(JSON.parse(r.stdout.split('\n')[0] as string) as unknown[]));
    }
  }
  return out;
}

/** Every path to a value inside an entry (objects and arrays walked), as key lists. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null) return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k]))];
}

function withValue(entry: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(entry);
  if (path.length === 0) return value;
  let o = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy;
}

describe('an ip link entry checked by hand', () => {
  const links = capturedLinks();

  it('every captured entry (veths, bridges, vxlan, macvlan, loopback…) passes, and is what zod returns', () => {
    expect(links.length).toBeGreaterThan(40);
    for (const l of links) {
      const plain = plainIpLink(l);
      expect(plain, JSON.stringify(l).slice(0, 80)).not.toBeNull();
      expect(plain).toEqual(IpLink.parse(l));
    }
  });

  it('defaults are zod\'s when iproute2 leaves a field out', () => {
    const l = links[0] as Record<string, unknown>;
    for (const k of ['flags', 'mtu', 'addr_info']) {
      const without = withValue(l, [k], undefined);
      expect(plainIpLink(without)).toEqual(IpLink.parse(without));
    }
  });

  it('any field made wrong (null, a string, a fraction, a negative, a boolean, a list, an object, left out) is never accepted where zod refuses it', () => {
    const wrong = [null, 'x', 1.5, -1, true, [], {}, undefined, 2 ** 60];
    let refused = 0;
    let tried = 0;
    for (const l of links.slice(0, 60)) {
      for (const p of paths(l)) {
        for (const v of wrong) {
          const entry = withValue(l, p, v);
          const z = IpLink.safeParse(entry);
          const plain = plainIpLink(entry);
          tried++;
          if (!z.success) {
            refused++;
            expect(plain, `${p.join('.')} = ${JSON.stringify(v)}`).toBeNull();
          } else if (plain !== null) expect(plain, `${p.join('.')} = ${JSON.stringify(v)}`).toEqual(z.data);
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(tried).toBeGreaterThan(1000);
  });
});
