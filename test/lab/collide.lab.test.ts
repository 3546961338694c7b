// Lab: "Docker took my LAN" — Docker networks whose subnets collide with the LAN, with a routed (VPN-like) prefix and
// with one policy-routed through table 100, on two real hosts: the model agrees with real probes on every pair × address, `why` names the shadowing route,
// `doctor` names each collision with a fix that, applied, really gives the LAN back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { collideScenario } from './scenarios.js';
import { expectAgreement, snapshotOf } from './agreement.js';
import type { DecisionOf } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping = { proto: 'icmp' as const, port: null };
const http = { proto: 'tcp' as const, port: 80 };

interface Finding {
  code: string;
  severity: string;
  subject?: string;
  title: string;
  evidence: string[];
  fix: string;
}

describe.skipIf(skip !== null)('subnets that collide with the LAN', () => {
  let lab: Lab;
  let col1: LabHost;
  let col2: LabHost;
  let dir: string;
  /** Both hosts' snapshots as files, for questions across them asked from col1. */
  const snapshots = async () => {
    const [a, b] = await Promise.all([snapshotOf(col1), snapshotOf(col2)]);
    writeFileSync(join(dir, 'col1.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'col2.json'), JSON.stringify(b));
    return ['--snapshot', join(dir, 'col1.json'), '--snapshot', join(dir, 'col2.json')];
  };
  const why = async (from: string, to: string, extra: string[] = []) => {
    const r = await col1.netdiag(['why', from, to, '--json', ...extra]);
    expect(r.exitCode, r.stderr).toBeLessThan(2);
    return JSON.parse(r.stdout) as { verdict: string; addresses: { ip: string; verdict: string; decidedBy: DecisionOf<'elsewhere'> }[] };
  };
  const doctor = async (extra: string[] = []) => {
    const r = await col1.netdiag(['doctor', '--json', ...extra]);
    return { exit: r.exitCode, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
  };

  beforeAll(async () => {
    lab = await Lab.create();
    dir = mkdtempSync(join(tmpdir(), 'netdiag-collide-'));
    [col1, col2] = await collideScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('dockerd 20.10 takes an explicit colliding --subnet; its own pool skips an on-link prefix, not a route through a gateway', async () => {
    // The scenario made net-lan and net-vpn with explicit colliding subnets: dockerd refused neither.
    expect(await col1.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'net-lan'])).toMatch(/^10\.77\.0\.0\/16/);
    // 172.17.0.0/16 is docker0's; the next pool is 172.18.0.0/16. Is it skipped when a host route or an on-link prefix covers it?
    const pick = async (name: string) => {
      await col1.docker(['network', 'create', name]);
      const subnet = (await col1.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', name])).trim();
      await col1.docker(['network', 'rm', name]);
      return subnet;
    };
    await col1.mustExec('ip', ['route', 'add', '172.18.0.0/16', 'via', '10.77.0.12']);
    const routed = await pick('auto1');
    await col1.mustExec('ip', ['route', 'del', '172.18.0.0/16']);
    await col1.mustExec('ip', ['addr', 'add', '172.18.5.11/24', 'dev', 'eth0']);
    const onLink = await pick('auto2');
    await col1.mustExec('ip', ['addr', 'del', '172.18.5.11/24', 'dev', 'eth0']);
    console.log(`dockerd ${(await col1.docker(['version', '--format', '{{.Server.Version}}'])).trim()}: its own pool with a route over 172.18.0.0/16: ${routed}; with 172.18.5.0/24 on-link: ${onLink}`);
    expect(routed).toBe('172.18.0.0/16');
    expect(onLink).toBe('172.19.0.0/16');
  });

  it('the model agrees with real probes on every pair × address, ping and tcp/80', async () => {
    await expectAgreement([col1, col2], 'colliding networks', [ping, http]);
  });

  it('why names the shadowing route: x1 looks for the LAN on its bridge; col1 sends the VPN prefix into br-vpn; x1\'s replies leave on the LAN', async () => {
    const snaps = await snapshots();
    const lan = await why('col1/x1', 'col2/hostc2', snaps);
    expect(lan.verdict).toBe('blocked');
    const at = (ip: string) => lan.addresses.find((a) => a.ip === ip)!.decidedBy;
    expect(at('10.77.0.12')).toMatchObject({ kind: 'elsewhere', code: 'overlapping-subnet', shadow: { winner: 'network', at: { kind: 'container', name: 'x1' }, network: { name: 'net-lan', subnet: '10.77.0.0/16' }, collidesWith: { kind: 'on-link', prefix: '10.77.0.0/24', iface: 'eth0' } } });
    expect(at('10.77.0.12').reason).toMatch(/10\.77\.0\.12 is inside col1's network net-lan \(10\.77\.0\.0\/16 on br-\w+\), which overlaps the LAN 10\.77\.0\.0\/24 on col1's eth0: x1 looks for it on br-\w+, not on eth0/);
    expect(at('10.88.0.1')).toMatchObject({ direction: 'reply', shadow: { winner: 'lan', route: '10.77.0.0/24 dev eth0', collidesWith: { kind: 'on-link' } }, firstDrop: { code: 'forward-policy' } });
    const vpn = (await why('col1/d1', 'col2/hostc2', snaps)).addresses.find((a) => a.ip === '10.99.0.12')!.decidedBy;
    expect(vpn).toMatchObject({ code: 'overlapping-subnet', shadow: { winner: 'network', at: { kind: 'host', host: 'col1' }, network: { name: 'net-vpn' }, collidesWith: { kind: 'route', route: '10.99.0.0/16 via 10.77.0.12 dev eth0' } }, firstDrop: { code: 'isolation' } });
    // Table 100, which col1's rule consults before main, takes t1's address to col2: the cause, not col2's missing route.
    const tbl = (await why('col1/d1', 'col1/t1', snaps)).addresses[0]!.decidedBy;
    expect(tbl).toMatchObject({ code: 'overlapping-subnet', shadow: { winner: 'lan', table: '100', network: { name: 'net-tbl' } }, firstDrop: { host: 'col2', kind: 'route' } });
    // Live, from col1 alone, asked by address: the LAN neighbour x1 cannot reach, and the text a person reads.
    const text = await col1.netdiag(['why', 'x1', '10.77.0.12', '--host-name', 'col1']);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toMatch(/overlaps the LAN 10\.77\.0\.0\/24 on col1's eth0: x1 looks for it on br-/);
    console.log(text.stdout);
  });

  it('doctor names each collision, what it shadows, and the fix; applied, the fix really gives the LAN back', async () => {
    const live = await doctor();
    expect(live.exit).toBe(1);
    const found = live.findings.filter((f) => f.code === 'subnet-overlaps-route');
    expect(found.map((f) => f.subject).sort()).toEqual(['net-lan', 'net-tbl', 'net-vpn']);
    // Alone, col1 knows nothing in 10.99.0.0/24 beyond its gateway: the collision may shadow nothing yet (a warning);
    // net-lan cuts off x1 itself (an error). With col2 in view, 10.99.0.12 is there: an error.
    expect(Object.fromEntries(found.map((f) => [f.subject, f.severity]))).toEqual({ 'net-lan': 'error', 'net-vpn': 'warning', 'net-tbl': 'error' });
    const both = (await doctor(await snapshots())).findings.filter((f) => f.code === 'subnet-overlaps-route');
    const vpn = both.find((f) => f.subject === 'net-vpn')!;
    expect(vpn.severity).toBe('error');
    expect(vpn.evidence).toContain('10.99.0.12: col2\'s lo');
    // col2's net-own holds col2's own address in its range: at risk of IPAM handing it out, shadowing nothing (o2 reaches it).
    expect(both.find((f) => f.subject === 'net-own')).toMatchObject({ host: 'col2', severity: 'warning' });
    expect(await col2.probe('o2', '10.55.0.12')).toBe(true);
    expect(vpn.title).toMatch(/10\.99\.0\.0\/16 via 10\.77\.0\.12/);
    expect(vpn.fix).toMatch(/docker network create --subnet \S+ net-vpn-2/);
    console.log(both.map((f) => `${f.severity} ${f.title}\n  ${f.evidence.join('\n  ')}\n  fix: ${f.fix}`).join('\n'));
    // The fix's commands, as doctor prints them, run for real: then col1's own route to 10.99.0.0/16 is used again.
    const commands = /docker network create --subnet (\S+) net-vpn-2/.exec(vpn.fix)!;
    await col1.docker(['network', 'create', '--subnet', commands[1]!, 'net-vpn-2']);
    await col1.docker(['network', 'connect', 'net-vpn-2', 'v1']);
    await col1.docker(['network', 'disconnect', 'net-vpn', 'v1']);
    await col1.docker(['network', 'rm', 'net-vpn']);
    expect(await col1.probe('d1', '10.99.0.12')).toBe(true);
    expect((await doctor()).findings.filter((f) => f.code === 'subnet-overlaps-route').map((f) => f.subject).sort()).toEqual(['net-lan', 'net-tbl']);
    await expectAgreement([col1, col2], 'after renumbering net-vpn', [ping, http]);
  });
});
