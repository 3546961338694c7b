// Doctor on macvlan and ipvlan hosts (captured in the lab, and the attach namespaces): the host↔children isolation
// with the shim's commands, gone once a shim routes the range; a wireless parent; a parent that is not promiscuous.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProcNetWireless } from '../../../collectors/wireless.js';
import { parseIpAddr } from '../../../collectors/iproute-json.js';
import { doctorAll } from '../../../rules/doctor/segment.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { attachText, childHost } from '../derive-attach.js';
import { CAPTURED } from '../fixtures.js';

const load = (name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'attach', `${name}.json`), 'utf8')));
const mine = (codes: string[]) => (f: { code: string }) => codes.includes(f.code);
const MACVLAN = ['parent-isolation', 'macvlan-wireless-parent', 'macvlan-parent-not-promiscuous'];

describe('doctor: the host↔macvlan isolation', () => {
  it('macvlan-host: names the network, the parent, the containers, and the shim commands with the address to reserve', () => {
    const f = doctorAll([load('macvlan-host')]).filter(mine(MACVLAN));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'parent-isolation', severity: 'warning', host: 'macvlan-host', subject: 'lan-mv' });
    expect(f[0]!.title).toBe("macvlan-host and its bridge containers cannot reach macvlan network lan-mv's containers, nor they macvlan-host: macvlan children of eth0 never meet eth0's own stack inside the host");
    expect(f[0]!.evidence).toEqual(['network lan-mv: driver macvlan, parent eth0, --subnet 10.77.0.0/24 --gateway 10.77.0.1 --ip-range 10.77.0.128/25', 'its containers here: both 10.77.0.129, web-mv 10.77.0.128', 'no macvlan interface of eth0 on macvlan-host routes 10.77.0.128/25']);
    expect(f[0]!.fix).toMatch(/^ip link add mv-lan-mv link eth0 type macvlan mode bridge; ip addr add 10\.77\.0\.127\/32 dev mv-lan-mv; ip link set mv-lan-mv up; ip route add 10\.77\.0\.128\/25 dev mv-lan-mv \(10\.77\.0\.127 is free in view but reserved by nobody: add --aux-address host=10\.77\.0\.127/);
  });

  it('macvlan-aux: the shim takes the reserved --aux-address', () => {
    const [f] = doctorAll([load('macvlan-aux')]).filter(mine(MACVLAN));
    expect(f!.fix).toMatch(/ip addr add 10\.78\.0\.200\/32 dev mv-lan-aux.*\(10\.78\.0\.200 is reserved with --aux-address shim=10\.78\.0\.200\)/);
  });

  it('a macvlan network with no container in view (web-mv removed from macvlan-aux): nobody is cut off, nothing to report', () => {
    const s = load('macvlan-aux');
    s.docker!.containers = s.docker!.containers.filter((c) => c.name !== 'web-mv');
    s.links!.sandboxes = s.links!.sandboxes.filter((x) => s.docker!.containers.some((c) => c.id === x.containerId));
    expect(doctorAll([s]).filter(mine(MACVLAN))).toEqual([]);
  });

  it('macvlan-shimmed: a shim routes the range, so nothing to report', () => {
    expect(doctorAll([load('macvlan-shimmed')]).filter(mine(MACVLAN))).toEqual([]);
  });

  it('a shim on the parent without the route: said so, with only the route to add', () => {
    const [f] = doctorAll([childHost('macvlan')]).filter(mine(MACVLAN));
    expect(f!.evidence).toContain('mvshim on lan0 (192.168.50.3) has no route to 192.168.50.10/32');
    expect(f!.fix).toMatch(/^ip route add 192\.168\.50\.10\/32 dev mvshim \(/);
  });

  it('an ipvlan network: the same isolation, with an ipvlan interface as the shim', () => {
    const [f] = doctorAll([childHost('ipvlan')]).filter(mine(MACVLAN));
    expect(f).toMatchObject({ code: 'parent-isolation', subject: 'lan-ipvlan' });
    expect(f!.fix).toMatch(/ip link add ipvl-shim link lan0 type ipvlan mode l2/);
  });
});

describe('doctor: the parent\'s limits', () => {
  it('/proc/net/wireless names the wireless interfaces (a real one, from a Raspberry Pi)', () => {
    expect(parseProcNetWireless(attachText('proc-net-wireless.txt'))).toEqual(['wlan0']);
    expect(() => parseProcNetWireless('wlan0: 0000\n')).toThrow(/header/);
  });

  it('a wireless parent (as the links collector marks it from /proc/net/wireless): error, recreate it as ipvlan L2', () => {
    const s = load('macvlan-host');
    s.links!.interfaces.find((i) => i.name === 'eth0')!.wireless = true;
    const f = doctorAll([s]).find((x) => x.code === 'macvlan-wireless-parent');
    expect(f).toMatchObject({ severity: 'error', subject: 'lan-mv' });
    expect(f!.fix).toBe('recreate it as ipvlan L2, whose children use eth0\'s own MAC: docker network create -d ipvlan -o parent=eth0 -o ipvlan_mode=l2 --subnet 10.77.0.0/24 --gateway 10.77.0.1 --ip-range 10.77.0.128/25 lan-mv (after docker network rm lan-mv, its containers recreated on it)');
    // Known not wireless, or not known: no finding.
    for (const w of [false, undefined]) {
      s.links!.interfaces.find((i) => i.name === 'eth0')!.wireless = w;
      expect(doctorAll([s]).some((x) => x.code === 'macvlan-wireless-parent')).toBe(false);
    }
  });

  it('promiscuity is read from ip -d (a veth parent is at 1 once macvlan children exist: the kernel cannot filter its unicast MACs)', () => {
    const links = parseIpAddr(attachText('host.ip-addr.json'));
    expect(links.map((i) => [i.name, i.promiscuity])).toEqual([['lo', 0], ['lan0', 1], ['mvshim', 0]]);
    expect(load('macvlan-host').links!.interfaces.find((i) => i.name === 'eth0')!.promiscuity).toBeUndefined();
    expect(doctorAll([load('macvlan-aux')]).some((x) => x.code === 'macvlan-parent-not-promiscuous')).toBe(false);
  });

  it('a parent with promiscuity 0 carrying macvlan MACs (a NIC with its own unicast filter): info, with what to check on a VM or cloud', () => {
    const s = load('macvlan-shimmed');
    s.links!.interfaces.find((i) => i.name === 'eth0')!.promiscuity = 0;
    const f = doctorAll([s]).find((x) => x.code === 'macvlan-parent-not-promiscuous');
    expect(f).toMatchObject({ severity: 'info', subject: 'eth0' });
    // web-mv's child and the host's own shim.
    expect(f!.evidence).toEqual(['eth0 promiscuity 0', '2 macvlan interfaces on eth0 (network lan-mv)']);
    expect(f!.fix).toMatch(/use ipvlan L2 instead/);
  });
});

describe('doctor: a macvlan range that covers the LAN\'s own addresses', () => {
  const LAN = ['lan-address-in-range'];
  it('macvlan-norange (no --ip-range): the host\'s own eth0 address is in the range Docker hands out — a warning, with the reservation', () => {
    const f = doctorAll([load('macvlan-norange')]).filter(mine(LAN));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', host: 'macvlan-norange', subject: 'lan-nr' });
    expect(f[0]!.evidence).toContain("10.76.0.250 is macvlan-norange's eth0");
    expect(f[0]!.fix).toMatch(/--aux-address lan0=10\.76\.0\.250 lan-nr/);
  });

  it('the same host when Docker had already given the host\'s address to a container (as first captured): an error naming both', () => {
    // When first captured, the host's eth0 was 10.76.0.2 and Docker gave that very address to web-mv.
    const s = load('macvlan-norange');
    s.links!.interfaces.find((i) => i.name === 'eth0')!.addresses[0]!.local = '10.76.0.2';
    for (const r of s.routes!.routes) if (r.dst === '10.76.0.250/32' || r.dst === '10.76.0.250') r.dst = r.dst.replace('250', '2');
    const f = doctorAll([s]).filter(mine(LAN));
    expect(f).toMatchObject([{ severity: 'error', subject: 'lan-nr' }]);
    expect(f[0]!.title).toMatch(/gave web-mv 10\.76\.0\.2, which macvlan-norange's eth0 already holds/);
  });

  it('an --ip-range that leaves the hosts out (macvlan-host, macvlan-aux), or a reserved address: nothing to say', () => {
    for (const name of ['macvlan-host', 'macvlan-aux']) expect(doctorAll([load(name)]).filter(mine(LAN)), name).toEqual([]);
  });
});
