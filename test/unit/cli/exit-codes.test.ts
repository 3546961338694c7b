// Issue 23, case 8 ("Plumbing"): exit codes that mean one thing each, on the captured snapshots and on snapshots
// replayed from the seed host's recording with a real recorded failure (a container that exited mid-collection, Docker
// not running): 0 yes, 1 no, 2 bad input, 3 unknown, 4 a yes from a partial snapshot; the help says so.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import type { Recording } from '../../../collectors/recording.js';
import { replayContext } from '../../../collectors/recording.js';
import { dockerSource } from '../../../host/docker.js';
import { EXIT, EXIT_HELP, isPartial } from '../../../cli/exit-codes.js';
import { CAPTURED, REPO, seedFailures, seedRecording } from '../fixtures.js';

/** What `netdiag snapshot` collects in this file: the seed host replayed, as `collected` says (set per case). */
const collected: { snapshot: () => Promise<HostSnapshot> } = { snapshot: () => replay() };
vi.mock('../../../collectors/run.js', async (orig) => ({ ...((await orig()) as object), collectSnapshot: () => collected.snapshot() }));
const { main } = await import('../../../cli/main.js');
const real = (await vi.importActual('../../../collectors/run.js')) as typeof import('../../../collectors/run.js');

/** A recording collected exactly as the live path would (fixtures' replay, through the real collectSnapshot). */
function replay(rec: Recording = seedRecording(), docker?: ReturnType<typeof dockerSource>): Promise<HostSnapshot> {
  return real.collectSnapshot({ hostName: 'lab-h1', context: { ...replayContext(rec), ...(docker ? { docker } : {}) }, now: () => new Date('2026-11-22T00:00:00Z') });
}

const SEED = join(REPO, 'examples/seed-host.json');
const R = join(CAPTURED, 'reach');
const dir = mkdtempSync(join(tmpdir(), 'netdiag-exit-'));

async function run(argv: string[]) {
  const o = { out: '', err: '', isTTY: false, env: {} as NodeJS.ProcessEnv, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  const code = await main(argv, o);
  return { code, out: o.out, err: o.err };
}

/** The seed recording with one container's namespace gone mid-collection (the recorded nsenter failure). */
function vanished(name: string): Recording {
  const rec = structuredClone(seedRecording());
  const id = (rec.docker.listContainers as { Id: string; Names: string[] }[]).find((c) => c.Names[0] === `/${name}`)!.Id;
  const key = (rec.docker[`inspectContainer ${id}`] as { NetworkSettings: { SandboxKey: string } }).NetworkSettings.SandboxKey;
  for (const k of Object.keys(rec.commands)) if (k.startsWith(`nsenter --net=${key} `)) rec.commands[k] = seedFailures().nsenterVanishedSandbox;
  return rec;
}

/** The seed host collected with Docker's socket missing: the "snapshot exits 0 with four collectors failed" of the issue. */
async function withoutDocker(): Promise<HostSnapshot> {
  const prev = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
  try {
    return await replay(seedRecording(), dockerSource(2000));
  } finally {
    if (prev === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = prev;
  }
}

let PARTIAL = '';
beforeAll(async () => {
  // alpine-01 left during collection: links and routes are partial, redis-1 and redis-2 were read whole.
  const s = await replay(vanished('alpine-01'));
  expect(isPartial(s)).toBe(true);
  PARTIAL = join(dir, 'alpine-01-vanished.json');
  writeFileSync(PARTIAL, JSON.stringify(s));
});

describe('the codes, one meaning each', () => {
  it('are distinct numbers', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(EXIT).toMatchObject({ ok: 0, no: 1, badInput: 2, unknown: 3, partial: 4 });
  });

  it('netdiag --help ends with the table; a command\'s help with what its codes mean for it', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toContain(EXIT_HELP);
    expect(top.out).toMatch(/^ {2}4 {4}partial: /m);
    const snap = await run(['snapshot', '--help']);
    expect(snap.out).toMatch(/Exit: 0 every part of the host was read, 4 some part was not/);
    const doctor = await run(['doctor', '--help']);
    expect(doctor.out).toMatch(/4 no problems found but a host was not read whole/);
  });
});

describe('the README\'s "Exit codes" section', () => {
  it('lists exactly the codes netdiag uses, in the order of the help text', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Exit codes\n'), readme.indexOf('\n## ', readme.indexOf('\n## Exit codes\n') + 1));
    const rows = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    const help = [...EXIT_HELP.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
    expect(rows).toEqual(help);
    expect([...rows].sort((x, y) => x - y)).toEqual(Object.values(EXIT).sort((x, y) => x - y));
  });
});

describe('answers from whole snapshots', () => {
  it.each<[string, string[], number]>([
    ['why reachable', ['why', 'redis-1', 'redis-2', '--snapshot', SEED], EXIT.ok],
    ['why blocked', ['why', 'alpine-01', 'redis-1', '--snapshot', SEED], EXIT.no],
    ['matrix with blocked pairs (answers, not failures)', ['matrix', '--snapshot', SEED], EXIT.ok],
    ['doctor clean', ['doctor', '--snapshot', join(R, 'h1.json')], EXIT.ok],
    // The seed's lab host has no default route: Docker's DNS forwarder reaches no upstream (doctor's DNS findings).
    ['doctor with findings', ['doctor', '--snapshot', SEED], EXIT.no],
    ['an unknown container', ['why', 'alpine-01', 'nosuch', '--snapshot', SEED], EXIT.badInput],
    ['an unknown option', ['why', 'alpine-01', 'redis-1', '--snapshot', SEED, '--nope'], EXIT.badInput],
    ['map across two captured hosts', ['map', '--format', 'mermaid', '--snapshot', join(R, 'h1.json'), '--snapshot', join(R, 'h2.json')], EXIT.ok],
  ])('%s', async (_name, argv, code) => {
    expect((await run(argv)).code).toBe(code);
  });
});

describe('answers from a partial snapshot: the answer\'s own code first, a yes is 4', () => {
  it('why, reachable between the two containers that were read: 4, with the warning on stderr', async () => {
    const r = await run(['why', 'redis-1', 'redis-2', '--snapshot', PARTIAL]);
    expect(r.out).toMatch(/^redis-1 → redis-2 \(ping\): reachable/);
    expect(r.err).toMatch(/netdiag: warning: lab-h1: links \(alpine-01\): container alpine-01 stopped during collection/);
    expect(r.code).toBe(EXIT.partial);
  });
  it('why from the container that was not read: its own verdict (unknown, 3), not 4', async () => {
    expect((await run(['why', 'alpine-01', 'redis-1', '--snapshot', PARTIAL])).code).toBe(EXIT.unknown);
  });
  it('why blocked (isolation decides before the missing namespace matters): 1, not 4', async () => {
    expect((await run(['why', 'redis-1', 'alpine-01', '--snapshot', PARTIAL])).code).toBe(EXIT.no);
  });
  it('matrix: 3 while a pair is unknown', async () => {
    expect((await run(['matrix', '--snapshot', PARTIAL])).code).toBe(EXIT.unknown);
  });
  it('doctor that finds nothing cannot call the host clean: 4 (a host whose Docker could not be read)', async () => {
    const r = await run(['doctor', '--snapshot', join(CAPTURED, 'nodocker/plain.json')]);
    expect(r.out).toMatch(/^0 problems \(0 errors, 0 warnings\)$/m);
    expect(r.code).toBe(EXIT.partial);
  });
  it('doctor with findings on a partial snapshot: the findings\' 1 comes first', async () => {
    expect((await run(['doctor', '--snapshot', PARTIAL])).code).toBe(EXIT.no);
  });
  it('map: drawn, and 4', async () => {
    expect((await run(['map', '--format', 'dot', '--snapshot', PARTIAL])).code).toBe(EXIT.partial);
  });
});

describe('netdiag snapshot', () => {
  it('every collector read: 0', async () => {
    collected.snapshot = () => replay();
    const r = await run(['snapshot']);
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.ok);
  });
  it('Docker not running (docker and sockets absent, links and routes partial): the snapshot is written, and 4', async () => {
    collected.snapshot = withoutDocker;
    const r = await run(['snapshot']);
    const s = JSON.parse(r.out) as HostSnapshot;
    expect(Object.entries(s.collectors).filter(([, c]) => c.status !== 'ok').map(([n, c]) => `${n} ${c.status}`).sort()).toEqual(['dns absent', 'docker absent', 'links partial', 'routes partial', 'sockets absent']);
    expect(r.err).toMatch(/^netdiag: docker: Docker is not running or not installed/);
    expect(r.code).toBe(EXIT.partial);
  });
  it('one container gone mid-collection: 4', async () => {
    collected.snapshot = () => replay(vanished('redis-1'));
    expect((await run(['snapshot'])).code).toBe(EXIT.partial);
  });
});

describe('an internal error is not bad input', () => {
  it('a snapshot collector that throws what netdiag does not expect: 70, "please report this bug"', async () => {
    collected.snapshot = () => Promise.reject(new TypeError('boom'));
    const r = await run(['snapshot']);
    expect(r.err).toBe('netdiag: internal error: boom (please report this bug)\n');
    expect(r.code).toBe(EXIT.internal);
  });
});
