// The floors: every import goes down (snapshot ← host ← collectors → rules → present, actuation → faces), never up or sideways.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importsOf, parse, plantedTree, sources } from './source-files.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FLOORS = ['snapshot', 'host', 'collectors', 'rules', 'present', 'actuation', 'cli', 'agent'] as const;
type Floor = (typeof FLOORS)[number];

/** What each floor may import from the project (besides itself); npm packages and node: are checked separately. */
const ALLOWED: Record<Floor, Floor[]> = {
  snapshot: [],
  host: ['snapshot'],
  collectors: ['snapshot', 'host'],
  rules: ['snapshot'],
  present: ['snapshot', 'rules'],
  actuation: ['snapshot', 'host', 'collectors', 'rules'],
  cli: ['snapshot', 'host', 'collectors', 'rules', 'present', 'actuation'],
  agent: ['snapshot', 'host', 'collectors', 'rules', 'present', 'actuation'],
};

/** The one sanctioned exception: `netdiag agent` starts the server. */
const EXCEPTIONS = new Set(['cli/commands/agent.ts -> agent/server.ts']);

/** npm packages each floor may use: rules/ stays pure (no I/O libraries), snapshot/ is schemas only. */
const PACKAGES: Record<Floor, string[] | 'any'> = {
  snapshot: ['zod'],
  host: ['dockerode', 'ipaddr.js'],
  collectors: ['zod', 'ipaddr.js', 'dockerode'],
  rules: ['zod', 'ipaddr.js'],
  // @viz-js/viz is Graphviz compiled to WebAssembly: DOT in, SVG out, nothing touched on the host.
  present: ['@viz-js/viz'],
  actuation: ['zod'],
  cli: 'any',
  agent: 'any',
};

/** node: modules that touch the system: only host/ (and the faces, for their own files and sockets) use them. */
const SYSTEM_MODULES = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'node:os', 'node:dgram', 'node:http', 'node:https'];

const floorOf = (file: string): Floor | null => (FLOORS as readonly string[]).find((f) => file.startsWith(`${f}/`)) as Floor | undefined ?? null;

const allSources = (root: string) => FLOORS.flatMap((f) => sources(root, f));

/** Every import of every file below `root` that breaks a floor, a package list or the system-module rule. */
function violations(root: string): string[] {
  const out: string[] = [];
  for (const floor of FLOORS) {
    for (const file of sources(root, floor)) {
      for (const { spec, line, form } of importsOf(parse(root, file))) {
        const where = `${file}:${line} (${floor}, ${form})`;
        if (spec.startsWith('<computed')) {
          out.push(`${where} imports ${spec}: a computed specifier cannot be checked`);
          continue;
        }
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(join(root, file)), spec)).replace(/\.js$/, '.ts');
          const to = floorOf(target);
          if (to === null) out.push(`${where} imports ${target}, outside every floor`);
          else if (to !== floor && !ALLOWED[floor].includes(to) && !EXCEPTIONS.has(`${file} -> ${target}`)) out.push(`${where} imports ${target} (${to})`);
          continue;
        }
        if (spec.startsWith('node:')) {
          if ((floor === 'rules' || floor === 'present' || floor === 'snapshot' || floor === 'collectors') && SYSTEM_MODULES.includes(spec)) out.push(`${where} uses ${spec}: only host/ touches the system`);
          continue;
        }
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        const allowed = PACKAGES[floor];
        if (allowed !== 'any' && !allowed.includes(pkg)) out.push(`${where} uses the package ${pkg}`);
      }
    }
  }
  return out;
}

/** Mutating host calls: only host/mutate.ts makes them and only actuation/ asks for them (importing host/mutate.ts). */
function mutationsOutsideActuation(root: string): string[] {
  const out: string[] = [];
  // A program run with arguments that change a host (rule changes, sysctl writes, route changes), or Docker's network changes.
  const runs = /\b(exec|runCommand|run|iptables)\(/;
  const mutating = [
    /['"]-[IDAFXNPRZ]['"]/,
    /['"]sysctl['"][^\n]*['"]-w['"]/,
    /['"]route['"],\s*['"](add|del|replace|change)['"]/,
    /['"]nft['"][^\n]*['"]-f['"]/,
  ];
  const docker = /\.(connect|disconnect)\(\s*\{\s*Container/;
  for (const floor of FLOORS) {
    for (const file of sources(root, floor)) {
      const text = readFileSync(join(root, file), 'utf8');
      if (file !== 'host/mutate.ts' && floor !== 'actuation') {
        text.split('\n').forEach((line, i) => {
          if ((runs.test(line) && mutating.some((re) => re.test(line))) || docker.test(line)) out.push(`${file}:${i + 1} changes the host; only actuation/, through host/mutate.ts, may`);
        });
      }
      if (floor === 'actuation' || file === 'host/mutate.ts') continue;
      // Any form that loads the module counts (a side-effect or dynamic import too); a type-only one runs nothing.
      const loadsMutate = importsOf(parse(root, file)).some(({ spec, typeOnly }) => !typeOnly && spec.startsWith('.') && relative(root, resolve(dirname(join(root, file)), spec)) === 'host/mutate.js');
      if (loadsMutate) out.push(`${file} (${floor}) imports host/mutate.ts; only actuation/ changes a host`);
    }
  }
  return out;
}

/**
 * The project's imports as a graph: file → the project files it names, in every form the reader knows. Type-only
 * imports count: they run nothing, but two modules that need each other's definitions are one idea split in two,
 * neither readable nor movable to another floor alone (the doctor's circle through its `Finding` type was all types).
 */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of allSources(root)) {
    const targets = importsOf(parse(root, file))
      .filter(({ spec }) => spec.startsWith('.'))
      .map(({ spec }) => relative(root, resolve(dirname(join(root, file)), spec)).replace(/\.js$/, '.ts'))
      .filter((t) => existsSync(join(root, t)));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** The shortest way from `from` back to `to` inside `within`, as files in order (`from` first), or null. */
function shortestPath(graph: Map<string, string[]>, from: string, to: string, within: Set<string>): string[] | null {
  const before = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i] as string;
    for (const next of graph.get(at) ?? []) {
      if (!within.has(next)) continue;
      if (next === to) {
        const path = [at];
        for (let p = before.get(at); p !== undefined; p = before.get(p)) path.unshift(p);
        return path;
      }
      if (next === from || before.has(next)) continue;
      before.set(next, at);
      queue.push(next);
    }
  }
  return null;
}

/**
 * Every import circle below `root`, each as its files in order, back to the first (`a.ts -> b.ts -> a.ts`). The
 * strongly connected groups of files (Tarjan) are the circles' extent; in each, the shortest circle through every file
 * not yet on one is reported, so a group is shown whole without listing every one of its (possibly many) loops.
 */
function importCircles(root: string): string[] {
  const graph = importGraph(root);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w);
      group.push(w);
    }
    groups.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  const out: string[] = [];
  for (const group of groups) {
    const within = new Set(group);
    // A group of one is a circle only when the file imports itself.
    if (group.length === 1 && !(graph.get(group[0] as string) ?? []).includes(group[0] as string)) continue;
    const shown = new Set<string>();
    for (const file of group) {
      if (shown.has(file)) continue;
      const path = shortestPath(graph, file, file, within) ?? [file];
      path.forEach((f) => shown.add(f));
      out.push([...path, file].join(' -> '));
    }
  }
  return out.sort();
}

/** Modules without the one-line `// ` header saying what they are. */
function missingHeaders(root: string): string[] {
  return allSources(root).filter((f) => !/^(#![^\n]*\n)?\/\/ \S/.test(readFileSync(join(root, f), 'utf8')));
}

/** Files in rules/walk/ over 250 lines. */
function longWalkFiles(root: string): (readonly [string, number])[] {
  return sources(root, 'rules/walk').map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 250);
}

describe('architecture', () => {
  it('every floor exists', () => {
    for (const f of FLOORS) expect(statSync(join(ROOT, f)).isDirectory(), f).toBe(true);
  });

  it('imports only go down the floors (and faces never import each other)', () => {
    expect(violations(ROOT)).toEqual([]);
  });

  it('only actuation/ changes a host (through host/mutate.ts)', () => {
    expect(mutationsOutsideActuation(ROOT)).toEqual([]);
  });

  it('no file in rules/walk/ is over 250 lines', () => {
    expect(longWalkFiles(ROOT)).toEqual([]);
  });

  it('every module starts with a one-line header saying what it is', () => {
    expect(missingHeaders(ROOT)).toEqual([]);
  });

  it('no import circle anywhere, type-only imports included', () => {
    expect(importCircles(ROOT)).toEqual([]);
  });

  it('the real tree yields imports of every kind to check (the reader is not silently matching nothing)', () => {
    const all = allSources(ROOT).flatMap((f) => importsOf(parse(ROOT, f)));
    expect(all.filter((i) => i.spec.startsWith('.')).length).toBeGreaterThan(100);
    const forms = new Set(all.map((i) => i.form));
    for (const form of ['import', 'dynamic', 'import-type'] as const) expect(forms.has(form), form).toBe(true);
    // The circle check sees the same imports resolved to files, not an empty graph.
    expect([...importGraph(ROOT).values()].flat().length).toBeGreaterThan(100);
  });
});

describe('the architecture checker on a planted tree', () => {
  const { root, plant } = plantedTree('netdiag-arch-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // Files the violating ones name, and imports that are allowed: only the planted violations may be reported.
  for (const f of ['snapshot/contract.ts', 'host/exec.ts', 'host/mutate.ts', 'collectors/run.ts', 'collectors/collector.ts', 'present/page.ts', 'actuation/apply.ts', 'cli/main.ts', 'agent/server.ts', 'agent/app.ts']) plant(f, '// planted\nexport const x = 1;\n');
  plant('rules/fine.ts', "// allowed: down to snapshot/, a listed package, node:crypto\nimport { x } from '../snapshot/contract.js';\nimport { createHash } from 'node:crypto';\nimport ipaddr from 'ipaddr.js';\nexport * from '../snapshot/contract.js';\nexport const y = [x, ipaddr, createHash] as const;\n");
  plant('cli/commands/agent.ts', "// the sanctioned exception\nimport { x } from '../../agent/server.js';\nexport const y = x;\n");
  plant('rules/side-effect.ts', "// a side-effect import of a face\nimport '../cli/main.js';\n");
  plant('rules/reexport.ts', "// export … from collectors/\nexport { x } from '../collectors/run.js';\n");
  plant('rules/reexport-all.ts', "// export * from collectors/\nexport * from '../collectors/collector.js';\n");
  plant('rules/dynamic.ts', "// a dynamic import of agent/\nexport const load = () => import('../agent/server.js');\n");
  plant('rules/computed.ts', "// a computed dynamic import\nconst where = '../agent/app.js';\nexport const load = () => import(where);\n");
  plant('rules/multi-line.ts', "// a multi-line import list up into host/\nimport {\n  x,\n  x as z,\n} from\n  '../host/exec.js';\nexport const y = [x, z];\n");
  plant('rules/type-up.ts', "// a type-only import still breaks a floor\nimport type { x } from '../present/page.js';\nexport type T = typeof x;\nexport type U = typeof import('../actuation/apply.js');\n");
  plant('rules/system.ts', "// the system and packages from a pure floor, a type-only import of node:fs too\nimport { readFileSync } from 'node:fs';\nimport Docker from 'dockerode';\nimport type { Stats } from 'node:fs/promises';\nexport const y = [readFileSync, Docker];\nexport type S = Stats;\nexport const z = require('yaml');\n");
  plant('cli/cross.ts', "// a face importing the other face\nimport { x } from '../agent/app.js';\nexport const y = x;\n");
  plant('agent/cross.ts', "// the other way, as a side effect\nimport '../cli/main.js';\n");
  plant('present/up.ts', "// present/ is below the faces and beside actuation/\nimport { x } from '../actuation/apply.js';\nexport const y = x;\n");
  plant('collectors/mutates.ts', "// a collector loading host/mutate.ts for its side effect\nimport '../host/mutate.js';\n");
  plant('rules/walk/long.ts', `// a walk file too long\n${'export const a = 1;\n'.repeat(260)}`);
  plant('rules/no-header.ts', "import { x } from '../snapshot/contract.js';\nexport const y = x;\n");
  // Circles within a floor (no floor is broken): two files, one edge type-only; three files through a re-export and a side effect.
  plant('rules/circle/finding.ts', "// a type that needs its user\nimport type { Check } from './check.js';\nexport interface Finding { by: Check }\n");
  plant('rules/circle/check.ts', "// a user of the type\nimport { type Finding } from './finding.js';\nexport type Check = () => Finding[];\nexport const none: Check = () => [];\n");
  plant('collectors/ring/a.ts', "// one of three\nexport * from './b.js';\nexport const a = 1;\n");
  plant('collectors/ring/b.ts', "// two of three\nimport './c.js';\nexport const b = 2;\n");
  plant('collectors/ring/c.ts', "// three of three\nexport const load = () => import('./a.js');\n");

  it('reports every planted floor, package and system-module violation, whatever the import form, and nothing else', () => {
    expect(violations(root).sort()).toEqual(
      [
        'agent/cross.ts:2 (agent, side-effect) imports cli/main.ts (cli)',
        'cli/cross.ts:2 (cli, import) imports agent/app.ts (agent)',
        'present/up.ts:2 (present, import) imports actuation/apply.ts (actuation)',
        "rules/computed.ts:3 (rules, dynamic) imports <computed: where>: a computed specifier cannot be checked",
        'rules/dynamic.ts:2 (rules, dynamic) imports agent/server.ts (agent)',
        'rules/multi-line.ts:2 (rules, import) imports host/exec.ts (host)',
        'rules/reexport-all.ts:2 (rules, export-from) imports collectors/collector.ts (collectors)',
        'rules/reexport.ts:2 (rules, export-from) imports collectors/run.ts (collectors)',
        'rules/side-effect.ts:2 (rules, side-effect) imports cli/main.ts (cli)',
        'rules/system.ts:2 (rules, import) uses node:fs: only host/ touches the system',
        'rules/system.ts:3 (rules, import) uses the package dockerode',
        'rules/system.ts:4 (rules, import) uses node:fs/promises: only host/ touches the system',
        'rules/system.ts:7 (rules, require) uses the package yaml',
        'rules/type-up.ts:2 (rules, import) imports present/page.ts (present)',
        'rules/type-up.ts:4 (rules, import-type) imports actuation/apply.ts (actuation)',
      ].sort(),
    );
  });

  it('reports a host/mutate.ts import outside actuation/, a side-effect one too', () => {
    expect(mutationsOutsideActuation(root)).toEqual(['collectors/mutates.ts (collectors) imports host/mutate.ts; only actuation/ changes a host']);
  });

  it('reports a two-file and a three-file import circle, each as its files in order, and no other', () => {
    expect(importCircles(root)).toEqual([
      'collectors/ring/a.ts -> collectors/ring/b.ts -> collectors/ring/c.ts -> collectors/ring/a.ts',
      'rules/circle/check.ts -> rules/circle/finding.ts -> rules/circle/check.ts',
    ]);
  });

  it('reports a module without a header and a walk file over 250 lines', () => {
    expect(missingHeaders(root)).toEqual(['rules/no-header.ts']);
    expect(longWalkFiles(root)).toEqual([['rules/walk/long.ts', 262]]);
  });
});
