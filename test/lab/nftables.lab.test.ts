// Lab: nftables beside (or instead of) iptables. Docker 29's docker-bridges table, generated for the live bridges,
// endpoints and published ports and loaded over real containers with iptables emptied; and an operator's own inet
// table next to Docker 20.10's iptables rules. The model against real probes on every pair, ICMP and TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAgreement, snapshotOf } from './agreement.js';
import { dockerBridgesTable, EMPTY_IPTABLES } from './docker29.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';
import type { Flow } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping: Flow = { proto: 'icmp', port: null };
const http: Flow = { proto: 'tcp', port: 80 };

describe.skipIf(skip !== null)('Docker 29\'s nftables backend, replayed over real containers (iptables emptied)', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'n1', { lan: '10.77.0.1/24' });
    await h.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'net-noicc']);
    await h.docker(['network', 'create', '--internal', 'net-int']);
    await Promise.all([h.run('q1', { network: 'net-noicc' }), h.run('q2', { network: 'net-noicc' }), h.run('i1', { network: 'net-int' }), h.run('i2', { network: 'net-int' })]);
    await h.docker(['network', 'connect', 'net-redis', 'alpine-01']);
    // What a host on the nftables backend holds: no iptables rules, Docker's rules in table ip docker-bridges.
    await h.feed('iptables-restore', [], EMPTY_IPTABLES);
    await h.feed('nft', ['-f', '-'], dockerBridgesTable(await snapshotOf(h)));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every pair × address agrees, ICMP and TCP: seed networks after one connect, icc=false, internal', async () => {
    await expectAgreement([h], 'docker29 nftables replay', [ping, http]);
  });

  it('published ports through the host\'s addresses: DNAT by nat-prerouting-and-output, or docker-proxy from the same bridge', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    let n = 0;
    for (const from of ['alpine-01', 'redis-1', 'q1']) {
      for (const ip of ['172.17.0.1', '10.77.0.1']) {
        const model = why(world, from, ip, { proto: 'tcp', port: 8080 });
        const real = await h.probe(from, ip, 8080);
        expect(`${from} → ${ip}:8080 model ${model.verdict}`).toBe(`${from} → ${ip}:8080 model ${real ? 'reachable' : 'blocked'}`);
        n++;
      }
    }
    console.log(`agreement [docker29 published port via host addresses]: ${n}/${n}`);
  });

  it('why names the table, chain, handle and Docker\'s comment, in plain words', async () => {
    const r = await h.netdiag(['why', 'q1', 'redis-1', '--json']);
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout).addresses[0].decidedBy;
    expect(d).toMatchObject({ family: 'ip', table: 'ip docker-bridges', chain: 'raw-PREROUTING', handle: expect.any(Number), code: 'isolation', text: expect.stringMatching(/comment "DROP DIRECT ACCESS"$/) });
    const human = await h.netdiag(['why', 'q1', 'q2']);
    expect(human.stdout).toMatch(/ip docker-bridges filter-forward-in__br-\w+ handle \d+/);
    expect(human.stdout).toMatch(/comment "ICC"/);
    expect(human.stdout).toMatch(/Inter-container communication is disabled/);
  });
});

describe.skipIf(skip !== null)('an operator\'s own nftables table next to Docker 20.10\'s iptables rules', () => {
  let lab: Lab;
  let h: LabHost;
  let redis1: string;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'n2');
    redis1 = await h.ip('redis-1', 'net-redis');
    await h.feed('nft', ['-f', '-'], [
      'table inet ops {',
      '\tchain early {',
      '\t\ttype filter hook forward priority -10; policy accept;',
      '\t\tip saddr 172.17.0.0/16 counter accept comment "ops: docker0 may go anywhere"',
      '\t}',
      '\tchain forward_ops {',
      '\t\ttype filter hook forward priority 10; policy accept;',
      `\t\tip daddr ${redis1} tcp dport 80 counter drop comment "ops: no web on redis-1"`,
      '\t}',
      '}',
      '',
    ].join('\n'));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every pair × address agrees: the operator\'s drop works at once, the earlier accept does not override Docker\'s isolation', async () => {
    await expectAgreement([h], 'operator inet table beside iptables', [ping, http]);
    const world = buildWorld([await snapshotOf(h)]);
    expect(why(world, 'redis-2', 'redis-1', http).addresses[0]!.decidedBy).toMatchObject({ family: 'inet', table: 'inet ops', chain: 'forward_ops', handle: expect.any(Number), text: expect.stringMatching(/ops: no web on redis-1/) });
    // An accept ends only its own base chain: DOCKER-ISOLATION in iptables' filter (priority 0) still drops.
    expect(why(world, 'alpine-01', 'redis-1', ping).addresses[0]!.decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2', code: 'isolation' });
    expect(why(world, 'redis-2', 'redis-1', ping).verdict).toBe('reachable');
  });

  it('the fix removes the operator\'s rule with nft, verified by a live probe; rollback puts it back where it was', async () => {
    const rules = async () => (JSON.parse(await h.mustExec('nft', ['-j', 'list', 'chain', 'inet', 'ops', 'forward_ops'])) as { nftables: { rule?: { expr: unknown; comment?: string } }[] }).nftables.filter((x) => x.rule).map((x) => JSON.stringify([x.rule!.expr, x.rule!.comment ?? null]));
    const before = await rules();
    const stateDir = `${lab.dir}/state`;
    const listed = JSON.parse((await h.netdiag(['fix', 'redis-2', 'redis-1', '--port', '80/tcp', '--json'])).stdout) as { fixes: { id: string; kind: string; commands: string[] }[] };
    const fix = listed.fixes.find((f) => f.kind === 'remove-rule')!;
    expect(fix.commands[0]).toMatch(/^nft delete rule inet ops forward_ops handle \d+$/);
    const applied = await h.netdiag(['fix', 'redis-2', 'redis-1', '--port', '80/tcp', '--apply', '--fix', fix.id, '--yes', '--json', '--state-dir', stateDir]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ status: 'applied', verified: true });
    expect(await h.probe('redis-2', redis1, 80)).toBe(true);
    const rolled = await h.netdiag(['rollback', fix.id, '--state-dir', stateDir]);
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(await rules()).toEqual(before);
    expect(await h.probe('redis-2', redis1, 80)).toBe(false);
  });
});
