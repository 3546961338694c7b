// Lab: a network whose bridge is named by `-o com.docker.network.bridge.name=…` is explained and fixed as any other.
// Docker names a user network's bridge br-<12 hex of its ID> unless that option is given; the name carries no
// meaning, so the reason code, the kinds of fixes and whose rule the deciding DROP is must not depend on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { expectAgreement } from './agreement.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

interface WhyJson {
  verdict: 'reachable' | 'blocked' | 'unknown';
  addresses: { network: string; verdict: string; decidedBy: { kind: string; chain?: string; code?: string; owner?: string; text?: string } | null }[];
  fixes: { kind: string; title: string; discouraged: boolean }[];
}

/** What must not depend on a bridge's name: the verdict, what decided (and whose rule it is), and the kinds of fixes offered. */
function meaning(w: WhyJson) {
  const blocked = w.addresses.find((a) => a.verdict === 'blocked');
  return {
    verdict: w.verdict,
    decidedBy: blocked?.decidedBy ? { kind: blocked.decidedBy.kind, chain: blocked.decidedBy.chain, code: blocked.decidedBy.code, owner: blocked.decidedBy.owner } : null,
    fixes: w.fixes.map((f) => `${f.kind}${f.discouraged ? ' (discouraged)' : ''}`).sort(),
  };
}

const FLOWS = [
  { proto: 'icmp' as const, port: null },
  { proto: 'tcp' as const, port: 80 },
];
/** Each network and its containers; the two named by the option, with the names given. */
const MEMBERS: Record<string, string[]> = {
  'net-plain': ['plain'],
  'net-default': ['def'],
  'net-custom': ['cus'],
  'net-default-noicc': ['defa', 'defb'],
  'net-custom-noicc': ['cusa', 'cusb'],
};
const CUSTOM_BRIDGE: Record<string, string> = { 'net-custom': 'lab-custom0', 'net-custom-noicc': 'lab-custom1' };

describe.skipIf(skip !== null)('a custom bridge name (com.docker.network.bridge.name)', () => {
  let lab: Lab;
  let h: LabHost;
  const why = async (a: string, b: string): Promise<WhyJson> => {
    const r = await h.netdiag(['why', a, b, '--json'], 60_000);
    expect([0, 1], r.stderr).toContain(r.exitCode);
    return JSON.parse(r.stdout) as WhyJson;
  };

  beforeAll(async () => {
    lab = await Lab.create();
    h = await lab.host('h1');
    // Same daemon: two networks Docker names itself (br-<id>), two named by the option; one of each pair with icc off.
    await Promise.all([
      h.docker(['network', 'create', 'net-plain']),
      h.docker(['network', 'create', 'net-default']),
      h.docker(['network', 'create', '-o', `com.docker.network.bridge.name=${CUSTOM_BRIDGE['net-custom']}`, 'net-custom']),
      h.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'net-default-noicc']),
      h.docker(['network', 'create', '-o', `com.docker.network.bridge.name=${CUSTOM_BRIDGE['net-custom-noicc']}`, '-o', 'com.docker.network.bridge.enable_icc=false', 'net-custom-noicc']),
    ]);
    await Promise.all(Object.entries(MEMBERS).flatMap(([network, containers]) => containers.map((c) => h.run(c, { network }))));
    // The option took: the bridges carry the names given, the others Docker's own.
    const links = await h.mustExec('ip', ['-o', 'link', 'show', 'type', 'bridge']);
    expect(links).toMatch(/: lab-custom0[:@]/);
    expect(links).toMatch(/: lab-custom1[:@]/);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it.each([
    ['into it from another network', ['plain', 'def'], ['plain', 'cus']],
    ['out of it into another network', ['def', 'plain'], ['cus', 'plain']],
  ])('isolation %s: the same decision code and the same kinds of fixes as a Docker-named bridge', async (_, [da, db], [ca, cb]) => {
    const [dflt, custom] = await Promise.all([why(da as string, db as string), why(ca as string, cb as string)]);
    expect(meaning(dflt).decidedBy).toMatchObject({ code: 'isolation', owner: 'docker' });
    expect(meaning(custom)).toEqual(meaning(dflt));
  });

  it('icc off on the network: the same decision code and the same kinds of fixes, none removing "the administrator\'s rule"', async () => {
    const [dflt, custom] = await Promise.all([why('defa', 'defb'), why('cusa', 'cusb')]);
    expect(meaning(dflt).decidedBy).toMatchObject({ code: 'icc-off', owner: 'docker' });
    // Docker wrote the `-i lab-custom1 -o lab-custom1 -j DROP`: no fix may offer to remove it as someone's own rule.
    expect(custom.fixes.filter((f) => f.kind === 'remove-rule')).toEqual([]);
    expect(meaning(custom)).toEqual(meaning(dflt));
  });

  it("why's verdicts agree with real probes on every pair (ping and tcp/80)", async () => {
    await expectAgreement([h], 'bridge-name', FLOWS);
  });

  // Docker 28+ also drops, in raw PREROUTING, anything for a container that does not arrive on its bridge. This
  // daemon is 20.10, which writes no raw rules: the same rules written here by hand, exactly as dockerd 28 writes them
  // (test/fixtures/moby/docker28-user-defined-bridge.iptables.txt), one per container naming its network's bridge,
  // are an administrator's on this host — whatever the bridge is called. (On a Docker 28 host they are Docker's
  // direct-access drops: test/unit/rules/meaning.test.ts reads them so from the version Docker reports.)
  describe("with rules shaped like Docker 28's direct-access drops (raw PREROUTING), written by an administrator", () => {
    beforeAll(async () => {
      for (const [network, containers] of Object.entries(MEMBERS)) {
        const id = (await h.docker(['network', 'inspect', '-f', '{{.Id}}', network])).trim();
        const bridge = CUSTOM_BRIDGE[network] ?? `br-${id.slice(0, 12)}`;
        for (const c of containers) await h.mustExec('iptables', ['-t', 'raw', '-A', 'PREROUTING', '-d', `${await h.ip(c, network)}/32`, '!', '-i', bridge, '-j', 'DROP']);
      }
    });

    it.each([
      ['into it from another network', ['plain', 'def'], ['plain', 'cus']],
      ['out of it into another network', ['def', 'plain'], ['cus', 'plain']],
    ])('%s: the raw drop is the administrator\'s whatever the bridge is called (same code, owner and kinds of fixes)', async (_, [da, db], [ca, cb]) => {
      const [dflt, custom] = await Promise.all([why(da as string, db as string), why(ca as string, cb as string)]);
      expect(meaning(dflt).decidedBy).toEqual({ kind: 'rule', chain: 'PREROUTING', code: 'rule', owner: 'admin' });
      // Someone's own rule, never read as Docker's: no fix edits Docker's chains. (Removing it alone is no fix: Docker's
      // isolation still drops between the networks, so only fixes predicted to work, joining a network, are offered.)
      expect(custom.fixes.length).toBeGreaterThan(0);
      expect(custom.fixes.some((f) => f.kind === 'edit-docker-chain')).toBe(false);
      expect(meaning(custom)).toEqual(meaning(dflt));
    });

    it("why's verdicts still agree with real probes on every pair", async () => {
      await expectAgreement([h], 'bridge-name + raw drops', FLOWS);
    });
  });
});
