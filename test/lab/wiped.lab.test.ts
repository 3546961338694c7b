// Lab (issue 29): Docker's rules wiped while dockerd runs — firewalld started after Docker (on a system bus the test
// starts and stops), `iptables -t nat -F`, `nft flush ruleset` — on Docker 20.10's iptables backend and on Docker 29's
// nftables backend (docker29.ts). doctor names the missing rules and the cause, why points at it; a dockerd restart
// brings the rules back: the finding clears and the model agrees with real probes again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAgreement, snapshotOf } from './agreement.js';
import { dockerBridgesTable, EMPTY_IPTABLES } from './docker29.js';
import { startFirewalld, systemBus } from './firewalld.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import type { Flow } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping: Flow = { proto: 'icmp', port: null };
const http: Flow = { proto: 'tcp', port: 80 };

interface Found {
  code: string;
  title: string;
  evidence: string[];
  fix: string;
}

async function findings(h: LabHost): Promise<Found[]> {
  const r = await h.netdiag(['doctor', '--json']);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`doctor on ${h.name} exited ${r.exitCode}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: Found[] }).findings;
}
const wiped = async (h: LabHost) => (await findings(h)).find((f) => f.code === 'docker-rules-missing');

/** Docker 29's nftables backend over a lab host: iptables emptied, `ip docker-bridges` written for its networks. */
async function asNftBackend(h: LabHost): Promise<void> {
  await h.feed('iptables-restore', [], EMPTY_IPTABLES);
  await h.feed('nft', ['-f', '-'], dockerBridgesTable(await snapshotOf(h)));
}

/** What each seed network lacks once all of Docker's rules are gone (net-redis's line also names redis-2's port). */
const ALL_GONE = [/^network bridge on docker0: no isolation, no forward accepts, no MASQUERADE$/, /^network net-redis on br-\w+: no isolation, no forward accepts, no MASQUERADE, no DNAT for 8080\/tcp \(redis-2 0\.0\.0\.0:8080->80\/tcp\)$/];
/** The per-network lines, in Docker's order of networks (which a daemon restart may change), sorted by network. */
const networkLines = (w: Found) => w.evidence.filter((e) => e.startsWith('network ')).sort();
const expectAllGone = (w: Found) => {
  const lines = networkLines(w);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(ALL_GONE[0]!);
  expect(lines[1]).toMatch(ALL_GONE[1]!);
};

describe.skipIf(skip !== null)('Docker\'s rules wiped while dockerd runs', () => {
  let lab: Lab;
  let ipt: LabHost;
  let nft: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    [ipt, nft] = await Promise.all([seedScenario(lab, 'w1'), seedScenario(lab, 'w2')]);
    await asNftBackend(nft);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('iptables backend, firewalld started after dockerd: the missing rules and firewalld named; why points at it; a dockerd restart clears it', async () => {
    expect(await wiped(ipt)).toBeUndefined();
    const bus = await systemBus();
    try {
      const fw = await startFirewalld(ipt);
      try {
        const f = await findings(ipt);
        const w = f.find((x) => x.code === 'docker-rules-missing')!;
        expect(w.title).toMatch(/^Docker's iptables rules are missing for bridge, net-redis: .*\(firewalld removed them\)/);
        expectAllGone(w);
        expect(w.evidence).toContain('Docker 20.10.24+dfsg1 writes its rules with iptables (its nftables backend came later)');
        expect(w.evidence.some((e) => /^firewalld's table inet firewalld \(handle \d+\) was created after ip \w+ \(handle \d+\)/.test(e))).toBe(true);
        expect(w.evidence).toContain("iptables' nat table holds no rule at all");
        expect(w.evidence.some((e) => /^filter FORWARD policy DROP .* none of Docker's chains left/.test(e))).toBe(true);
        expect(w.fix).toMatch(/^restart dockerd .*start firewalld before Docker/);
        // firewalld's own forward drop is reported too, but its fix defers to bringing Docker's rules back.
        expect(f.find((x) => x.code === 'foreign-forward-drop')?.fix).toMatch(/^first bring Docker's rules back \(docker-rules-missing: restart dockerd/);
        const why = await ipt.netdiag(['why', 'alpine-01', 'redis-1']);
        expect(why.stdout.split('\n')[1]).toMatch(/^ {2}Docker's rules for bridge \(isolation, forward accepts, MASQUERADE\) and net-redis \(.*\) are missing on \S+: see doctor's docker-rules-missing$/);
        await ipt.restartDocker();
        expect(await wiped(ipt)).toBeUndefined();
        await expectAgreement([ipt], 'firewalld after dockerd, then a dockerd restart', [ping, http]);
        expect((await ipt.netdiag(['why', 'alpine-01', 'redis-1'])).stdout).not.toMatch(/docker-rules-missing/);
      } finally {
        await fw.stop();
      }
    } finally {
      bus.stop();
      // Whatever failed above, the next scenario starts from Docker's own rules.
      await ipt.restartDocker();
    }
  });

  it('iptables backend, iptables -t nat -F: MASQUERADE and DNAT named, isolation and accepts not; a restart clears it', async () => {
    expect(await wiped(ipt)).toBeUndefined();
    await ipt.mustExec('iptables', ['-t', 'nat', '-F']);
    const w = (await wiped(ipt))!;
    expect(networkLines(w)).toEqual([expect.stringMatching(/^network bridge on docker0: no MASQUERADE$/), expect.stringMatching(/^network net-redis on br-\w+: no MASQUERADE, no DNAT for 8080\/tcp \(redis-2 0\.0\.0\.0:8080->80\/tcp\)$/)]);
    expect(w.evidence).toContain("iptables' nat table holds no rule at all");
    await ipt.restartDocker();
    expect(await wiped(ipt)).toBeUndefined();
    await expectAgreement([ipt], 'iptables -t nat -F, then a dockerd restart', [ping, http]);
  });

  it('iptables backend, nft flush ruleset: every rule named, the tables gone; a restart clears it', async () => {
    await ipt.mustExec('nft', ['flush', 'ruleset']);
    const w = (await wiped(ipt))!;
    expectAllGone(w);
    expect(w.evidence).toContain('iptables has no nat table at all (a flush of the whole ruleset removes it)');
    await ipt.restartDocker();
    expect(await wiped(ipt)).toBeUndefined();
    await expectAgreement([ipt], 'nft flush ruleset, then a dockerd restart', [ping, http]);
  });

  it('nftables backend, iptables -t nat -F: Docker\'s rules are not there, nothing is missing, the probes agree', async () => {
    expect(await wiped(nft)).toBeUndefined();
    await nft.mustExec('iptables', ['-t', 'nat', '-F']);
    expect(await wiped(nft)).toBeUndefined();
    await expectAgreement([nft], 'nftables backend after iptables -t nat -F', [ping, http]);
  });

  it('nftables backend, nft flush ruleset: every rule named; dockerd started again (and its table rewritten) clears it', async () => {
    await nft.mustExec('nft', ['flush', 'ruleset']);
    const w = (await wiped(nft))!;
    expectAllGone(w);
    await nft.restartDocker();
    await asNftBackend(nft);
    expect(await wiped(nft)).toBeUndefined();
    await expectAgreement([nft], 'nftables backend after nft flush ruleset and a restart', [ping, http]);
  });
});
