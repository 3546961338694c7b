// iproute2 JSON parsers on outputs captured from the lab's seed host.
import { describe, expect, it } from 'vitest';
import { parseIpAddr, parseIpNeighbours, parseIpRoutes, parseIpRules, ParseError } from '../../../collectors/iproute-json.js';
import { mapSandboxInterfaces } from '../../../collectors/links.js';
import { seedFailures, seedRecording } from '../fixtures.js';

const rec = seedRecording();
const cmd = (k: string) => {
  const r = rec.commands[k];
  if (!r) throw new Error(`fixture lacks ${k}`);
  return r.stdout;
};
// Inside a container, one `ip -batch` answers four questions, one JSON list per line: addr, route, rule, neigh.
// (The namespace's other read, its resolver NAT, is iptables-save's: not these.)
const sandboxKeys = Object.keys(rec.commands).filter((k) => k.startsWith('nsenter') && k.split(' ')[2] === 'ip');
const batch = (k: string, i: 0 | 1 | 2 | 3) => cmd(k).split('\n')[i] as string;

describe('parseIpAddr', () => {
  const host = parseIpAddr(cmd('ip -j -d addr show'));

  it('finds both Docker bridges with their gateway addresses', () => {
    const bridges = host.filter((i) => i.kind === 'bridge');
    expect(bridges.map((b) => b.name).sort()).toEqual([expect.stringMatching(/^br-[0-9a-f]{12}$/), 'docker0']);
    const docker0 = bridges.find((b) => b.name === 'docker0')!;
    expect(docker0.addresses.filter((a) => a.family === 'inet')).toEqual([{ family: 'inet', local: '172.17.0.1', prefixLen: 16, scope: 'global' }]);
    expect(docker0.up).toBe(true);
  });

  it('reads veths as bridge ports with a peer in another namespace', () => {
    const veths = host.filter((i) => i.kind === 'veth');
    expect(veths).toHaveLength(3);
    for (const v of veths) {
      expect(v.master).toMatch(/^(docker0|br-[0-9a-f]{12})$/);
      expect(v.portState).toBe('forwarding');
      expect(v.peer?.netnsId).not.toBeNull();
      expect(v.peer?.ifindex).toBeGreaterThan(0);
    }
  });

  it('maps each container eth0 to its host veth by ifindex, and that veth to its bridge', () => {
    expect(sandboxKeys).toHaveLength(3);
    for (const key of sandboxKeys) {
      const inside = parseIpAddr(batch(key, 0));
      const [eth0] = mapSandboxInterfaces(host, inside);
      expect(eth0?.name).toBe('eth0');
      const hostVeth = host.find((i) => i.ifindex === eth0!.hostVeth!.ifindex)!;
      expect(hostVeth.kind).toBe('veth');
      expect(eth0!.bridge).toBe(hostVeth.master);
      // The pairing is confirmed from both sides.
      expect(hostVeth.peer?.ifindex).toBe(eth0!.ifindex);
    }
  });

  it('does not map an interface whose peer does not point back', () => {
    const inside = parseIpAddr(batch(sandboxKeys[0]!, 0));
    const wrong = host.map((i) => (i.kind === 'veth' ? { ...i, peer: { ifindex: 999, netnsId: 1, name: null } } : i));
    expect(mapSandboxInterfaces(wrong, inside)[0]?.hostVeth).toBeNull();
  });

  it('rejects output that is not JSON with a message naming the command', () => {
    expect(() => parseIpAddr('garbage{')).toThrow(ParseError);
    expect(() => parseIpAddr('garbage{')).toThrow(/ip -j -d addr show printed output that is not JSON/);
    expect(() => parseIpAddr('[{"ifname": 3}]')).toThrow(/unexpected entry/);
  });
});

describe('parseIpRoutes', () => {
  const routes = parseIpRoutes(cmd('ip -j -4 route show table all'));

  it('fills the defaults iproute2 omits (table main, unicast, scope global)', () => {
    const docker0 = routes.find((r) => r.dst === '172.17.0.0/16' && r.table === 'main')!;
    expect(docker0).toMatchObject({ type: 'unicast', dev: 'docker0', protocol: 'kernel', scope: 'link', prefsrc: '172.17.0.1', metric: 0 });
  });

  it('gives host routes their /32 and keeps the local table', () => {
    const local = routes.find((r) => r.type === 'local' && r.dst === '172.17.0.1/32')!;
    expect(local).toMatchObject({ table: 'local', dev: 'docker0', scope: 'host' });
  });

  it('turns "default" into 0.0.0.0/0 inside a container', () => {
    const inside = parseIpRoutes(batch(sandboxKeys[0]!, 1));
    const def = inside.find((r) => r.dst === '0.0.0.0/0')!;
    expect(def.gateway).toMatch(/^172\.1[78]\.0\.1$/);
    expect(def.dev).toBe('eth0');
  });

  it('refuses the truncated "[" that ip prints when a table does not exist', () => {
    const f = seedFailures().ipRouteMissingTable;
    expect(f.exitCode).toBe(2);
    expect(() => parseIpRoutes(f.stdout)).toThrow(ParseError);
  });
});

describe('parseIpRules', () => {
  it('reads the three standard rules', () => {
    const rules = parseIpRules(cmd('ip -j -4 rule show'));
    expect(rules.map((r) => [r.priority, r.table, r.src, r.not])).toEqual([
      [0, 'local', null, false],
      [32766, 'main', null, false],
      [32767, 'default', null, false],
    ]);
  });

  it('reads negation from the presence of "not", and prefixes from src/srclen', () => {
    const rules = parseIpRules(seedFailures().ipRuleNegated.stdout);
    expect(rules.find((r) => r.priority === 100)).toMatchObject({ not: true, src: '10.0.0.0/8', fwmark: '0x1/0xff', table: '100', action: 'lookup' });
  });
});

describe('parseIpNeighbours', () => {
  it('reads the host\'s and each container\'s ARP entries, with the family from the address', () => {
    const host = parseIpNeighbours(cmd('ip -j neigh show'));
    expect(host.length).toBeGreaterThan(0);
    expect(host.every((n) => n.family === 'inet' && n.dev.length > 0 && n.state.length > 0)).toBe(true);
    for (const k of sandboxKeys) {
      const inside = parseIpNeighbours(batch(k, 3));
      for (const n of inside) expect(n).toMatchObject({ family: 'inet', dev: expect.stringMatching(/^eth\d$/), state: expect.any(Array) });
    }
  });
  it('refuses what is not a JSON list, naming the command', () => {
    expect(() => parseIpNeighbours('Device "x" does not exist.')).toThrow(ParseError);
  });
});
