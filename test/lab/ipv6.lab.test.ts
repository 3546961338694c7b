// Lab: IPv6 on real dual-stack dockerd hosts — doctor's IPv6 isolation verdict against real ping6 between networks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { dualStackScenario } from './scenarios.js';

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
    const codes = (JSON.parse(r.stdout) as Doctor).findings.map((f) => f.code);
    expect(codes.includes('ipv6-not-isolated')).toBe(open);
    expect(codes.includes('ipv6-unfiltered')).toBe(open);
    expect(r.exitCode).toBe(open ? 1 : 0);
    // why: the IPv4 address's verdict is the IPv4 probe's; the IPv6 one is named unknown, never taken from IPv4.
    const w = JSON.parse((await h.netdiag(['why', 'b4', 'a4', '--json'])).stdout) as { verdict: string; addresses: { ip: string; verdict: string; decidedBy: { code?: string } | null }[] };
    expect(w.addresses.map((x) => [x.ip, x.verdict])).toEqual([[a4v4, 'blocked'], [a4v6, 'unknown']]);
    expect(w.addresses[1]!.decidedBy?.code).toBe('ipv6-not-modelled');
    expect(w.verdict).toBe('unknown');
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
