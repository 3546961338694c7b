// The floors: every import goes down (snapshot ← host ← collectors → rules → present, actuation → faces), never up or sideways.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string, withTypes = true): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(type\s)?[^;]*?from\s+['"]([^'"]+)['"]/g)) if (withTypes || !m[1]) out.push(m[2] as string);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  return out;
}

const floorOf = (file: string): Floor | null => (FLOORS as readonly string[]).find((f) => file.startsWith(`${f}/`)) as Floor | undefined ?? null;

function violations(): string[] {
  const out: string[] = [];
  for (const floor of FLOORS) {
    for (const file of sources(floor)) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).replace(/\.js$/, '.ts');
          const to = floorOf(target);
          if (to === null) out.push(`${file} imports ${target}, outside every floor`);
          else if (to !== floor && !ALLOWED[floor].includes(to) && !EXCEPTIONS.has(`${file} -> ${target}`)) out.push(`${file} (${floor}) imports ${target} (${to})`);
          continue;
        }
        if (spec.startsWith('node:')) {
          if ((floor === 'rules' || floor === 'present' || floor === 'snapshot' || floor === 'collectors') && SYSTEM_MODULES.includes(spec)) out.push(`${file} (${floor}) uses ${spec}: only host/ touches the system`);
          continue;
        }
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        const allowed = PACKAGES[floor];
        if (allowed !== 'any' && !allowed.includes(pkg)) out.push(`${file} (${floor}) uses the package ${pkg}`);
      }
    }
  }
  return out;
}

/** Mutating host calls: only host/mutate.ts makes them and only actuation/ asks for them (importing host/mutate.ts). */
function mutationsOutsideActuation(): string[] {
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
    for (const file of sources(floor)) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (file !== 'host/mutate.ts' && floor !== 'actuation') {
        text.split('\n').forEach((line, i) => {
          if ((runs.test(line) && mutating.some((re) => re.test(line))) || docker.test(line)) out.push(`${file}:${i + 1} changes the host; only actuation/, through host/mutate.ts, may`);
        });
      }
      if (floor !== 'actuation' && importsOf(file, false).some((s) => /(^|\/)host\/mutate\.js$|^\.\/mutate\.js$/.test(s)) && file !== 'host/mutate.ts') out.push(`${file} (${floor}) imports host/mutate.ts; only actuation/ changes a host`);
    }
  }
  return out;
}

describe('architecture', () => {
  it('every floor exists', () => {
    for (const f of FLOORS) expect(statSync(join(ROOT, f)).isDirectory(), f).toBe(true);
  });

  it('imports only go down the floors (and faces never import each other)', () => {
    expect(violations()).toEqual([]);
  });

  it('only actuation/ changes a host (through host/mutate.ts)', () => {
    expect(mutationsOutsideActuation()).toEqual([]);
  });

  it('no file in rules/walk/ is over 250 lines', () => {
    const long = sources('rules/walk').map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 250);
    expect(long).toEqual([]);
  });

  it('every module starts with a one-line header saying what it is', () => {
    const missing = FLOORS.flatMap((f) => sources(f)).filter((f) => !/^(#![^\n]*\n)?\/\/ \S/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(missing).toEqual([]);
  });

  it('the checker itself catches a violation (a rules/ file importing collectors/)', () => {
    // Guard against a regex that silently matches nothing: the real tree must yield imports to check.
    const all = FLOORS.flatMap((f) => sources(f)).flatMap(importsOf);
    expect(all.filter((s) => s.startsWith('.')).length).toBeGreaterThan(100);
    expect(floorOf('rules/why.ts')).toBe('rules');
    expect(ALLOWED.rules.includes('collectors')).toBe(false);
  });
});
