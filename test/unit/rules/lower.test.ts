// The macvlan and ipvlan walk on the captured macvlan host (attach/macvlan-host.json, probed in the lab when it was
// captured), on two of it (the second renumbered on the same LAN), and on variants shaped as the kernel reports each
// mode, a parent that is down, Docker's dummy parent, an 802.1q parent and ipvlan's l2, l3 and l3s ports.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../rules/model/build.js';
import { PING, parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { matrix } from '../../../rules/matrix/matrix.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { attachText, childHost } from '../derive-attach.js';

const captured = (): HostSnapshot => parseSnapshot(JSON.parse(attachText('macvlan-host.json')));

/** The captured host again, as a second host on its LAN: eth0 10.77.0.3, web-mv 10.77.0.140, both's child 10.77.0.141. */
function secondHost(): HostSnapshot {
  const text = attachText('macvlan-host.json').replaceAll('"10.77.0.2"', '"10.77.0.3"').replaceAll('"10.77.0.2/32"', '"10.77.0.3/32"').replaceAll('10.77.0.128', '10.77.0.140').replaceAll('10.77.0.129', '10.77.0.141');
  return { ...parseSnapshot(JSON.parse(text)), name: 'h2' };
}

/** Every macvlan child of the snapshot's containers put in `mode`, as `ip -d link` and Docker's -o macvlan_mode say it. */
function inMode(s: HostSnapshot, mode: string): HostSnapshot {
  for (const sb of s.links!.sandboxes) for (const i of sb.interfaces) if (i.kind === 'macvlan' && i.lower) i.lower.mode = mode;
  for (const n of s.docker!.networks) if (n.driver === 'macvlan') n.options.macvlan_mode = mode;
  return s;
}

const verdict = (s: HostSnapshot[], from: string, to: string, flow = PING) => {
  const a = why(buildWorld(s), from, to, flow).addresses.filter((x) => x.family === 'ipv4');
  return a.map((x) => [x.ip, x.verdict, x.verdict === 'reachable' ? null : x.decidedBy?.kind === 'lower' ? x.decidedBy.cause : (x.decidedBy?.code ?? x.decidedBy?.kind ?? null)]);
};

describe('macvlan, bridge mode (the captured host, as probed in the lab)', () => {
  const s = [captured()];
  it('the host and its bridge containers never reach its children through the parent (c-br → 10.77.0.128: no reply)', () => {
    expect(verdict(s, 'c-br', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'host-isolation']]);
    expect(verdict(s, 'host', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'host-isolation']]);
    const d = why(buildWorld(s), 'host', 'web-mv', PING).addresses[0]!.decidedBy!;
    expect(d).toMatchObject({ kind: 'lower', code: 'parent-isolation', parent: 'eth0', driver: 'macvlan', mode: 'bridge', host: 'macvlan-host' });
  });

  it('nor do the children reach the host\'s own address on the parent (web-mv → 10.77.0.2: no reply)', () => {
    expect(verdict(s, 'web-mv', 'host')).toEqual([['10.77.0.2', 'blocked', 'host-isolation']]);
  });

  it('two children in bridge mode reach each other inside the host (both → 10.77.0.128: answered), no netfilter crossed', () => {
    const a = why(buildWorld(s), 'both', 'web-mv', PING);
    expect(a.verdict).toBe('reachable');
    const steps = a.addresses[0]!.request.flatMap((h) => h.steps);
    expect(steps.some((x) => x.type === 'chain')).toBe(false);
    expect(a.addresses[0]!.request.map((h) => h.node)).toEqual(['container both (macvlan-host)', 'container web-mv (macvlan-host)']);
  });

  it('a packet for the LAN leaves through the parent, to the edge of what is in view (web-mv → 10.77.0.1)', () => {
    const a = why(buildWorld(s), 'web-mv', '10.77.0.1', PING);
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'exit', ifaces: ['eth0'], nextHop: '10.77.0.1' });
  });
});

describe('macvlan across two hosts on one LAN', () => {
  const s = [captured(), secondHost()];
  it('children of two hosts reach each other over the wire, both ways; each host reaches the other\'s children', () => {
    expect(verdict(s, 'macvlan-host/web-mv', 'h2/web-mv')).toEqual([['10.77.0.140', 'reachable', null]]);
    expect(verdict(s, 'h2/web-mv', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
    expect(verdict(s, 'h2/host', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
    expect(verdict(s, 'macvlan-host/web-mv', 'h2')).toEqual([['10.77.0.3', 'reachable', null]]);
  });

  it('a bridge container reaches the other host\'s child (masqueraded to the parent\'s address), but not its own host\'s', () => {
    expect(verdict(s, 'macvlan-host/c-br', 'h2/web-mv')).toEqual([['10.77.0.140', 'reachable', null]]);
    expect(verdict(s, 'macvlan-host/c-br', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'blocked', 'host-isolation']]);
  });

  it('a child\'s frame crosses none of the receiving host\'s netfilter', () => {
    const a = why(buildWorld(s), 'macvlan-host/web-mv', 'h2/web-mv', PING).addresses[0]!;
    expect(a.request.map((h) => h.node)).toEqual(['container web-mv (macvlan-host)', 'container web-mv (h2)']);
  });

  it('802.1q: children of eth0.50 and eth0.60 are on different VLANs, whatever their subnets say', () => {
    const tagged = (x: HostSnapshot, id: number) => {
      const eth0 = x.links!.interfaces.find((i) => i.name === 'eth0')!;
      eth0.kind = 'vlan';
      eth0.lower = { ifindex: 1, netnsId: null, name: 'lo', mode: null, flag: null, vlanId: id };
      return x;
    };
    expect(verdict([tagged(captured(), 50), tagged(secondHost(), 50)], 'macvlan-host/web-mv', 'h2/web-mv')).toEqual([['10.77.0.140', 'reachable', null]]);
    expect(verdict([tagged(captured(), 50), tagged(secondHost(), 60)], 'macvlan-host/web-mv', 'h2/web-mv')).toEqual([['10.77.0.140', 'unknown', 'unknown']]);
  });
});

describe('macvlan modes, a parent down, Docker\'s dummy parent, no gateway', () => {
  it('private: two children never reach each other', () => {
    expect(verdict([inMode(captured(), 'private')], 'both', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'private']]);
  });

  it('vepa: two children meet only if the switch reflects the frame — unknown, naming it', () => {
    const a = why(buildWorld([inMode(captured(), 'vepa')]), 'both', 'web-mv', PING);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'lower', cause: 'hairpin', mode: 'vepa' });
    expect(a.addresses[0]!.decidedBy!.reason).toMatch(/hairpin/);
  });

  it('every mode reaches another host\'s children over the wire', () => {
    for (const mode of ['bridge', 'private', 'vepa', 'passthru']) expect(verdict([inMode(captured(), mode), inMode(secondHost(), mode)], 'macvlan-host/web-mv', 'h2/web-mv'), mode).toEqual([['10.77.0.140', 'reachable', null]]);
  });

  it('passthru: the child takes every frame its parent receives, so the host\'s own address there answers nothing', () => {
    expect(verdict([captured(), inMode(secondHost(), 'passthru')], 'macvlan-host/web-mv', 'h2')).toEqual([['10.77.0.3', 'blocked', 'passthru']]);
  });

  it('a parent that is down (or without carrier): its children send and receive nothing', () => {
    const down = captured();
    down.links!.interfaces.find((i) => i.name === 'eth0')!.lowerUp = false;
    expect(verdict([down], 'both', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'parent-down']]);
    expect(verdict([down, secondHost()], 'h2/web-mv', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'blocked', 'parent-down']]);
  });

  it('Docker\'s dummy parent (no -o parent, or --internal): the children reach each other and nothing beyond', () => {
    const dummy = captured();
    dummy.links!.interfaces.find((i) => i.name === 'eth0')!.kind = 'dummy';
    expect(verdict([dummy], 'both', 'web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
    const a = why(buildWorld([dummy]), 'web-mv', '10.77.0.1', PING).addresses[0]!;
    expect([a.verdict, a.decidedBy]).toMatchObject(['blocked', { kind: 'lower', cause: 'dummy-parent', code: 'no-uplink' }]);
  });

  it('no gateway (Docker 29 gives macvlan no default route without --gateway): no route, and why says so', () => {
    const s = captured();
    const web = s.docker!.containers.find((c) => c.name === 'web-mv')!;
    const rt = s.routes!.sandboxes.find((x) => x.containerId === web.id)!;
    rt.routes = rt.routes.filter((r) => r.dst !== '0.0.0.0/0');
    for (const n of s.docker!.networks) if (n.driver === 'macvlan') n.subnets = n.subnets.map((x) => ({ ...x, gateway: null }));
    const a = why(buildWorld([s]), 'web-mv', 'c-br', PING).addresses[0]!;
    expect([a.verdict, a.decidedBy?.kind]).toEqual(['blocked', 'route']);
    expect(a.decidedBy!.reason).toMatch(/--gateway/);
  });
});

/**
 * The captured host with its macvlan children turned into ipvlan children of the same parent, as iproute2 prints
 * them (kind ipvlan, info_data mode and one flag key) and Docker's ipvlan driver reports them (-o ipvlan_mode/flag).
 */
function asIpvlan(s: HostSnapshot, mode: string, flag: string): HostSnapshot {
  for (const sb of s.links!.sandboxes) for (const i of sb.interfaces) if (i.kind === 'macvlan' && i.lower) Object.assign(i, { kind: 'ipvlan', lower: { ...i.lower, mode, flag } });
  for (const n of s.docker!.networks) if (n.driver === 'macvlan') Object.assign(n, { driver: 'ipvlan', options: { ...n.options, ipvlan_mode: mode, ipvlan_flag: flag } });
  return s;
}

/** A route on the second host to the first's children, via the first's address: what an l3 port needs upstream. */
function routedTo(s: HostSnapshot): HostSnapshot {
  s.routes!.routes.push({ ...s.routes!.routes.find((r) => r.dst === '10.77.0.0/24')!, dst: '10.77.0.128/32', gateway: '10.77.0.2', scope: 'global', protocol: 'static' });
  return s;
}

describe('ipvlan (the captured macvlan host shaped as ipvlan children of eth0)', () => {
  it('l2 bridge: siblings directly, the host and its bridge containers never, other hosts over the wire', () => {
    const one = () => asIpvlan(captured(), 'l2', 'bridge');
    expect(verdict([one()], 'both', 'web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
    expect(verdict([one()], 'c-br', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'host-isolation']]);
    expect(verdict([one()], 'web-mv', 'host')).toEqual([['10.77.0.2', 'blocked', 'host-isolation']]);
    expect(verdict([one(), asIpvlan(secondHost(), 'l2', 'bridge')], 'h2/web-mv', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
  });

  it('flags: private never reaches a sibling, vepa only through a reflecting switch', () => {
    expect(verdict([asIpvlan(captured(), 'l2', 'private')], 'both', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'private']]);
    expect(verdict([asIpvlan(captured(), 'l2', 'vepa')], 'both', 'web-mv')).toEqual([['10.77.0.128', 'unknown', 'hairpin']]);
    expect(verdict([asIpvlan(captured(), 'l3', 'private')], 'both', 'web-mv')).toEqual([['10.77.0.128', 'blocked', 'private']]);
  });

  it('l3: a sibling by its address; anything else is routed by the host\'s stack (OUTPUT, POSTROUTING), its reply never comes back', () => {
    expect(verdict([asIpvlan(captured(), 'l3', 'bridge')], 'both', 'web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
    const a = why(buildWorld([asIpvlan(captured(), 'l3', 'bridge')]), 'web-mv', 'c-br', PING).addresses[0]!;
    expect(a.request.map((h) => h.node).slice(0, 2)).toEqual(['container web-mv (macvlan-host)', 'host macvlan-host']);
    expect(a.request.flatMap((h) => h.steps).some((x) => x.type === 'chain' && x.table === 'filter' && x.chain === 'OUTPUT')).toBe(true);
    // The host answers c-br's reply out of eth0, which never reaches its own child.
    expect([a.verdict, a.decidedBy]).toMatchObject(['blocked', { kind: 'lower', cause: 'host-isolation', direction: 'reply' }]);
  });

  it('l3: nothing answers ARP for a child on the segment; with a route via its host, a LAN host reaches it', () => {
    const l3 = () => asIpvlan(captured(), 'l3', 'bridge');
    expect(verdict([l3(), secondHost()], 'h2/host', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'blocked', 'no-arp']]);
    expect(verdict([l3(), routedTo(secondHost())], 'h2/host', 'macvlan-host/web-mv')).toEqual([['10.77.0.128', 'reachable', null]]);
  });

  it('l3 crosses none of the parent host\'s netfilter on the way in; l3s passes its PREROUTING and INPUT', () => {
    const chainsOn = (mode: string) => {
      const a = why(buildWorld([asIpvlan(captured(), mode, 'bridge'), routedTo(secondHost())]), 'h2/host', 'macvlan-host/web-mv', PING).addresses[0]!;
      return a.request.filter((h) => h.at.host === 'macvlan-host').flatMap((h) => h.steps.filter((x) => x.type === 'chain').map((x) => (x.type === 'chain' ? `${x.table} ${x.chain}` : '')));
    };
    expect(chainsOn('l3')).toEqual([]);
    expect(chainsOn('l3s')).toContain('filter INPUT');
  });
});
