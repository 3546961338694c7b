// Lab: IPv6 on real dual-stack dockerd hosts — the model against real ping6 and TCP over IPv6 on every pair and
// address of both families, with ip6tables on and off; doctor's IPv6 findings; docker-proxy between families.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement } from './agreement.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { dualStackScenario } from './scenarios.js';

const ping = { proto: 'icmp' as const, port: null };
const http = { proto: 'tcp' as const, port: 80 };

/**
 * A new IPv6 address is tentative until duplicate address detection ends (about a second): the kernel will not send
 * from it, so a probe in that second fails for a reason no snapshot taken after it would show.
 */
async function dadDone(h: LabHost, container: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const out = await h.docker(['exec', container, 'ip', '-6', 'addr']);
    if (!/tentative/.test(out)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${container}'s IPv6 addresses stayed tentative`);
}

/** Every pair × address × protocol agrees, and both families were among the addresses checked. */
async function expectDualStackAgreement(h: LabHost, label: string): Promise<void> {
  for (const flow of [ping, http]) {
    const a = await agreement([h], flow, label);
    const v6 = a.table.filter((l) => / fd00:/.test(l)).length;
    expect(v6).toBeGreaterThan(0);
    expect(a.total).toBeGreaterThan(v6);
    expect(a.disagreements).toEqual([]);
  }
}

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

interface Doctor { findings: { code: string; title: string; evidence: string[] }[] }

describe.skipIf(skip !== null)('IPv6: isolation over both families', () => {
  let lab: Lab;
  const hosts: Record<'v6open' | 'v6tables', LabHost> = {} as never;
  beforeAll(async () => {
    lab = await Lab.create();
    hosts.v6open = await dualStackScenario(lab, 'v6open', false);
    hosts.v6tables = await dualStackScenario(lab, 'v6tables', true);
    for (const h of Object.values(hosts)) for (const c of ['a4', 'b4', 'b5']) await dadDone(h, c);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  const v6 = async (h: LabHost, container: string, network: string) =>
    (await h.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").GlobalIPv6Address}}`, container])).trim();

  it.each([['v6open', true], ['v6tables', false]] as const)('%s: ping6 across networks gets through = %s, and doctor says the same', async (name, open) => {
    const h = hosts[name];
    const a4v6 = await v6(h, 'a4', 'bridge');
    const a4v4 = await h.ip('a4', 'bridge');
    expect(a4v6).toMatch(/^fd00:1::/);
    // IPv4 is isolated on both hosts: the IPv6 result is the only difference.
    expect(await h.probe('b4', a4v4)).toBe(false);
    expect(await h.probe('b4', a4v6)).toBe(open);
    expect(await h.probe('b4', await v6(h, 'b5', 'net6'))).toBe(true);
    const r = await h.netdiag(['doctor', '--json']);
    const findings = (JSON.parse(r.stdout) as Doctor).findings;
    const codes = findings.map((f) => f.code);
    expect(codes.includes('ipv6-not-isolated')).toBe(open);
    expect(codes.includes('ipv6-unfiltered')).toBe(open);
    // A lab host has no default route, so Docker's DNS forwarder reaches no upstream (dns-*): true, and not IPv6's.
    expect(findings.filter((f) => f.severity !== 'info' && !f.code.startsWith('dns-')).length > 0).toBe(open);
    expect(r.exitCode).toBe(findings.some((f) => f.severity !== 'info') ? 1 : 0);
    // why: each family its own verdict, as the probes found; where they differ the summary says so.
    const w = JSON.parse((await h.netdiag(['why', 'b4', 'a4', '--json'])).stdout) as { verdict: string; summary: string | null; addresses: { ip: string; verdict: string; decidedBy: { ip6tables?: boolean } | null }[] };
    expect(w.addresses.map((x) => [x.ip, x.verdict])).toEqual([[a4v4, 'blocked'], [a4v6, open ? 'reachable' : 'blocked']]);
    expect(w.verdict).toBe(open ? 'reachable' : 'blocked');
    if (open) expect(w.summary).toMatch(/reachable over IPv6 but blocked over IPv4/);
    else expect(w.addresses[1]!.decidedBy?.ip6tables).toBe(true);
    const only6 = await h.netdiag(['why', '-6', 'b4', 'a4']);
    expect(only6.stdout).not.toContain(a4v4);
    // Asked by name, b4 does not resolve a4 (they share no user network): `ping a4` fails in b4 either way, exit 1.
    expect(only6.exitCode).toBe(1);
    if (open) expect(only6.stdout).toMatch(/reachable by address only — the name a4 does not resolve from b4/);
    // Asked by its address, the verdict is IPv6's.
    expect((await h.netdiag(['why', '-6', 'b4', a4v6])).exitCode).toBe(open ? 0 : 1);
  });

  it.each(['v6open', 'v6tables'] as const)('%s: every pair × address of both families × ping6 and TCP agrees — as built, after a network connect, with a third network', async (name) => {
    const h = hosts[name];
    await expectDualStackAgreement(h, `${name} seed networks`);
    await h.docker(['network', 'connect', 'net6', 'a4']);
    await dadDone(h, 'a4');
    await expectDualStackAgreement(h, `${name} connect net6 a4`);
    await h.docker(['network', 'disconnect', 'net6', 'a4']);
    await h.docker(['network', 'create', '--ipv6', '--subnet', 'fd00:3::/64', '--subnet', '172.31.0.0/16', 'net6c']);
    await h.run('c6', { network: 'net6c' });
    await dadDone(h, 'c6');
    await expectDualStackAgreement(h, `${name} third network`);
    await h.docker(['rm', '-f', 'c6']);
    await h.docker(['network', 'rm', 'net6c']);
  });

  it('a published port reached through a host IPv6 address when the container has IPv4 only: docker-proxy between families', async () => {
    const h = hosts.v6open;
    await h.docker(['network', 'create', 'net4']);
    await h.run('web4', { network: 'net4', publish: ['8080:80'] });
    try {
      // fd00:2::1 is net6's gateway: an address of the host, reached from b4 over IPv6.
      for (const [target, port] of [['fd00:2::1', 8080], ['fd00:2::1', 8081]] as const) {
        const real = await h.probe('b4', target, port);
        const r = await h.netdiag(['why', 'b4', target, '--port', `${port}/tcp`, '--json']);
        const w = JSON.parse(r.stdout) as { verdict: string; addresses: { family: string; deliveredTo: string | null; request: { steps: { type: string; text?: string }[] }[] }[] };
        expect(w.verdict, `${target}:${port}`).toBe(real ? 'reachable' : 'blocked');
        if (port === 8080) {
          expect(real).toBe(true);
          expect(w.addresses[0]!.family).toBe('ipv6');
          expect(w.addresses[0]!.deliveredTo).toMatch(/^web4 172\.\d+\.0\.2:80 \(through docker-proxy/);
          const notes = w.addresses[0]!.request.flatMap((x) => x.steps).filter((x) => x.type === 'note').map((x) => x.text ?? '');
          expect(notes.some((t) => /web4 sees it come from 172\.\d+\.0\.1 .*not from the client's fd00:2::2, and over IPv4 though the client used IPv6/.test(t))).toBe(true);
        }
      }
    } finally {
      await h.docker(['rm', '-f', 'web4']);
      await h.docker(['network', 'rm', 'net4']);
    }
  });

  it('an IPv6 pair fixed through ip6tables: the accept opening both families ranks above those opening one, applied, verified by ping6, rolled back exactly', async () => {
    const h = hosts.v6tables;
    const state = mkdtempSync(join(tmpdir(), 'netdiag-state-'));
    const env = { NETDIAG_STATE_DIR: state };
    const rules = async () => ['iptables-save', 'ip6tables-save'].map(async (t) => (await h.mustExec(t, [])).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n'));
    const before = await Promise.all(await rules());
    const a4v6 = await v6(h, 'a4', 'bridge');
    const listed = JSON.parse((await h.netdiag(['fix', 'b4', 'a4', '--json'], 60_000, env)).stdout) as { fixes: { id: string; kind: string; commands: string[]; predicted: { families: { ipv4: string; ipv6: string } } }[] };
    // Joining net6 ranks first (the name resolves too); among the firewall fixes, the one for both families leads.
    const top = listed.fixes.find((f) => f.kind === 'docker-user')!;
    expect(top.predicted.families).toEqual({ ipv4: 'reachable', ipv6: 'reachable' });
    expect(top.commands.some((c) => c.startsWith('ip6tables '))).toBe(true);
    const applied = await h.netdiag(['fix', 'b4', 'a4', '--apply', '--yes', '--fix', top.id, '--json'], 60_000, env);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ status: 'applied', verified: true });
    expect(await h.probe('b4', a4v6)).toBe(true);
    expect(await h.probe('b4', await h.ip('a4', 'bridge'))).toBe(true);
    const rolled = await h.netdiag(['rollback', top.id, '--json'], 60_000, env);
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(await h.probe('b4', a4v6)).toBe(false);
    expect(await Promise.all(await rules())).toEqual(before);
  });

  it('IPv6 addresses, routes and ip6tables are in the snapshot', async () => {
    const r = await hosts.v6tables.netdiag(['snapshot']);
    const s = JSON.parse(r.stdout) as { firewall: { tables6: { name: string }[] }; routes: { routes: { family: string; dst: string }[] }; links: { sandboxes: { interfaces: { addresses: { local: string }[] }[] }[] } };
    expect(s.firewall.tables6.map((t) => t.name)).toContain('filter');
    expect(s.routes.routes.some((x) => x.family === 'inet6' && x.dst === 'fd00:2::/64')).toBe(true);
    expect(s.links.sandboxes.flatMap((x) => x.interfaces.flatMap((i) => i.addresses.map((a) => a.local))).filter((a) => a.startsWith('fd00:'))).toHaveLength(3);
  });

  it('IPv6 forwarding with an RA-learnt default route on the uplink: reported, with the accept_ra=2 fix', async () => {
    const h = hosts.v6open;
    const find = async () => (JSON.parse((await h.netdiag(['doctor', '--json'])).stdout) as Doctor).findings.find((f) => f.code === 'ipv6-forwarding-ignores-ra');
    await h.mustExec('ip', ['link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1']);
    for (const l of ['uplink0', 'uplink1']) await h.mustExec('ip', ['link', 'set', l, 'up']);
    expect(await find()).toBeUndefined();
    // What the kernel installs from a router advertisement (proto ra), put in by hand: no router is sent anything.
    await h.mustExec('ip', ['-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'uplink0', 'proto', 'ra']);
    const f = await find();
    expect(f?.evidence).toContain('net.ipv6.conf.uplink0.accept_ra = 1');
    await h.mustExec('sysctl', ['-qw', 'net.ipv6.conf.uplink0.accept_ra=2']);
    expect(await find()).toBeUndefined();
  });

  it('IPv6 disabled on a Docker bridge: the subnet is unrouted, reported, and ping6 out of it indeed fails', async () => {
    const h = hosts.v6tables;
    // Docker names a user network's bridge br- and the first 12 characters of the network's ID.
    const bridge = `br-${(await h.docker(['network', 'inspect', '-f', '{{.Id}}', 'net6'])).trim().slice(0, 12)}`;
    const unrouted = async () => (JSON.parse((await h.netdiag(['doctor', '--json'])).stdout) as Doctor).findings.filter((f) => f.code === 'ipv6-subnet-unrouted');
    expect(await unrouted()).toEqual([]);
    expect(await h.probe('b4', 'fd00:2::1')).toBe(true);
    await h.mustExec('sysctl', ['-qw', `net.ipv6.conf.${bridge}.disable_ipv6=1`]);
    const f = await unrouted();
    expect(f.map((x) => x.title)).toEqual([expect.stringContaining('fd00:2::/64')]);
    // The gateway address went with IPv6 on the bridge: nothing answers for the network any more.
    expect(await h.probe('b4', 'fd00:2::1')).toBe(false);
  });
});
