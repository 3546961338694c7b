// Names as people type them, on captured hosts: /name, ID prefixes of any length, the host as source or destination,
// and "did you mean" by edit distance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { buildWorld } from '../../../rules/model/build.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { closest, editDistance } from '../../../rules/query/did-you-mean.js';
import { resolve, ResolveError } from '../../../rules/query/resolve.js';
import type { World } from '../../../rules/model/types.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (path: string): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(path, 'utf8')));
const SEED = join(REPO, 'examples/seed-host.json');
const reach = (h: string) => join(CAPTURED, 'reach', `${h}.json`);
const seed = () => buildWorld([load(SEED)]);
const two = () => buildWorld([load(reach('h1')), load(reach('h2'))]);

/** The container a name means, as HOST/NAME, or the message and hint of the error it raises. */
function named(world: World, text: string): string {
  try {
    const t = resolve(world, text);
    return t.kind === 'container' ? `${t.container.host.name}/${t.container.name}` : t.kind === 'host' ? `host ${t.host.name}` : 'address';
  } catch (e) {
    if (e instanceof ResolveError) return `error: ${e.message} (${e.hint})`;
    throw e;
  }
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io: Io & { out: string; err: string } = { out: '', err: '', isTTY: false, env: {}, stdout: (t) => void (io.out += t), stderr: (t) => void (io.err += t) };
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

describe('/name, as docker inspect prints it', () => {
  it('is the container of that name, as source and destination', () => {
    expect(named(seed(), '/alpine-01')).toBe('lab-h1/alpine-01');
    const a = why(seed(), '/alpine-01', '/redis-2', PING);
    expect([a.from.name, a.to.name, a.verdict]).toEqual(['alpine-01', 'redis-2', 'blocked']);
  });
  it('and HOST//name across hosts', () => {
    expect(named(two(), 'h2//web2')).toBe('h2/web2');
  });
});

describe('ID prefixes of any length Docker accepts', () => {
  it('one character is enough when it is unique (the seed\'s IDs start with three different characters)', () => {
    const w = seed();
    const cs = w.hosts[0]!.containers;
    const first = cs.map((c) => c.docker.id[0]!);
    expect(new Set(first).size).toBe(cs.length);
    expect(first.map((p) => named(w, p))).toEqual(cs.map((c) => `lab-h1/${c.name}`));
    // Any longer prefix, up to the 12 characters docker ps shows.
    expect(cs.map((c) => named(w, c.docker.id.slice(0, 4)))).toEqual(cs.map((c) => `lab-h1/${c.name}`));
    expect(cs.map((c) => named(w, c.docker.id.slice(0, 12)))).toEqual(cs.map((c) => `lab-h1/${c.name}`));
    const [a, b] = [cs.find((c) => c.name === 'alpine-01')!, cs.find((c) => c.name === 'redis-1')!];
    expect(why(w, a.docker.id[0]!, b.docker.id[0]!, PING).to.name).toBe('redis-1');
  });
  it('an exact name wins over an ID prefix: c0 is a container, and also the start of hostc\'s ID', () => {
    const w = buildWorld([load(reach('h1'))]);
    expect(w.hosts[0]!.containers.find((c) => c.name === 'hostc')!.docker.id.startsWith('c0')).toBe(true);
    expect(named(w, 'c0')).toBe('h1/c0');
    expect(named(w, 'c')).toBe('h1/hostc');
  });
  it('an ambiguous prefix is an error naming every candidate with its ID', () => {
    expect(named(two(), '8')).toBe('error: "8" is ambiguous: h1/web (ID 835bd7b71339), h2/client2 (ID 8d8b4ffb7f01), h2/other2 (ID 883e4c97d67d) (give a longer ID prefix, or the name)');
    expect(named(two(), '83')).toBe('h1/web');
  });
});

describe('the host, as source or destination', () => {
  it('host as destination is the host\'s own namespace, at the address A reaches it at (its bridge), through INPUT', () => {
    const a = why(seed(), 'alpine-01', 'host', PING);
    expect(a.to).toMatchObject({ kind: 'host', name: 'host lab-h1', host: 'lab-h1' });
    expect(a.addresses.map((x) => [x.ip, x.network, x.verdict, x.deliveredTo])).toEqual([['172.17.0.1', 'bridge', 'reachable', 'host lab-h1']]);
    expect(a.addresses[0]!.request.flatMap((h) => h.steps).some((s) => s.type === 'chain' && s.chain === 'INPUT')).toBe(true);
    // From net-redis it is that network's gateway.
    expect(why(seed(), 'redis-1', 'lab-h1', PING).addresses.map((x) => x.ip)).toEqual(['172.18.0.1']);
  });
  it('host sockets decide a port on it: nothing on 22/tcp, and docker-proxy listens on 8080', () => {
    const ssh = why(seed(), 'redis-1', 'host', parseFlow('22/tcp'));
    expect(ssh.verdict).toBe('blocked');
    expect(ssh.addresses[0]!.decidedBy?.kind).toBe('socket');
    expect(why(seed(), 'alpine-01', 'host', parseFlow('8080/tcp')).verdict).toBe('reachable');
  });
  it('host as source still works, and the host to itself is asked over loopback', () => {
    expect(why(seed(), 'host', 'redis-1', PING).from.kind).toBe('host');
    expect(why(seed(), 'host', 'host', PING).addresses.map((x) => x.ip)).toEqual(['127.0.0.1', '::1']);
  });
  it('across hosts: HOST/host and the host\'s name; from another host, its LAN address', () => {
    const w = buildWorld([load(join(CAPTURED, 'moby-topology/docker.json')), load(join(CAPTURED, 'moby-topology/peer.json'))]);
    const a = why(w, 'docker/c0', 'peer/host', PING);
    expect(a.addresses.map((x) => [x.ip, x.verdict])).toEqual([['10.66.0.2', 'reachable']]);
    expect(why(w, 'peer/peer-1', 'docker', PING).addresses.map((x) => x.ip)).toEqual(['10.66.0.1']);
    expect(named(w, 'host')).toBe('error: "host" is ambiguous: 2 hosts are in view (say which: docker/host, peer/host)');
  });
  it('through the CLI: why alpine-01 host exits 0', async () => {
    const r = await run(['why', 'alpine-01', 'host', '--snapshot', SEED]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('alpine-01 → host lab-h1 (ping): reachable');
  });
});

describe('did you mean, by edit distance', () => {
  it('edit distance counts a swap of neighbours as one', () => {
    expect(editDistance('clinet', 'client')).toBe(1);
    expect(editDistance('c4-11x', 'c4-11')).toBe(1);
    expect(editDistance('redis1', 'redis-1')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('alpine', ['alpine-01', 'redis-1'])).toEqual(['alpine-01']);
    expect(closest('zzzz', ['alpine-01', 'redis-1'])).toEqual([]);
    // Ties are all shown; a name one edit further is not.
    expect(closest('web3', ['web', 'web2', 'webby'])).toEqual(['web', 'web2']);
  });
  it('a typo gets the closest names, not the first ones in the alphabet', () => {
    expect(named(two(), 'clinet')).toBe('error: no running container "clinet" (did you mean h1/client?)');
    expect(named(two(), 'h2/web3')).toBe('error: no running container "h2/web3" (did you mean h2/web2?)');
    expect(named(seed(), 'Redis-1')).toBe('error: no running container "Redis-1" (did you mean redis-1?)');
    expect(named(seed(), 'redis')).toBe('error: no running container "redis" (did you mean redis-1, redis-2?)');
  });
  it('nothing close: a short host lists its containers, a larger one says how to list them', () => {
    expect(named(seed(), 'zzzzzz')).toBe('error: no running container "zzzzzz" (running: alpine-01, redis-1, redis-2)');
    expect(named(two(), 'zzzzzz')).toBe('error: no running container "zzzzzz" (no name in view is close to it; netdiag matrix lists the 11 containers in view)');
  });
  it('through the CLI: one line, exit 2', async () => {
    const r = await run(['why', 'clinet', 'web', '--snapshot', reach('h1')]);
    expect(r).toEqual({ code: 2, out: '', err: 'netdiag: no running container "clinet" (did you mean client?)\n' });
  });
});

describe('compose service and project-service names (labels written by docker-compose in the lab)', () => {
  const COMPOSE = join(CAPTURED, 'compose/compose.json');
  const compose = (drop: string[] = []) => {
    const s = load(COMPOSE);
    // Derived from the capture, not written: the same host with some replicas gone.
    s.docker!.containers = s.docker!.containers.filter((c) => !drop.includes(c.name));
    return buildWorld([s]);
  };
  it('the capture carries compose\'s own labels', () => {
    const labels = load(COMPOSE).docker!.containers.find((c) => c.name === 'shop_web_2')!.labels;
    expect(labels).toMatchObject({ 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '2' });
  });
  it('a service is its replica #1, as docker compose exec picks it', () => {
    expect(['web', 'shop-web', 'shop_web', 'blog-db', 'shop-db'].map((n) => named(compose(), n))).toEqual(['compose/shop_web_1', 'compose/shop_web_1', 'compose/shop_web_1', 'compose/blog_db_1', 'compose/shop_db_1']);
    // A container's own name still means that container.
    expect(named(compose(), 'shop_web_2')).toBe('compose/shop_web_2');
  });
  it('a service in two projects is an error naming both as PROJECT-SERVICE', () => {
    expect(named(compose(), 'db')).toBe('error: service db is in 2 compose projects: blog-db (compose/blog_db_1), shop-db (compose/shop_db_1) (name it as PROJECT-SERVICE (HOST/PROJECT-SERVICE across hosts), or by container name)');
  });
  it('replica #1 gone: one left is that one; several left is an error naming them', () => {
    expect(named(compose(['shop_web_1', 'shop_web_2']), 'web')).toBe('compose/shop_web_3');
    expect(named(compose(['shop_web_1']), 'web')).toBe('error: service web has 2 replicas and #1 is not running: shop_web_2, shop_web_3 (name one replica by its container name)');
  });
  it('why by service names walks the containers they mean', () => {
    const a = why(compose(), 'web', 'shop-db', PING);
    expect([a.from.name, a.to.name, a.verdict]).toEqual(['shop_web_1', 'shop_db_1', 'reachable']);
    const b = why(compose(), 'solo', 'web', PING);
    expect([b.to.name, b.verdict, b.addresses[0]!.decidedBy?.code]).toEqual(['shop_web_1', 'blocked', 'isolation']);
  });
  it('did you mean offers service names too', () => {
    expect(named(compose(), 'wbe')).toBe('error: no running container "wbe" (did you mean web?)');
    expect(named(compose(), 'shop-wbe')).toBe('error: no running container "shop-wbe" (did you mean shop-web?)');
  });
});
