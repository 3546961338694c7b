// Lab: the model against real probes on every pair, in each scenario operators run into.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { expectAgreement, snapshotOf } from './agreement.js';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping = { proto: 'icmp' as const, port: null };
const http = { proto: 'tcp' as const, port: 80 };

describe.skipIf(skip !== null)('model agrees with real probes on one host', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'h1', { lan: '10.77.0.1/24' });
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('seed: the default bridge and net-redis, isolated', async () => {
    await expectAgreement([h], 'seed', [ping, http]);
  });

  it('a published port reached through the host\'s addresses from containers on any network', async () => {
    const s = await snapshotOf(h);
    const world = buildWorld([s]);
    let n = 0;
    for (const from of ['alpine-01', 'redis-1', 'redis-2']) {
      for (const ip of ['172.17.0.1', '172.18.0.1', '10.77.0.1']) {
        const model = why(world, from, ip, { proto: 'tcp', port: 8080 });
        const real = await h.probe(from, ip, 8080);
        expect(`${from} → ${ip}:8080 model ${model.verdict}`).toBe(`${from} → ${ip}:8080 model ${real ? 'reachable' : 'blocked'}`);
        n++;
      }
    }
    console.log(`agreement [published port 8080 via host addresses]: ${n}/${n}`);
  });

  it('after docker network connect net-redis alpine-01 (one way, as operators observe)', async () => {
    await h.docker(['network', 'connect', 'net-redis', 'alpine-01']);
    await expectAgreement([h], 'connect net-redis alpine-01', [ping, http]);
  });

  it('after also docker network connect bridge redis-1', async () => {
    await h.docker(['network', 'connect', 'bridge', 'redis-1']);
    await expectAgreement([h], 'connect bridge redis-1', [ping, http]);
  });

  it('a DOCKER-USER rule pair that opens exactly one direction of one pair', async () => {
    await h.docker(['network', 'disconnect', 'net-redis', 'alpine-01']);
    await h.docker(['network', 'disconnect', 'bridge', 'redis-1']);
    const a = await h.ip('alpine-01', 'bridge');
    const b = await h.ip('redis-1', 'net-redis');
    await h.mustExec('iptables', ['-w', '-I', 'DOCKER-USER', '-s', b, '-d', a, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']);
    await h.mustExec('iptables', ['-w', '-I', 'DOCKER-USER', '-s', a, '-d', b, '-j', 'ACCEPT']);
    await expectAgreement([h], 'DOCKER-USER opens alpine-01 → redis-1', [ping, http]);
    const world = buildWorld([await snapshotOf(h)]);
    expect(why(world, 'alpine-01', 'redis-1', ping).verdict).toBe('reachable');
    expect(why(world, 'redis-1', 'alpine-01', ping).verdict).toBe('blocked');
  });

  it('an icc=false network and an --internal network', async () => {
    await h.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'noicc']);
    await h.docker(['network', 'create', '--internal', 'intnet']);
    await Promise.all([h.run('quiet-1', { network: 'noicc' }), h.run('quiet-2', { network: 'noicc' }), h.run('inner-1', { network: 'intnet' }), h.run('inner-2', { network: 'intnet' })]);
    await expectAgreement([h], 'icc=false + internal', [ping, http]);
  });
});

describe.skipIf(skip !== null)('FORWARD policy DROP (dockerd enabled ip_forward) versus ACCEPT (ip_forward set before dockerd)', () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    [h1, h2] = await Promise.all([
      lab.host('drop', { bip: '192.168.100.1/24', lan: '10.88.0.1/24' }),
      lab.host('accept', { bip: '192.168.200.1/24', lan: '10.88.0.2/24', ipForwardBeforeDocker: true }),
    ]);
    await h1.mustExec('ip', ['route', 'add', '192.168.200.0/24', 'via', '10.88.0.2']);
    await h2.mustExec('ip', ['route', 'add', '192.168.100.0/24', 'via', '10.88.0.1']);
    await Promise.all([h1.run('a1'), h1.run('a2'), h2.run('b1')]);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('the model reads each policy and agrees with probes across the two hosts', async () => {
    const [s1, s2] = await Promise.all([snapshotOf(h1), snapshotOf(h2)]);
    expect(s1.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')!.policy).toBe('DROP');
    expect(s2.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')!.policy).toBe('ACCEPT');
    const world = buildWorld([s1, s2]);
    // Into the ACCEPT host: falls through Docker's rules to the policy. Into the DROP host: the policy drops it.
    expect(why(world, 'drop/a1', 'accept/b1', ping).verdict).toBe('reachable');
    expect(why(world, 'accept/b1', 'drop/a1', ping).verdict).toBe('blocked');
    await expectAgreement([h1, h2], 'policy DROP vs ACCEPT, two hosts', [ping, http]);
  });
});
