// Fixes on the captured snapshots: the ranking, each prediction, and "also opens" — checked against the model run
// independently on the changed snapshots (the fix's own steps applied), not only for existence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySteps } from '../../../rules/changes/predict.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { eachPair } from '../../../rules/matrix/matrix.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import type { Fix, Flow, PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';

const load = (p: string) => parseSnapshot(JSON.parse(readFileSync(p, 'utf8')));
const seed = load(join(REPO, 'examples/seed-host.json'));
const mobyDocker = load(join(CAPTURED, 'moby-topology/docker.json'));
const mobyPeer = load(join(CAPTURED, 'moby-topology/peer.json'));

function reachablePairs(snapshots: HostSnapshot[], flow: Flow): Set<string> {
  const out = new Set<string>();
  eachPair(buildWorld(snapshots), flow, (p) => {
    if (p.verdict === 'reachable') out.add(`${p.from} → ${p.to}`);
  });
  return out;
}

/** Everything a fix claims, recomputed from its steps through another path (the class-sharing matrix). */
function checkClaims(snapshots: HostSnapshot[], from: string, to: string, flow: Flow, fixes: Fix[]): void {
  const before = reachablePairs(snapshots, flow);
  for (const f of fixes) {
    const changed = applySteps(snapshots, f.steps);
    const world = buildWorld(changed);
    expect(why(world, from, to, flow).verdict, `${f.id} forward`).toBe(f.predicted.forward);
    expect(why(world, to, from, flow).verdict, `${f.id} reverse`).toBe(f.predicted.reverse);
    const opened = [...reachablePairs(changed, flow)].filter((p) => !before.has(p) && p !== `${from} → ${to}`);
    expect([...f.alsoOpens].sort(), `${f.id} also opens`).toEqual(opened.sort());
    expect(f.commands.length, `${f.id} commands are its steps`).toBe(f.steps.length);
  }
  // Only fixes that work are offered. Ranked: by name before by address only, advisable before discouraged, then the
  // fewest side effects; a family left blocked weighs almost as much as being discouraged.
  for (const f of fixes) expect(f.predicted.forward, `${f.id} works`).toBe('reachable');
  const rank = (f: Fix) => (f.byName === 'fails' ? 200 : 0) + (f.discouraged ? 50 : 0) + Object.values(f.predicted.families).filter((v) => v !== null && v !== 'reachable').length * 45 + Math.min(f.alsoOpens.length, 40);
  for (let i = 1; i < fixes.length; i++) expect(rank(fixes[i - 1]!), `${fixes[i - 1]!.id} before ${fixes[i]!.id}`).toBeLessThanOrEqual(rank(fixes[i]!));
}

/** A step as its typed fields say it: kind, where, and what it names. */
function stepKey(x: PlanStep): string {
  switch (x.kind) {
    case 'iptables-insert':
      return `${x.kind} ${x.table} ${x.chain} ${x.rule.slice(0, 4).join(' ')}`;
    case 'iptables-delete':
      return `${x.kind} ${x.table} ${x.chain} #${x.position}`;
    case 'docker-network-connect':
      return `${x.kind} ${x.containerName} ${x.network}`;
    default:
      return x.kind;
  }
}

describe('the seed host: alpine-01 (default bridge) → redis-1 (net-redis)', () => {
  const world = buildWorld([seed]);
  const flow = parseFlow(undefined);
  const fixes = fixesFor(world, why(world, 'alpine-01', 'redis-1', flow), flow);

  it('ranks first what makes `ping redis-1` work by name, then the narrow DOCKER-USER pair; Docker\'s own rule, which does not help, not at all', () => {
    // Told apart by their typed steps (the titles people read are in test/golden/fix-seed.txt).
    expect(fixes.map((f) => [f.kind, f.discouraged, f.byName, f.steps.map(stepKey)])).toEqual([
      ['network-connect', false, 'resolves', ['docker-network-connect alpine-01 net-redis']],
      ['docker-user', false, 'fails', ['iptables-insert filter DOCKER-USER -s 172.18.0.2/32 -d 172.17.0.2/32', 'iptables-insert filter DOCKER-USER -s 172.17.0.2/32 -d 172.18.0.2/32']],
      ['network-connect', false, 'fails', ['docker-network-connect redis-1 bridge']],
    ]);
    expect(fixes.map((f) => f.alsoOpens)).toEqual([['alpine-01 → redis-2', 'redis-1 → alpine-01', 'redis-2 → alpine-01'], [], ['redis-1 → alpine-01']]);
    // An IPv4-only host: IPv6 is no part of any prediction.
    const v4 = (forward: string, reverse: string) => ({ forward, reverse, families: { ipv4: forward, ipv6: null } });
    expect(fixes.map((f) => f.predicted)).toEqual([v4('reachable', 'reachable'), v4('reachable', 'blocked'), v4('reachable', 'reachable')]);
    // How each one lasts: Docker keeps an endpoint; DOCKER-USER survives dockerd, not a reboot.
    expect(fixes.map((f) => [f.persistence.daemonRestart, f.persistence.reboot])).toEqual([[true, true], [true, false], [true, true]]);
    expect(fixes[1]!.persistence.keep).toMatch(/netfilter-persistent save/);
  });

  it('every prediction and every "also opens" is what the model says after the fix\'s own steps', () => {
    checkClaims([seed], 'alpine-01', 'redis-1', flow, fixes);
  });

  it('a TCP question gets port-scoped rules', () => {
    const tcp = parseFlow('80/tcp');
    const f = fixesFor(world, why(world, 'alpine-01', 'redis-1', tcp), tcp);
    expect(f.find((x) => x.kind === 'docker-user')!.commands[1]).toContain('-p tcp --dport 80');
    checkClaims([seed], 'alpine-01', 'redis-1', tcp, f);
  });
});

describe('an administrator\'s DROP in DOCKER-USER between two containers of one network', () => {
  const s = structuredClone(seed);
  const user = s.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'DOCKER-USER')!;
  user.rules = [{ index: 1, text: '-A DOCKER-USER -s 172.18.0.3/32 -d 172.18.0.2/32 -j DROP', packets: 0, bytes: 0 }, ...user.rules.map((r, i) => ({ ...r, index: i + 2 }))];
  const world = buildWorld([s]);
  const flow = parseFlow(undefined);
  const fixes = fixesFor(world, why(world, 'redis-2', 'redis-1', flow), flow);

  it('offers removing it (not discouraged: it is the administrator\'s), and every claim holds', () => {
    const remove = fixes.find((f) => f.kind === 'remove-rule');
    // The same DROP also kills the replies of redis-1 → redis-2 (they come back 172.18.0.3 → 172.18.0.2).
    expect(remove).toMatchObject({ discouraged: false, predicted: { forward: 'reachable' }, alsoOpens: ['redis-1 → redis-2'] });
    expect(remove!.steps).toEqual([{ kind: 'iptables-delete', host: 'lab-h1', table: 'filter', chain: 'DOCKER-USER', rule: ['-s', '172.18.0.3/32', '-d', '172.18.0.2/32', '-j', 'DROP'], position: 1 }]);
    checkClaims([s], 'redis-2', 'redis-1', flow, fixes);
  });
});

describe('forwarding off on the host', () => {
  const s = structuredClone(seed);
  s.sysctls!.values['net.ipv4.ip_forward'] = '0';
  const world = buildWorld([s]);
  const flow = parseFlow(undefined);
  const answer = why(world, 'alpine-01', 'redis-1', flow);
  const fixes = fixesFor(world, answer, flow);
  it('is what decides; turning it on alone is no fix (isolation still blocks), joining the network is (no forwarding on one bridge)', () => {
    expect(answer.addresses[0]!.decidedBy).toMatchObject({ kind: 'sysctl' });
    expect(fixes.map((f) => f.kind)).not.toContain('ip-forward');
    expect(fixes[0]).toMatchObject({ kind: 'network-connect', title: 'connect alpine-01 to net-redis' });
    checkClaims([s], 'alpine-01', 'redis-1', flow, fixes);
  });
});

describe('two drops in a row: a peer host\'s container → c1, with forwarding off on c1\'s host and FORWARD\'s policy DROP', () => {
  const docker = structuredClone(mobyDocker);
  docker.sysctls!.values['net.ipv4.ip_forward'] = '0';
  const snaps = [docker, mobyPeer];
  const world = buildWorld(snaps);
  const flow = parseFlow(undefined);
  const fixes = fixesFor(world, why(world, 'peer/peer-1', 'docker/c1', flow), flow);
  it('no one change works: forwarding on, then the accept, is offered as one fix, predicted and checked', () => {
    expect(fixes.map((f) => f.steps.map((x) => x.kind))).toEqual([['sysctl', 'iptables-insert', 'iptables-insert']]);
    // The accept names the peer's container as the peer host's masquerade leaves it (10.66.0.2), not as it sent.
    expect(fixes[0]!.commands[2]).toContain('-s 10.66.0.2/32 -d 192.0.2.2/32');
    expect(fixes[0]!.title).toMatch(/^enable forwarding on docker, then accept peer-1 → 192.0.2.2 in DOCKER-USER$/);
    expect(fixes[0]!.persistence.reboot).toBe(false);
    checkClaims(snaps, 'peer/peer-1', 'docker/c1', flow, fixes);
  });
});

describe('the moby topology (captured, two hosts): c0 on docker0 → c1 on bridge1', () => {
  const snaps = [mobyDocker, mobyPeer];
  const world = buildWorld(snaps);
  const flow = parseFlow(undefined);
  const fixes = fixesFor(world, why(world, 'docker/c0', 'docker/c1', flow), flow);
  it('ranks and predicts as the model does on the changed hosts', () => {
    expect(fixes[0]).toMatchObject({ kind: 'network-connect', byName: 'resolves' });
    expect(fixes.map((f) => f.kind)).toContain('docker-user');
    expect(fixes.some((f) => f.discouraged)).toBe(false);
    checkClaims(snaps, 'docker/c0', 'docker/c1', flow, fixes);
  });
});

describe('a dual-stack host with ip6tables (captured, Docker 20.10 --ip6tables): b4 on net6 → a4 on the default bridge', () => {
  const s = load(join(CAPTURED, 'ipv6/v6tables.json'));
  const world = buildWorld([s]);
  const flow = parseFlow(undefined);
  const answer = why(world, 'b4', 'a4', flow);
  const fixes = fixesFor(world, answer, flow);
  it('both families are blocked, each by its own rule set', () => {
    expect(answer.families).toEqual({ ipv4: 'blocked', ipv6: 'blocked' });
  });
  it('ranks joining the network (the name resolves too) first, then the accept that opens both families; one that opens one family only says which stays blocked', () => {
    expect(fixes[0]).toMatchObject({ kind: 'network-connect', byName: 'resolves' });
    const both = fixes[1]!;
    expect(both.kind).toBe('docker-user');
    expect(both.predicted.families).toEqual({ ipv4: 'reachable', ipv6: 'reachable' });
    // Docker 20.10 makes no DOCKER-USER in ip6tables: the IPv6 half goes on top of ip6tables FORWARD.
    expect(both.commands.filter((c) => c.startsWith('ip6tables -w -I FORWARD')).length).toBe(2);
    expect(both.commands.filter((c) => c.startsWith('iptables -w -I DOCKER-USER')).length).toBe(2);
    expect(both.commands.some((c) => c.includes('-p ipv6-icmp') && c.includes('/128'))).toBe(true);
    const v4only = fixes.find((f) => f.kind === 'docker-user' && f.steps.every((x) => x.kind === 'iptables-insert' && !x.ip6tables))!;
    expect(v4only.predicted.families).toEqual({ ipv4: 'reachable', ipv6: 'blocked' });
    expect(v4only.note).toMatch(/It opens IPv4 only: over IPv6 a4 stays blocked/);
    expect(fixes.indexOf(v4only)).toBeGreaterThan(1);
    const v6only = fixes.find((f) => f.kind === 'docker-user' && f.steps.every((x) => x.kind === 'iptables-insert' && x.ip6tables))!;
    expect(v6only.predicted.families).toEqual({ ipv4: 'blocked', ipv6: 'reachable' });
    expect(v6only.steps.map((x) => x.kind === 'iptables-insert' && `${x.table} ${x.chain}`)).toEqual(['filter FORWARD', 'filter FORWARD']);
    // The note warns that a daemon restart puts Docker's jumps above it: the warning is the product.
    expect(v6only.note).toMatch(/no DOCKER-USER chain in ip6tables/);
  });
  it('Docker\'s own rules are not offered: deleting one (in either family) leaves the other family blocked', () => {
    expect(fixes.filter((f) => f.kind === 'edit-docker-chain')).toEqual([]);
  });
  it('every prediction and every "also opens" is what the model says after the fix\'s own steps', () => {
    checkClaims([s], 'b4', 'a4', flow, fixes);
  });
});
