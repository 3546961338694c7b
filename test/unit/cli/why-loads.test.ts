// What `netdiag why` loads before it knows whether the local agent answers: everything it imports statically runs
// before the first byte of an answer from the agent, so the collectors, the model, every other answer's schema, the
// snapshot's schema, node:crypto and node:child_process are loaded only where they are used (each cost ms at start).
// `why A B [--json]` goes the quick way (bin.ts → why-quick.ts): the executable itself loads neither zod nor
// commander before it knows the command line is that one, and the quick script not commander or the commands.
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, parse } from '../source-files.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Every module `file` loads statically (value imports, side-effect imports, re-exports), transitively. */
function staticClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (f.startsWith('node:') || !f.endsWith('.ts')) return;
    for (const { spec, typeOnly, form } of importsOf(parse(ROOT, f))) {
      if (typeOnly || form === 'dynamic') continue;
      visit(spec.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, f)), spec)).replace(/\.js$/, '.ts') : spec);
    }
  };
  visit(file);
  return seen;
}

const heavy = (loaded: Set<string>) => [...loaded].filter((m) => m.startsWith('collectors/') || m.startsWith('rules/model/') || m.startsWith('rules/changes/') || m.startsWith('host/exec') || m === 'snapshot/contract.ts' || m === 'snapshot/host-snapshot.ts' || /^snapshot\/contract\/(map|plan|apply|probe|matrix)\.ts$/.test(m) || m === 'node:crypto' || m === 'node:child_process');

describe('the executables before they know the command', () => {
  // launch.ts: package.json's bin (CommonJS); bin.ts: the same CLI as an ES module (dist/netdiag.mjs).
  for (const entry of ['cli/launch.ts', 'cli/bin.ts']) {
    it(`${entry} loads no zod, no commander, no command, no contract: the command line is read by quick-args.ts alone`, () => {
      const loaded = staticClosure(entry);
      expect(loaded).toContain('cli/quick-args.ts');
      expect(loaded).toContain('cli/code-cache.ts');
      const more = [...loaded].filter((m) => m === 'zod' || m === 'commander' || m.startsWith('cli/commands/') || m.startsWith('snapshot/') || m === 'cli/main.ts' || m === 'cli/local-agent.ts' || m === 'node:http');
      expect(more).toEqual([]);
    });
  }
});

describe('the quick path (why A B [--json]) before the agent answers', () => {
  const loaded = staticClosure('cli/why-quick.ts');

  it('loads the why and fixes answers\' schemas and zod jitless, and reads the answer over node:http', () => {
    for (const m of ['snapshot/contract/why.ts', 'snapshot/contract/changes.ts', 'cli/local-agent.ts', 'cli/commands/why-jitless.ts', 'node:http', 'zod']) expect(loaded, m).toContain(m);
  });

  it('does not load commander, the whole CLI, the collectors, the model, other answers\' schemas, node:crypto or node:child_process', () => {
    expect(heavy(loaded)).toEqual([]);
    expect([...loaded].filter((m) => m === 'commander' || m === 'cli/main.ts' || m === 'cli/commands/why.ts' || m === 'cli/sources.ts')).toEqual([]);
  });
});

describe('why before the agent answers', () => {
  const loaded = staticClosure('cli/commands/why.ts');

  it('loads the why and fixes answers\' schemas (an agent\'s answer is checked against them), and reads it over node:http', () => {
    for (const m of ['snapshot/contract/why.ts', 'snapshot/contract/changes.ts', 'cli/local-agent.ts', 'node:http', 'zod']) expect(loaded, m).toContain(m);
  });

  it('does not load the collectors, the model, other answers\' schemas, the snapshot\'s, node:crypto or node:child_process', () => {
    expect(heavy(loaded)).toEqual([]);
  });
});
