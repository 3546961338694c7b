// Lab: macvlan on the LAN — children of two hosts' NICs in bridge and private mode, bridge containers, the hosts'
// own services and a router, before and after a host shim; a VEPA pair with and without a hairpinning switch port; a
// parent that goes down. Every pair × address (containers and hosts, both ways) against real probes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { Flow } from '../../snapshot/contract.js';
import { Lab, labUnavailable, must } from './lab.js';
import { checks, disagreements } from './pairs.js';
import type { LabHost } from './lab.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping: Flow = { proto: 'icmp', port: null };
const http: Flow = { proto: 'tcp', port: 80 };

/** A snapshot; a host without Docker (the router) has the docker collector's error and nothing else. */
async function snap(h: LabHost, docker = true): Promise<HostSnapshot> {
  const r = await h.netdiag(['snapshot', '--host-name', h.name]);
  if (r.exitCode !== 0 && r.exitCode !== 4) throw new Error(`snapshot of ${h.name} failed: ${r.stderr}`);
  const s = parseSnapshot(JSON.parse(r.stdout));
  // Without Docker every collector that asks it says so; anything else is an error here too.
  const errors = s.errors.filter((e) => docker || !/Docker is not running/.test(e.message));
  if (errors.length > 0) throw new Error(`snapshot of ${h.name} has errors: ${JSON.stringify(errors)}`);
  return s;
}

describe.skipIf(skip !== null)('macvlan on the LAN: two hosts, a router, bridge and private mode, with and without a shim', () => {
  let lab: Lab;
  let r0: LabHost;
  let h1: LabHost;
  let h2: LabHost;
  let byName: Map<string, LabHost>;
  const world = async () => buildWorld(await Promise.all([snap(r0, false), snap(h1), snap(h2)]));

  beforeAll(async () => {
    lab = await Lab.create();
    [r0, h1, h2] = await Promise.all([
      lab.host('r0', { lan: '10.77.0.1/24', docker: false }),
      lab.host('h1', { lan: '10.77.0.11/24', bip: '192.168.101.1/24' }),
      lab.host('h2', { lan: '10.77.0.12/24', bip: '192.168.102.1/24' }),
    ]);
    byName = new Map([r0, h1, h2].map((h) => [h.name, h]));
    // The LAN's router: the containers' --gateway, and the way to each host's bridge subnet.
    await r0.mustExec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (const [net, via] of [['192.168.101.0/24', '10.77.0.11'], ['192.168.102.0/24', '10.77.0.12']]) await r0.mustExec('ip', ['route', 'add', net as string, 'via', via as string]);
    for (const h of [h1, h2]) await h.mustExec('ip', ['route', 'add', 'default', 'via', '10.77.0.1']);
    await h1.docker(['network', 'create', '-d', 'macvlan', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--ip-range', '10.77.0.128/27', '-o', 'parent=eth0', 'mv']);
    await h2.docker(['network', 'create', '-d', 'macvlan', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--ip-range', '10.77.0.160/27', '-o', 'parent=eth0', '-o', 'macvlan_mode=private', 'mvp']);
    await Promise.all([h1.run('mv1', { network: 'mv' }), h1.run('mv2', { network: 'mv' }), h1.run('br1'), h1.run('both1'), h2.run('p1', { network: 'mvp' }), h2.run('p2', { network: 'mvp' }), h2.run('br2')]);
    await h1.docker(['network', 'connect', 'mv', 'both1']);
    // The hosts' own services: httpd on port 80 in each host's namespace.
    for (const h of [h1, h2]) h.startDaemon('/bin/busybox', ['httpd', '-f', '-p', '80', '-h', '/tmp'], `${lab.dir}/${h.name}-httpd.log`);
  }, 180_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every pair × address, containers and hosts both ways, without a shim: ping and 80/tcp', async () => {
    const w = await world();
    for (const flow of [ping, http]) expect(await disagreements('macvlan', byName, checks(w, flow, ['h1', 'h2']), flow, 'no shim')).toEqual([]);
  }, 300_000);

  it('names the host ↔ macvlan isolation, the private mode, and the way through the parent onto the LAN', async () => {
    const w = await world();
    const code = (from: string, to: string) => why(w, from, to, ping).addresses[0]?.decidedBy;
    expect(code('h1/host', 'h1/mv1')).toMatchObject({ kind: 'lower', cause: 'host-isolation', code: 'parent-isolation', parent: 'eth0', driver: 'macvlan', mode: 'bridge' });
    expect(code('h1/mv1', 'h1/host')).toMatchObject({ kind: 'lower', cause: 'host-isolation' });
    expect(code('h1/br1', 'h1/mv1')).toMatchObject({ kind: 'lower', cause: 'host-isolation' });
    expect(code('h2/p1', 'h2/p2')).toMatchObject({ kind: 'lower', cause: 'private', code: 'lower-private' });
    // Across the LAN both ways, and sibling to sibling in bridge mode: reachable, no netfilter of the child's host crossed.
    for (const [a, b] of [['h1/mv1', 'h2/p1'], ['h2/p1', 'h1/mv1'], ['h1/mv1', 'h1/mv2'], ['h2/host', 'h1/mv1']]) expect(why(w, a as string, b as string, ping).verdict, `${a} → ${b}`).toBe('reachable');
    const r = await h1.netdiag(['why', 'host', 'mv1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/out of eth0, but mv1's macvlan child eth0 \(bridge mode\) holds it/);
  });

  it('with a shim on h1 (a macvlan interface, a /32, a route to the range): every pair × address again', async () => {
    await h1.mustExec('ip', ['link', 'add', 'mvshim', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge']);
    await h1.mustExec('ip', ['addr', 'add', '10.77.0.100/32', 'dev', 'mvshim']);
    await h1.mustExec('ip', ['link', 'set', 'mvshim', 'up']);
    await h1.mustExec('ip', ['route', 'add', '10.77.0.128/27', 'dev', 'mvshim']);
    const w = await world();
    expect(why(w, 'h1/host', 'h1/mv1', ping).verdict).toBe('reachable');
    expect(why(w, 'h1/br1', 'h1/mv1', ping).verdict).toBe('reachable');
    for (const flow of [ping, http]) expect(await disagreements('macvlan', byName, checks(w, flow, ['h1', 'h2']), flow, 'shim on h1')).toEqual([]);
  }, 300_000);

  it('a parent that goes down: its children reach nothing, and the model says why', async () => {
    await h2.mustExec('ip', ['link', 'set', 'eth0', 'down']);
    const w = await world();
    expect(why(w, 'h2/p1', 'h1/mv1', ping).addresses[0]?.decidedBy).toMatchObject({ kind: 'lower', cause: 'parent-down', code: 'parent-down' });
    const list = checks(w, ping, ['h1', 'h2']).filter((c) => c.from.startsWith('h2/p') || c.to.startsWith('h2/p'));
    expect(await disagreements('macvlan', byName, list, ping, 'h2 eth0 down')).toEqual([]);
    await h2.mustExec('ip', ['link', 'set', 'eth0', 'up']);
  }, 300_000);
});

describe.skipIf(skip !== null)('macvlan VEPA: siblings meet only through a switch that reflects frames', () => {
  let lab: Lab;
  let h3: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h3 = await lab.host('h3', { lan: '10.77.0.13/24', bip: '192.168.103.1/24' });
    await h3.docker(['network', 'create', '-d', 'macvlan', '--subnet', '10.77.0.0/24', '--ip-range', '10.77.0.192/27', '-o', 'parent=eth0', '-o', 'macvlan_mode=vepa', 'mvv']);
    await Promise.all([h3.run('v1', { network: 'mvv' }), h3.run('v2', { network: 'mvv' })]);
  }, 120_000);
  afterAll(async () => {
    await lab?.teardown();
  });

  it('the model says unknown and names the switch; the probe fails without hairpin and passes with it', async () => {
    const w = buildWorld([await snap(h3)]);
    const a = why(w, 'v1', 'v2', ping);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]?.decidedBy).toMatchObject({ kind: 'lower', cause: 'hairpin', mode: 'vepa' });
    const v2 = await h3.ip('v2', 'mvv');
    expect(await h3.probe('v1', v2)).toBe(false);
    // The lab switch is a Linux bridge: hairpin on h3's port reflects frames back out of it, as 802.1Qbg asks.
    const port = `h3-${lab.id}`.slice(0, 15);
    await must('ip', ['netns', 'exec', `${h3.netns.replace(/-h3$/, '-sw')}`, 'bridge', 'link', 'set', 'dev', port, 'hairpin', 'on']);
    expect(await h3.probe('v1', v2)).toBe(true);
  }, 120_000);
});
