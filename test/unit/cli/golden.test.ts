// The human output of why, fix, matrix and doctor on the captured snapshots, held in golden files: any change to what
// an operator reads shows up as a diff. NETDIAG_UPDATE_GOLDEN=1 npm test rewrites them (review the diff before committing).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { CAPTURED, REPO } from '../fixtures.js';
import { goldenText } from './golden-file.js';

const GOLDEN = join(REPO, 'test/golden');
const UPDATE = process.env.NETDIAG_UPDATE_GOLDEN === '1';
const SEED = ['--snapshot', join(REPO, 'examples/seed-host.json')];
const MOBY = ['--snapshot', join(CAPTURED, 'moby-topology/docker.json'), '--snapshot', join(CAPTURED, 'moby-topology/peer.json')];

/** A snapshot derived in code from the captured seed host (written to a temporary file, named <derived:…> in the output). */
const TMP = mkdtempSync(join(tmpdir(), 'netdiag-golden-'));
function derived(name: string, change: (s: Record<string, any>) => void): string[] {
  const s = JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8'));
  change(s);
  const file = join(TMP, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  return ['--snapshot', file];
}
const REACH = (...hosts: string[]) => hosts.flatMap((h) => ['--snapshot', join(CAPTURED, 'reach', `${h}.json`)]);
const NO_DOCKER = ['--snapshot', join(CAPTURED, 'nodocker/plain.json')];
const FORWARDING_OFF = derived('forwarding-off', (s) => {
  s.sysctls.values['net.ipv4.ip_forward'] = '0';
});

const cases: [string, string[], number][] = [
  ['why-seed-blocked', ['why', 'alpine-01', 'redis-1', ...SEED], 1],
  ['why-seed-reachable', ['why', 'redis-1', 'redis-2', ...SEED], 0],
  ['why-seed-tcp', ['why', 'redis-1', 'alpine-01', '--port', '6379/tcp', ...SEED], 1],
  ['why-seed-service', ['why', 'redis-1', 'redis-2', '--port', '80/tcp', ...SEED], 0],
  ['why-seed-nothing-listens', ['why', 'redis-1', 'redis-2', '--port', '6379/tcp', ...SEED], 1],
  ['why-seed-host-port-unpublished', ['why', 'alpine-01', '172.17.0.1', '--port', '8081/tcp', ...SEED], 1],
  ['why-seed-host-port-published', ['why', 'alpine-01', '172.17.0.1', '--port', '8080/tcp', ...SEED], 0],
  ['why-moby-isolated', ['why', 'docker/c0', 'docker/c1', ...MOBY], 1],
  ['why-moby-published-through-host', ['why', 'peer/peer-1', '10.66.0.1', '--port', '8080/tcp', ...MOBY], 0],
  ['why-moby-policy-drop', ['why', 'peer/peer-1', 'docker/c1', ...MOBY], 1],
  ['fix-seed', ['fix', 'alpine-01', 'redis-1', ...SEED], 0],
  ['fix-moby', ['fix', 'docker/c0', 'docker/c1', ...MOBY], 0],
  ['matrix-seed', ['matrix', ...SEED], 0],
  ['matrix-moby-tcp', ['matrix', '--port', '80/tcp', ...MOBY], 0],
  // The seed's lab host has no default route: Docker's DNS forwarder reaches no upstream, said as two errors.
  ['doctor-seed', ['doctor', ...SEED], 1],
  ['doctor-moby', ['doctor', ...MOBY], 0],
  ['doctor-forwarding-off', ['doctor', ...FORWARDING_OFF], 1],
  ['why-forwarding-off', ['why', 'alpine-01', 'redis-1', ...FORWARDING_OFF], 1],
  // Issue 23, item 2: the address lands elsewhere (both hosts use 172.17.0.0/16) before the isolation drop; doctor flags it.
  ['why-reach-overlap-first-drop', ['why', 'h1/client', 'h2/web2', ...REACH('h1', 'h2')], 1],
  ['doctor-reach-overlap', ['doctor', ...REACH('h1', 'h2')], 1],
  // Item 4: one host of the bridged recipe alone (its uplink's other end unseen), and a host without Docker.
  ['doctor-bridged-alone', ['doctor', ...REACH('b1')], 0],
  // Exit 4: nothing wrong found, on a host whose Docker part could not be read (not known clean).
  ['doctor-no-docker', ['doctor', ...NO_DOCKER], 4],
];

describe('golden files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-golden-check-'));

  it('a missing golden file fails the case, and nothing is written, unless the update switch is on', () => {
    const file = join(dir, 'never-committed.txt');
    expect(() => goldenText(file, 'output\n', false)).toThrow(/golden file .*never-committed\.txt is missing: run NETDIAG_UPDATE_GOLDEN=1/);
    expect(existsSync(file)).toBe(false);
  });

  it('with the update switch, the file is written from the output and the case compares equal', () => {
    const file = join(dir, 'updated.txt');
    expect(goldenText(file, 'new output\n', true)).toBe('new output\n');
    expect(readFileSync(file, 'utf8')).toBe('new output\n');
  });

  it('without it, an existing golden file is returned as it is, so a changed output differs from it', () => {
    const file = join(dir, 'committed.txt');
    writeFileSync(file, 'old output\n');
    expect(goldenText(file, 'new output\n', false)).toBe('old output\n');
    expect(readFileSync(file, 'utf8')).toBe('old output\n');
  });

  it('every case has its golden file committed', () => {
    expect(cases.map(([name]) => name).filter((name) => !existsSync(join(GOLDEN, `${name}.txt`)))).toEqual([]);
  });
});

describe('golden human output', () => {
  it.each(cases)('%s', async (name, argv, code) => {
    const io = { out: '', err: '', isTTY: false, env: {}, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    const exit = await main(argv, io);
    // Paths differ between checkouts: the golden files name the snapshots relative to the repository.
    const text = `$ netdiag ${argv.map((a) => a.replace(REPO, '').replace(/^.*netdiag-golden-[^/]+\/(.*)\.json$/, '<derived:$1>')).join(' ')}\n${io.out}${io.err ? `--- stderr\n${io.err}` : ''}--- exit ${exit}\n`;
    const file = join(GOLDEN, `${name}.txt`);
    expect(text).toBe(goldenText(file, text, UPDATE));
    expect(exit).toBe(code);
  });
});
