// Lab: policy routing on one host (ip rules selecting by source, destination and a mangle mark; blackhole, throw and
// prohibit in their tables) against real probes across two hosts, every pair × address, and `why` naming the rule.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable, NETDIAG_BIN, nodeFlags } from './lab.js';
import type { LabHost } from './lab.js';
import { expectAgreement, snapshotOf } from './agreement.js';
import { runCommand as run } from '../../host/exec.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping = { proto: 'icmp' as const, port: null };
const http = { proto: 'tcp' as const, port: 80 };

/**
 * p1 (LAN 10.77.0.21): a1 on net-a 172.30.1.0/24 (its containers from 172.30.1.128/25), b1 on net-b 172.30.2.0/24, c1 on docker0 172.17.0.0/16, hc on the
 * host's network. p2 (LAN 10.77.0.22): r1 on net-c 172.31.1.0/24, r2 on docker0 172.20.0.0/24. Each routes the
 * other's container subnets over the LAN and accepts them in DOCKER-USER; p2 does not masquerade net-c towards p1's
 * networks, so p1's containers answer r1 at its own address. p1's policy:
 * - 100 from 172.30.1.128/25 lookup 100 (the containers' range, not the bridge's own .1: with it, the host's own
 *   packets to a1 would be selected when the program binds its source, and busybox ping does not), table 100 blackholes 172.31.1.0/24, throws 10.77.0.0/24 (back to main) and
 *   prohibits the rest: a1 reaches p2's LAN address only, and its replies to r1 are dropped by the same rule;
 * - 110 to 172.20.0.2 prohibit: nothing on p1 reaches r2;
 * - 120 fwmark 0x1 lookup 200, table 200 blackholing 172.31.1.0/24: mangle PREROUTING marks what comes in on
 *   docker0 (c1's requests and replies); the second test marks the host's own packets to r1 in mangle OUTPUT.
 */
async function policyHosts(lab: Lab): Promise<[LabHost, LabHost]> {
  const [p1, p2] = await Promise.all([lab.host('p1', { lan: '10.77.0.21/24' }), lab.host('p2', { lan: '10.77.0.22/24', bip: '172.20.0.1/24' })]);
  await p1.docker(['network', 'create', '--subnet', '172.30.1.0/24', '--ip-range', '172.30.1.128/25', '--gateway', '172.30.1.1', 'net-a']);
  await p1.docker(['network', 'create', '--subnet', '172.30.2.0/24', 'net-b']);
  await p2.docker(['network', 'create', '--subnet', '172.31.1.0/24', 'net-c']);
  await Promise.all([
    p1.run('a1', { network: 'net-a' }),
    p1.run('b1', { network: 'net-b' }),
    p1.run('c1'),
    p1.run('hc', { network: 'host', cmd: ['sleep', '3600'] }),
    p2.run('r1', { network: 'net-c' }),
    p2.run('r2'),
  ]);
  // Across the LAN both ways; each host's DOCKER-USER lets the other's traffic (its LAN address after MASQUERADE, or
  // a container's own address when p1 replies without it) into its container networks.
  await p1.mustExec('ip', ['route', 'add', '172.31.1.0/24', 'via', '10.77.0.22']);
  await p1.mustExec('ip', ['route', 'add', '172.20.0.0/24', 'via', '10.77.0.22']);
  await p2.mustExec('ip', ['route', 'add', '172.30.0.0/16', 'via', '10.77.0.21']);
  await p2.mustExec('ip', ['route', 'add', '172.17.0.0/16', 'via', '10.77.0.21']);
  await p2.mustExec('iptables', ['-w', '-t', 'nat', '-I', 'POSTROUTING', '-s', '172.31.1.0/24', '-d', '172.30.0.0/16', '-j', 'RETURN']);
  await p1.mustExec('iptables', ['-w', '-I', 'DOCKER-USER', '-i', 'eth0', '-j', 'ACCEPT']);
  await p2.mustExec('iptables', ['-w', '-I', 'DOCKER-USER', '-i', 'eth0', '-j', 'ACCEPT']);
  // p1's policy routing.
  await p1.mustExec('ip', ['route', 'add', 'blackhole', '172.31.1.0/24', 'table', '100']);
  await p1.mustExec('ip', ['route', 'add', 'throw', '10.77.0.0/24', 'table', '100']);
  await p1.mustExec('ip', ['route', 'add', 'prohibit', 'default', 'table', '100']);
  await p1.mustExec('ip', ['route', 'add', 'blackhole', '172.31.1.0/24', 'table', '200']);
  await p1.mustExec('ip', ['rule', 'add', 'pref', '100', 'from', '172.30.1.128/25', 'lookup', '100']);
  await p1.mustExec('ip', ['rule', 'add', 'pref', '110', 'to', '172.20.0.2', 'prohibit']);
  await p1.mustExec('ip', ['rule', 'add', 'pref', '120', 'fwmark', '0x1', 'lookup', '200']);
  await p1.mustExec('iptables', ['-w', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'docker0', '-j', 'MARK', '--set-mark', '0x1']);
  return [p1, p2];
}

describe.skipIf(skip !== null)('policy routing: ip rules on one host, every pair × address against real probes', () => {
  let lab: Lab;
  let p1: LabHost;
  let p2: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    [p1, p2] = await policyHosts(lab);
  }, 180_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('the rules decide who reaches p2 (source, destination, a PREROUTING mark, a reply\'s source)', async () => {
    // Ground truth the scenario is built on, so the agreement below is not agreement on nothing.
    expect(await p1.probe('b1', await p2.ip('r1', 'net-c'))).toBe(true);
    expect(await p1.probe('a1', await p2.ip('r1', 'net-c'))).toBe(false);
    expect(await p1.probe('a1', '10.77.0.22')).toBe(true);
    expect(await p1.probe('c1', await p2.ip('r1', 'net-c'))).toBe(false);
    expect(await p2.probe('r1', await p1.ip('b1', 'net-b'))).toBe(true);
    expect(await p2.probe('r1', await p1.ip('a1', 'net-a'))).toBe(false);
    await expectAgreement([p1, p2], 'policy rules on p1', [ping, http]);
  }, 600_000);

  it('a mark set in mangle OUTPUT re-routes the host\'s own packets (ip_route_me_harder)', async () => {
    const r1 = await p2.ip('r1', 'net-c');
    expect(await p1.probe('hc', r1)).toBe(true);
    await p1.mustExec('iptables', ['-w', '-t', 'mangle', '-A', 'OUTPUT', '-d', r1, '-j', 'MARK', '--set-mark', '0x1']);
    expect(await p1.probe('hc', r1)).toBe(false);
    await expectAgreement([p1, p2], 'mangle OUTPUT marks p1 → r1', [ping, http]);
    await p1.mustExec('iptables', ['-w', '-t', 'mangle', '-D', 'OUTPUT', '-d', r1, '-j', 'MARK', '--set-mark', '0x1']);
  }, 600_000);

  it('netdiag why names the rule that chose the table, in text and in --json', async () => {
    // NETDIAG_POLICY_CAPTURE=DIR keeps the two snapshots there (how test/fixtures/captured/policy/p1.json, p2.json were made).
    const dir = process.env.NETDIAG_POLICY_CAPTURE ?? mkdtempSync(join(tmpdir(), 'netdiag-policy-'));
    const files = await Promise.all(
      [p1, p2].map(async (h) => {
        const f = join(dir, `${h.name}.json`);
        writeFileSync(f, JSON.stringify(await snapshotOf(h)));
        return f;
      }),
    );
    const args = ['why', 'p1/a1', 'p2/r1', ...files.flatMap((f) => ['--snapshot', f])];
    const text = await run(process.execPath, [...nodeFlags(), NETDIAG_BIN, ...args], { timeoutMs: 60_000 });
    console.log(`netdiag ${args.slice(0, 3).join(' ')}:\n${text.stdout}`);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('route (rule 100: from 172.30.1.128/25 lookup 100): blackhole 172.31.1.0/24 (table 100)');
    const json = await run(process.execPath, [...nodeFlags(), NETDIAG_BIN, ...args, '--json'], { timeoutMs: 60_000 });
    const out = JSON.parse(json.stdout) as { addresses: { request: { steps: { type: string; rule?: unknown; result?: string }[] }[] }[] };
    const steps = out.addresses[0]!.request.flatMap((h) => h.steps).filter((s) => s.type === 'route');
    expect(steps.at(-1)).toMatchObject({ result: 'blackhole', table: '100', rule: { priority: 100, text: 'from 172.30.1.128/25 lookup 100' } });
    // The reply of an allowed pair is selected by its source too: b1's reply to r1 passes, a1's does not (r1 → a1).
    const back = await run(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'why', 'p2/r1', 'p1/a1', ...files.flatMap((f) => ['--snapshot', f])], { timeoutMs: 60_000 });
    console.log(`netdiag why p2/r1 p1/a1:\n${back.stdout}`);
    expect(back.exitCode).toBe(1);
    expect(back.stdout).toContain('rule 100: from 172.30.1.128/25 lookup 100');
  }, 120_000);

  it('wg-quick\'s pattern on p2: main with suppress_prefixlength, then `not fwmark` into a table that blackholes the rest', async () => {
    // As wg-quick writes them (its suppress_prefixlength is 0; 16 here, so p2's /16 routes to p1 are the ones
    // suppressed): p2's own requests to p1's containers now go to table 51820 and die, unless mangle marked them
    // (r2's, on docker0), which `not fwmark` lets fall through to main.
    await p2.mustExec('ip', ['route', 'add', 'blackhole', 'default', 'table', '51820']);
    await p2.mustExec('ip', ['rule', 'add', 'pref', '200', 'lookup', 'main', 'suppress_prefixlength', '16']);
    await p2.mustExec('ip', ['rule', 'add', 'pref', '210', 'not', 'fwmark', '0x5', 'lookup', '51820']);
    await p2.mustExec('iptables', ['-w', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'docker0', '-j', 'MARK', '--set-mark', '0x5']);
    const b1 = await p1.ip('b1', 'net-b');
    expect(await p2.probe('r1', b1)).toBe(false);
    expect(await p2.probe('r2', b1)).toBe(true);
    await expectAgreement([p1, p2], 'wg-quick pattern on p2', [ping, http]);
  }, 600_000);
});
