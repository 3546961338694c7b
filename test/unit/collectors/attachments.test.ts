// Link kinds read for attachments: macvlan children captured in lab namespaces, ipvlan children in iproute2 6.1's shape,
// their parents resolved in the host's namespace; snapshots from before parents were read still parse.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapSandboxInterfaces } from '../../../collectors/links.js';
import { parseIpAddr } from '../../../collectors/iproute-json.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { ATTACH, attachText } from '../derive-attach.js';
import { CAPTURED, REPO } from '../fixtures.js';

const host = parseIpAddr(attachText('host.ip-addr.json'));
const byName = <T extends { name: string }>(list: T[], name: string): T => list.find((i) => i.name === name)!;

describe('macvlan (captured: ip -j -d addr in a host and a container namespace)', () => {
  const inside = parseIpAddr(attachText('container.ip-addr.json'));

  it('reads a child in another namespace: its parent by host ifindex and nsid, its mode', () => {
    expect(byName(inside, 'eth0')).toMatchObject({ kind: 'macvlan', lower: { ifindex: 2, netnsId: 0, name: null, mode: 'bridge', flag: null } });
    expect(byName(inside, 'eth1').lower).toMatchObject({ ifindex: 2, netnsId: 0, mode: 'private', flag: null });
  });

  it('reads a child beside its parent by the parent\'s name', () => {
    expect(byName(host, 'mvshim')).toMatchObject({ kind: 'macvlan', lower: { ifindex: null, netnsId: null, name: 'lan0', mode: 'bridge', flag: null } });
  });

  it('gives a veth no parent: its link is a peer', () => {
    expect(byName(host, 'lan0')).toMatchObject({ kind: 'veth', lower: null, peer: { ifindex: 2, netnsId: 0 } });
  });

  it('names the parent as the host names it, and maps no veth or bridge to a child', () => {
    const mapped = mapSandboxInterfaces(host, inside);
    expect(byName(mapped, 'eth0')).toMatchObject({ kind: 'macvlan', hostVeth: null, bridge: null, lower: { ifindex: 2, name: 'lan0', mode: 'bridge' } });
    expect(byName(mapped, 'eth1')).toMatchObject({ hostVeth: null, bridge: null, lower: { name: 'lan0', mode: 'private' } });
  });

  it('leaves the parent unnamed when the host has no such ifindex', () => {
    const mapped = mapSandboxInterfaces(host.filter((i) => i.name !== 'lan0'), inside);
    expect(byName(mapped, 'eth0').lower).toMatchObject({ ifindex: 2, name: null, mode: 'bridge' });
  });
});

describe('ipvlan (shaped as iproute2 6.1 ipvlan_print_opt prints it: mode, and one flag key set to true)', () => {
  const inside = parseIpAddr(attachText('container-ipvlan.shaped.ip-addr.json'));

  it('reads mode and flag', () => {
    expect(byName(inside, 'eth0')).toMatchObject({ kind: 'ipvlan', lower: { ifindex: 2, netnsId: 0, mode: 'l2', flag: 'bridge' } });
    expect(byName(inside, 'eth1')).toMatchObject({ kind: 'ipvlan', lower: { mode: 'l3', flag: 'private' } });
  });

  it('resolves the parent in the host namespace', () => {
    expect(byName(mapSandboxInterfaces(host, inside), 'eth0').lower).toMatchObject({ name: 'lan0', mode: 'l2', flag: 'bridge' });
  });
});

describe('802.1q (shaped as iproute2 6.1 vlan_print_opt prints it: protocol, id, flags)', () => {
  const links = parseIpAddr(attachText('host-vlan.shaped.ip-addr.json'));
  it('reads the tag and the parent; a vlan has no mode or flag', () => {
    expect(byName(links, 'lan0.50')).toMatchObject({ kind: 'vlan', lower: { ifindex: null, netnsId: null, name: 'lan0', mode: null, flag: null, vlanId: 50 } });
  });
  it('gives every other kind no tag', () => {
    expect([...host, ...links].filter((i) => i.name !== 'lan0.50').every((i) => (i.lower?.vlanId ?? null) === null)).toBe(true);
  });
});

describe('snapshots from before parents were read', () => {
  const snapshots = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return snapshots(p);
      return f.endsWith('.json') ? [p] : [];
    });
  // secrets/ was captured after parents were read (its lan-sec is a macvlan network, with its parent).
  const older = snapshots(CAPTURED).filter((f) => !f.startsWith(ATTACH) && !f.startsWith(join(CAPTURED, 'secrets')) && readFileSync(f, 'utf8').includes('"netdiag/snapshot@1"'));
  const files = [join(REPO, 'examples/seed-host.json'), ...older];

  it.each(files.map((f) => [f.slice(REPO.length)]))('%s parses, every link without a parent', (f) => {
    const s = parseSnapshot(JSON.parse(readFileSync(join(REPO, f), 'utf8')));
    expect(s.links!.interfaces.every((i) => i.lower === null)).toBe(true);
    expect(s.links!.sandboxes.flatMap((sb) => sb.interfaces).every((i) => i.lower === null)).toBe(true);
  });

  it('finds some', () => expect(files.length).toBeGreaterThan(5));
});

describe('a real Docker macvlan network (attach/macvlan-host.json, collected by netdiag from dockerd 20.10)', () => {
  const s = parseSnapshot(JSON.parse(attachText('macvlan-host.json')));
  const sandbox = (name: string) => s.links!.sandboxes.find((x) => x.containerId === s.docker!.containers.find((c) => c.name === name)!.id)!;

  it('maps a child Docker moved into a container to its parent, the host\'s eth0', () => {
    expect(sandbox('web-mv').interfaces).toMatchObject([{ name: 'eth0', kind: 'macvlan', hostVeth: null, bridge: null, lower: { name: 'eth0', netnsId: 0, mode: 'bridge', flag: null } }]);
    expect(s.links!.interfaces.find((i) => i.name === 'eth0')!.ifindex).toBe(sandbox('web-mv').interfaces[0]!.lower!.ifindex);
  });

  it('keeps veth and macvlan apart in one namespace', () => {
    expect(sandbox('both').interfaces.map((i) => [i.name, i.kind, i.bridge, i.lower?.name ?? null])).toEqual([
      ['eth0', 'veth', 'docker0', null],
      ['eth1', 'macvlan', null, 'eth0'],
    ]);
  });

  it('has Docker\'s macvlan network with its parent option and no bridge', () => {
    expect(s.docker!.networks.find((n) => n.name === 'lan-mv')).toMatchObject({ driver: 'macvlan', bridge: null, options: { parent: 'eth0' } });
  });
});
