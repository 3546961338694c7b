// The defects fuzzing found at the command line, each from its repro: one clear line and exit 2 for bad input, never
// a hang, a partial document, a stack trace or an escape sequence reaching the terminal.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { MatrixResult, WhyResult } from '../../../snapshot/contract.js';
import { REPO } from '../fixtures.js';
import { seedHost, withRules } from '../derive.js';

const SEED = join(REPO, 'examples/seed-host.json');
const dir = mkdtempSync(join(tmpdir(), 'netdiag-defects-'));

function io(env: NodeJS.ProcessEnv = {}) {
  const o = { out: '', err: '', isTTY: false, env, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  return o;
}
async function run(argv: string[]) {
  const o = io();
  const code = await main(argv, o);
  return { code, out: o.out, err: o.err };
}
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const oneLine = (err: string) => err.split('\n').filter(Boolean).length === 1;

describe('1. why across two hosts that both use 172.18.0.0/16', () => {
  it('says blocked, and where the request lands instead', async () => {
    const h2 = file('h2.json', JSON.stringify(seedHost('lab-h2')));
    const r = await run(['why', 'lab-h1/redis-2', 'lab-h2/redis-1', '--snapshot', SEED, '--snapshot', h2]);
    expect(r.code).toBe(1);
    // The human output is the product here: it must say where the request lands.
    expect(r.out).toMatch(/lands in lab-h1\/redis-1, not in lab-h2\/redis-1/);
    const j = WhyResult.parse(JSON.parse((await run(['why', 'lab-h1/redis-2', 'lab-h2/redis-1', '--snapshot', SEED, '--snapshot', h2, '--json'])).out));
    expect(j.addresses[0]).toMatchObject({ verdict: 'blocked', deliveredTo: 'lab-h1/redis-1', decidedBy: { kind: 'elsewhere', code: 'overlapping-subnet' } });
  });
});

describe('2. a loop does not abort the matrix', () => {
  it('matrix finishes, every pair unknown, exit 3', async () => {
    const loop = file('loop.json', JSON.stringify(withRules(seedHost(), 'filter', 'DOCKER-USER', ['-A DOCKER-USER -j DOCKER-USER'])));
    const r = await run(['matrix', '--snapshot', loop, '--json']);
    expect(r.code).toBe(3);
    expect(MatrixResult.parse(JSON.parse(r.out)).pairs.map((p) => p.verdict)).toEqual(Array(6).fill('unknown'));
  });
});

describe('7. why A A', () => {
  it('is reachable, exit 0, and suggests no fix', async () => {
    const r = await run(['why', 'alpine-01', 'alpine-01', '--snapshot', SEED]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/netdiag fix/);
  });
});

describe('9. an invalid address in a snapshot', () => {
  it('is refused at the boundary, naming the field', async () => {
    const s = seedHost();
    s.docker!.containers[0]!.endpoints[0]!.ip = '999.1.1.1';
    const r = await run(['why', 'alpine-01', 'redis-1', '--snapshot', file('bad-ip.json', JSON.stringify(s))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/docker\.containers\.0\.endpoints\.0\.ip: not an IPv4 or IPv6 address/);
  });
});

describe('10. a snapshot whose links collector failed', () => {
  const s = seedHost();
  s.links = null;
  s.collectors.links = { status: 'failed', durationMs: 1 };
  s.errors.push({ collector: 'links', message: 'ip -j -d addr show failed: Cannot open netlink socket: Permission denied', hint: 'run netdiag as root' });
  const p = file('no-links.json', JSON.stringify(s));
  it('matrix lists every pair as unknown and warns on stderr', async () => {
    const r = await run(['matrix', '--snapshot', p]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/6 pairs: 0 reachable, 0 blocked, 6 unknown/);
    expect(r.err).toMatch(/^netdiag: warning: lab-h1: links: ip -j -d addr show failed/);
  });
  it('why names the missing part in the answer and in the JSON', async () => {
    const r = await run(['why', 'alpine-01', 'redis-1', '--snapshot', p, '--json']);
    expect(r.code).toBe(3);
    const j = WhyResult.parse(JSON.parse(r.out));
    expect(j.missing).toEqual([{ host: 'lab-h1', collector: 'links', message: 'ip -j -d addr show failed: Cannot open netlink socket: Permission denied', hint: 'run netdiag as root' }]);
    expect(j.addresses[0]!.decidedBy).toMatchObject({ kind: 'missing-data', code: 'unknown', host: 'lab-h1' });
    // The collector's error is passed on word for word.
    expect(j.addresses[0]!.decidedBy?.reason).toContain('links: ip -j -d addr show failed');
  });
});

describe('11. --snapshot on something that is not a regular file', () => {
  it('a FIFO with no writer is refused at once, not read forever', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await run(['why', 'a', 'b', '--snapshot', fifo]);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/it is a FIFO \(named pipe\), not a regular file/);
  });
  it('/dev/zero is refused at once', async () => {
    const t0 = performance.now();
    const r = await run(['why', 'a', 'b', '--snapshot', '/dev/zero']);
    expect(r.err).toMatch(/it is a character device/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('12. terminal control characters from a snapshot', () => {
  it('are escaped in human output, so a hostile name cannot rewrite the screen', async () => {
    const s = seedHost();
    s.docker!.containers.find((c) => c.name === 'redis-1')!.name = 'redis\u001b[2J\u001b[Hevil';
    withRules(s, 'filter', 'DOCKER-USER', ['-A DOCKER-USER -m comment --comment "\u001b]0;owned\u0007" -j RETURN']);
    const r = await run(['matrix', '--snapshot', file('hostile.json', JSON.stringify(s))]);
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.out).toContain('redis\\x1b[2J\\x1b[Hevil');
  });
});

describe('13. clear messages, one line each', () => {
  it.each<[string, () => string[], RegExp]>([
    ['another schema version', () => ['why', 'a', 'b', '--snapshot', file('v2.json', JSON.stringify({ ...seedHost(), schema: 'netdiag/snapshot@2', netdiagVersion: '9.0.0' }))], /is a "netdiag\/snapshot@2" snapshot \(from netdiag "9\.0\.0"\); this netdiag \(0\.1\.0\) reads netdiag\/snapshot@1/],
    ['UTF-16', () => ['why', 'a', 'b', '--snapshot', file('u16.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(seedHost()), 'utf16le')]))], /is UTF-16 \(little-endian\) text; netdiag reads UTF-8 \(convert it: iconv/],
    ['an empty --snapshot', () => ['why', 'a', 'b', '--snapshot', ''], /^netdiag: --snapshot needs a file name$/m],
    ['a symlink loop', () => {
      const a = join(dir, 'loop-a');
      try {
        symlinkSync(join(dir, 'loop-b'), a);
        symlinkSync(a, join(dir, 'loop-b'));
      } catch {
        // made by an earlier case
      }
      return ['why', 'a', 'b', '--snapshot', a];
    }, /too many levels of symbolic links \(a symlink loop\)/],
    ['a missing inventory', () => ['why', 'a', 'b', '--inventory', join(dir, 'nope.yml')], /cannot read the inventory \S*nope\.yml: no such file or directory/],
    ['an inventory that is a directory', () => {
      mkdirSync(join(dir, 'inv.d'), { recursive: true });
      return ['why', 'a', 'b', '--inventory', join(dir, 'inv.d')];
    }, /cannot read the inventory \S*inv\.d: it is a directory, not a regular file/],
    // Port 9 is one the fetch standard refused outright; agents are now asked through node:http, which does not.
    ['an agent on a port nothing listens on', () => ['why', 'a', 'b', '--agent', 'http://127.0.0.1:9'], /cannot reach the agent at http:\/\/127\.0\.0\.1:9: ECONNREFUSED/],
    ['a newline in a file name', () => ['why', 'a', 'b', '--snapshot', join(dir, 'x\ny.json')], /x\\ny\.json/],
    ['a 100,000-character name', () => ['why', 'x'.repeat(100_000), 'redis-1', '--snapshot', SEED], /no running container "x{120}…"/],
  ])('%s', async (_name, argv, message) => {
    const r = await run(argv());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(oneLine(r.err)).toBe(true);
    expect(r.err.length).toBeLessThan(2500);
    expect(r.out).toBe('');
  });

  it('a UTF-8 BOM is accepted', async () => {
    const r = await run(['why', 'redis-1', 'redis-2', '--snapshot', file('bom.json', `\ufeff${JSON.stringify(seedHost())}`)]);
    expect(r.code).toBe(0);
  });

  it('plan routes --json --out prints the plan and says where it went', async () => {
    const h2 = seedHost('lab-h2');
    const out = join(dir, 'plan.json');
    const r = await run(['plan', 'routes', '--snapshot', SEED, '--snapshot', file('h2b.json', JSON.stringify(h2)), '--json', '--out', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).schema).toBe('netdiag/plan@1');
    expect(r.err).toMatch(/written to .*plan\.json/);
  });
});
