// Issue 23, case 8: `map --out x.png` wrote SVG into a .png. --out's extension picks the format or must agree with
// --format; a snapshot or a plan (always JSON) refuses a file named as another format. One line, exit 2, nothing written.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { EXIT } from '../../../cli/exit-codes.js';
import { CAPTURED, REPO } from '../fixtures.js';

const SEED = ['--snapshot', join(REPO, 'examples/seed-host.json')];
const MOBY = ['--snapshot', join(CAPTURED, 'moby-topology/docker.json'), '--snapshot', join(CAPTURED, 'moby-topology/peer.json')];
const dir = mkdtempSync(join(tmpdir(), 'netdiag-out-'));

async function run(argv: string[]) {
  const o = { out: '', err: '', isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  const code = await main(argv, o);
  return { code, out: o.out, err: o.err };
}

describe('map --out', () => {
  it('--out x.png alone: png is not a format netdiag writes, listing those it does; nothing written', async () => {
    const file = join(dir, 'x.png');
    const r = await run(['map', ...SEED, '--out', file]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe(`netdiag: --out ${file}: png is not a format netdiag writes here (it writes svg (.svg), dot (.dot, .gv), mermaid (.mmd, .mermaid), html (.html, .htm), json (.json); name the file so, or give --format)\n`);
    expect(existsSync(file)).toBe(false);
  });

  it('--format svg --out x.png: one line, exit 2, naming the file it should be', async () => {
    const file = join(dir, 'y.png');
    const r = await run(['map', ...SEED, '--format', 'svg', '--out', file]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe(`netdiag: --out ${file}: its extension says png, but this writes svg (name it y.svg)\n`);
    expect(existsSync(file)).toBe(false);
  });

  it('--format dot --out x.svg: another format netdiag writes is refused too', async () => {
    const r = await run(['map', ...SEED, '--format', 'dot', '--out', join(dir, 'z.svg')]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(/: its extension says svg, but this writes dot \(name it z\.dot, or give --format svg\)/);
  });

  it.each([
    ['map.json', 'json', (t: string) => expect(JSON.parse(t)).toHaveProperty('hosts')],
    ['map.gv', 'dot', (t: string) => expect(t).toMatch(/^digraph /)],
    ['map.mmd', 'mermaid', (t: string) => expect(t).toMatch(/^flowchart /)],
  ] as const)('--out %s alone writes %s (the extension picks the format)', async (name, _format, check) => {
    const file = join(dir, name);
    const r = await run(['map', ...SEED, '--out', file]);
    expect(r.code).toBe(EXIT.ok);
    check(readFileSync(file, 'utf8'));
  });

  it('an extension that names no format, with --format given, is taken as given', async () => {
    const file = join(dir, 'graph.txt');
    expect((await run(['map', ...SEED, '--format', 'dot', '--out', file])).code).toBe(EXIT.ok);
    expect(readFileSync(file, 'utf8')).toMatch(/^digraph /);
  });
});

describe('JSON files: snapshot --out and --record, plan --out', () => {
  it.each(['host.svg', 'host.yaml', 'host.png'])('snapshot --out %s is refused before anything is collected', async (name) => {
    const r = await run(['snapshot', '--out', join(dir, name)]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(new RegExp(`^netdiag: --out \\S+${name.replace('.', '\\.')}: its extension says \\w+, but this writes json \\(name it host\\.json\\)\\n$`));
    expect(existsSync(join(dir, name))).toBe(false);
  });

  it('plan --out plan.yaml is refused; plan.json and a name with no extension are written', async () => {
    expect((await run(['plan', 'routes', ...MOBY, '--out', join(dir, 'plan.yaml')])).code).toBe(EXIT.badInput);
    for (const name of ['plan.json', 'plan']) {
      expect((await run(['plan', 'routes', ...MOBY, '--out', join(dir, name)])).code).toBe(EXIT.ok);
      expect(JSON.parse(readFileSync(join(dir, name), 'utf8'))).toHaveProperty('id');
    }
  });
});
