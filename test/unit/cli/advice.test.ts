// The advice around a verdict, as an operator acts on it (issue 23's cases on the captured snapshots): only fixes
// predicted to work are offered, the next step `why` names is one `fix` keeps, a name that fails is said, and each
// answer exits with the code that means it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { FixesResult } from '../../../snapshot/contract.js';
import { CAPTURED, REPO } from '../fixtures.js';

const SEED = join(REPO, 'examples/seed-host.json');
const R = join(CAPTURED, 'reach');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io: Io & { out: string; err: string } = { out: '', err: '', isTTY: false, env: {}, stdout: (t) => void (io.out += t), stderr: (t) => void (io.err += t) };
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

describe('fix lists only what its own prediction says works', () => {
  it('the seed pair: joining net-redis (by name too) first, the DOCKER-USER pair (address only) after, nothing predicted blocked', async () => {
    const r = await run('fix', 'alpine-01', 'redis-1', '--snapshot', SEED, '--json');
    expect(r.code).toBe(0);
    const j = FixesResult.strict().parse(JSON.parse(r.out));
    expect(j.status).toBe('fixes');
    expect(j.fixes.every((f) => f.predicted.forward === 'reachable')).toBe(true);
    expect(j.fixes[0]).toMatchObject({ title: 'connect alpine-01 to net-redis', byName: 'resolves' });
    expect(j.fixes.slice(1).every((f) => f.byName === 'fails')).toBe(true);
    const text = await run('fix', 'alpine-01', 'redis-1', '--snapshot', SEED);
    expect(text.out).not.toMatch(/predicted: .* blocked,/);
    expect(text.out).not.toMatch(/Prefer the fixes above/);
    // How each lasts, said for each.
    expect(text.out.match(/^ {7}lasts: /gm)).toHaveLength(j.fixes.length);
  });

  it('across two hosts whose subnets overlap: no firewall fix, the overlap named as the cause and the renumbering to do, exit 1', async () => {
    const r = await run('fix', 'h1/client', 'h2/web2', '--snapshot', join(R, 'h1.json'), '--snapshot', join(R, 'h2.json'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}no fix: the request to 172\.17\.0\.2 would land in h1\/c0, not in h2\/web2: .*overlap.*No firewall or route change moves an address: .*on h2, set "bip": "172\.19\.0\.1\/16"/m);
    expect(r.out).not.toMatch(/apply one with|Prefer the fixes above|DOCKER-ISOLATION/);
    const w = await run('why', 'h1/client', 'h2/web2', '--snapshot', join(R, 'h1.json'), '--snapshot', join(R, 'h2.json'));
    expect(w.out).not.toMatch(/next: netdiag fix/);
  });

  it('nothing listens on 6379: why names no `fix`, fix offers none and says which socket would have to exist', async () => {
    const w = await run('why', 'alpine-01', 'redis-1', '--port', '6379/tcp', '--snapshot', SEED);
    expect(w.code).toBe(1);
    expect(w.out).not.toMatch(/next: netdiag fix/);
    expect(w.out).toMatch(/no fix: no network fix makes it work: after connect alpine-01 to net-redis \[fx-\w+\] the network would deliver it, but nothing listens on 172\.18\.0\.2:6379\/tcp in redis-1/);
    const f = await run('fix', 'alpine-01', 'redis-1', '--port', '6379/tcp', '--snapshot', SEED, '--json');
    expect(f.code).toBe(1);
    const j = FixesResult.parse(JSON.parse(f.out));
    expect(j).toMatchObject({ status: 'no-fix', fixes: [] });
    expect(j.advice).toMatch(/A socket must listen on 172\.18\.0\.2:6379\/tcp or 0\.0\.0\.0:6379\/tcp in redis-1/);
  });

  it('why\'s next step is the same question to fix, with the count of fixes fix lists as working', async () => {
    const w = await run('why', 'alpine-01', 'redis-1', '--snapshot', SEED);
    const f = FixesResult.parse(JSON.parse((await run('fix', 'alpine-01', 'redis-1', '--snapshot', SEED, '--json')).out));
    // Counted are the fixes that make it work as asked, by name too; the address-only ones are listed apart by fix.
    expect(w.out).toContain('next: netdiag fix alpine-01 redis-1 — one fix is predicted to make it work');
    expect(f.fixes.filter((x) => x.byName !== 'fails')).toHaveLength(1);
    const text = (await run('fix', 'alpine-01', 'redis-1', '--snapshot', SEED)).out;
    expect(text).toMatch(/^alpine-01 → redis-1 \(ping\): blocked; one fix, predicted to make it work:$/m);
    expect(text).toMatch(/^ {2}2 fixes that open the address only \(the name still does not resolve\):$/m);
  });
});

describe('reachable at the address while the name fails', () => {
  it('why r1 r2 on the default bridge: said on the verdict line, exit 1 like `ping r2` in r1', async () => {
    const w = await run('why', 'r1', 'r2', '--snapshot', join(R, 'b1.json'));
    expect(w.code).toBe(1);
    expect(w.out.split('\n')[0]).toBe('r1 → r2 (ping): reachable by address only — the name r2 does not resolve from r1');
    // By address, the question succeeds.
    const ip = /^ {2}(\S+) on bridge: reachable/m.exec(w.out)![1]!;
    expect((await run('why', 'r1', ip, '--snapshot', join(R, 'b1.json'))).code).toBe(0);
  });

  it('fix r1 r2: no network to share, so no fix; the advice says to use the address or share a user-defined network', async () => {
    const f = await run('fix', 'r1', 'r2', '--snapshot', join(R, 'b1.json'), '--json');
    expect(f.code).toBe(1);
    const j = FixesResult.parse(JSON.parse(f.out));
    expect(j).toMatchObject({ verdict: 'reachable', status: 'no-fix' });
    expect(j.advice).toMatch(/docker network connect NET r1 and docker network connect NET r2/);
  });

  it('a pair that reaches as asked: nothing to fix, exit 0', async () => {
    const f = await run('fix', 'redis-1', 'redis-2', '--snapshot', SEED);
    expect(f.code).toBe(0);
    expect(f.out).toMatch(/it already reaches as asked: nothing to fix/);
  });
});

describe('Docker\'s embedded DNS on the bundled seed host', () => {
  it('why redis-1 127.0.0.11 --port 53/udp: reachable through the resolver NAT of redis-1\'s own namespace, to dockerd\'s socket', async () => {
    const w = await run('why', 'redis-1', '127.0.0.11', '--port', '53/udp', '--snapshot', SEED);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/let through by lab-h1: nat DOCKER_OUTPUT rule \d/);
    expect(w.out).toMatch(/is dockerd's embedded DNS resolver/);
    expect(w.out).not.toMatch(/nothing listens/);
  });

  it('fix alpine-01 redis-1: joining net-redis is predicted to start alpine-01\'s resolver (as dockerd does on connect), so the name resolves', async () => {
    const j = FixesResult.parse(JSON.parse((await run('fix', 'alpine-01', 'redis-1', '--snapshot', SEED, '--json')).out));
    expect(j.fixes[0]).toMatchObject({ kind: 'network-connect', title: 'connect alpine-01 to net-redis', byName: 'resolves' });
  });
});

describe('the next step and the advice in the terms asked', () => {
  it('B given as an address: the next command asks about that address, not the container\'s name', async () => {
    const w = await run('why', 'alpine-01', '172.18.0.2', '--snapshot', SEED);
    expect(w.out).toMatch(/next: netdiag fix alpine-01 172\.18\.0\.2 — /);
  });
  it('a destination with no address (--network none): said so, no garbled socket advice', async () => {
    const f = await run('fix', 'web', 'none1', '--snapshot', join(R, 'h1.json'));
    expect(f.code).toBe(1);
    expect(f.out).toMatch(/no fix: none1 has no address to reach/);
    expect(f.out).not.toMatch(/undefined/);
  });
  it('a container that shares another\'s namespace, the host\'s, or none is never offered a network connect (Docker refuses it)', async () => {
    for (const [from, to] of [['none1', 'web'], ['side', 'c0'], ['hostc', 'c0']] as const) {
      const j = FixesResult.parse(JSON.parse((await run('fix', from, to, '--snapshot', join(R, 'h1.json'), '--json')).out));
      const joiners = j.fixes.flatMap((x) => x.steps).flatMap((x) => (x.kind === 'docker-network-connect' ? [x.containerName] : []));
      expect(joiners, `${from} → ${to}`).not.toContain(from);
    }
  });
});

describe('a side-car\'s name', () => {
  it('--network container:web: Docker\'s DNS has no record of side (as nslookup in the lab shows), so by name it does not resolve', async () => {
    const w = await run('why', 'client', 'side', '--snapshot', join(R, 'h1.json'), '--json');
    const j = JSON.parse(w.out) as { dns: { resolves: boolean; note: string } };
    expect(j.dns.resolves).toBe(false);
    expect(j.dns.note).toMatch(/side shares web's namespace .* so Docker's DNS has no name for it \(ask for web instead\)/);
  });
});
