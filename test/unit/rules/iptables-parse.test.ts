// The rule parser and matcher on rules taken from real dumps (lab captures and moby's generated docs).
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { matchRule } from '../../../rules/iptables/match.js';
import { ipToNumber } from '../../../rules/addr/addr.js';
import type { Packet } from '../../../rules/iptables/packet.js';
import { walkHook } from '../../../rules/netfilter/walk-chain.js';
import { buildRuleset } from '../../../rules/netfilter/ruleset.js';
import { mobyDumps } from '../fixtures.js';

const allRules = mobyDumps().flatMap((d) => parseIptablesSave(d.text).tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => ({ file: d.name, text: r.text })))));
// Docker's own overlay/swarm rules use matches netdiag deliberately leaves unknown (ipvs, policy, the swarm ingress's).
const UNMODELLED = /-m (set|ipvs|bpf|policy|u32) /;

describe('every rule in the moby dumps', () => {
  it('has rules to parse', () => expect(allRules.length).toBeGreaterThan(800));
  it('parses without problems, and keeps unknown only what netdiag does not model', () => {
    const bad = allRules.filter(({ text }) => {
      const r = parseRule(text);
      const unknown = r.matches.some((m) => m.kind === 'unknown') || r.target.kind === 'unknown';
      return r.problems.length > 0 || !r.chain || (unknown && !UNMODELLED.test(text));
    });
    expect(bad.map((b) => `${b.file}: ${b.text}`)).toEqual([]);
  });
});

describe('parseRule', () => {
  it.each([
    ['-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2', [{ kind: 'in', iface: 'docker0', neg: false }, { kind: 'out', iface: 'docker0', neg: true }], { kind: 'jump', chain: 'DOCKER-ISOLATION-STAGE-2' }],
    ['-A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80', [{ kind: 'in', iface: 'bridge1', neg: true }, { kind: 'proto', proto: 'tcp', neg: false }, { kind: 'dport', ranges: [[8080, 8080]], neg: false }], { kind: 'DNAT', toIp: ipToNumber('192.0.2.2'), toPort: [80, 80] }],
    ['-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER', [{ kind: 'dst', cidr: { addr: ipToNumber('127.0.0.0'), bits: 8 }, neg: true }, { kind: 'addrtype', side: 'dst', types: ['LOCAL'], neg: false, limitIface: null }], { kind: 'jump', chain: 'DOCKER' }],
    ['-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', [{ kind: 'out', iface: 'docker0', neg: false }, { kind: 'ctstate', states: ['RELATED', 'ESTABLISHED'], neg: false }], { kind: 'ACCEPT' }],
    ['-A DOCKER-FORWARD -m mark --mark 0x1/0xff -j ACCEPT', [{ kind: 'mark', value: 1, mask: 0xff, neg: false }], { kind: 'ACCEPT' }],
  ])('%s', (text, matches, target) => {
    const r = parseRule(text);
    expect(r.problems).toEqual([]);
    expect(r.matches).toEqual(matches);
    expect(r.target).toEqual(target);
  });
});

function packet(p: Partial<Packet>): Packet {
  return { src: ipToNumber('172.17.0.2')!, dst: ipToNumber('172.18.0.2')!, proto: 'icmp', sport: null, dport: null, icmpType: 8, icmpCode: 0, inIface: 'docker0', outIface: 'br-x', physIn: null, physOut: null, bridged: false, ctstate: 'NEW', origDst: 0, origDport: null, origSrc: 0, mark: 0, ...p };
}
const host = { addrType: (ip: number) => (ip === ipToNumber('172.17.0.1') ? 'LOCAL' : 'UNICAST') };

describe('matchRule', () => {
  it('negates an interface match', () => {
    const r = parseRule('-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2');
    expect(matchRule(r.matches, packet({}), host)).toBe(true);
    expect(matchRule(r.matches, packet({ outIface: 'docker0' }), host)).toBe(false);
  });
  it('treats + as a prefix wildcard', () => {
    expect(matchRule(parseRule('-A DOCKER-USER -i br-+ -j DROP').matches, packet({ inIface: 'br-5a810c8c1dba' }), host)).toBe(true);
  });
  it('lets false win over unknown, and unknown over true', () => {
    const r = parseRule('-A FORWARD -m set --match-set docker-ext-bridges-v4 dst -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(matchRule(r.matches, packet({ ctstate: 'NEW' }), host)).toBe(false);
    expect(matchRule(r.matches, packet({ ctstate: 'ESTABLISHED' }), host)).toBe('unknown');
  });
  it('matches addrtype against the host\'s local addresses', () => {
    const r = parseRule('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER');
    expect(matchRule(r.matches, packet({ dst: ipToNumber('172.17.0.1')! }), host)).toBe(true);
    expect(matchRule(r.matches, packet({}), host)).toBe(false);
  });
});

describe('walkHook: jumps, RETURN, goto, policies (the live seed-host2 capture)', () => {
  const dump = mobyDumps().find((d) => d.name === 'docker20-seed-host2.iptables.txt')!;
  const rs = buildRuleset('h2', { backend: 'nf_tables', version: null, tables: parseIptablesSave(dump.text).tables, otherBackend: null, findings: [] });
  const filter = rs.get('filter');
  const lan = (p: Partial<Packet>) => packet({ src: ipToNumber('10.99.0.1')!, dst: ipToNumber('192.168.200.3')!, inIface: 'eth0', outIface: 'docker0', ...p });

  it('accepts in DOCKER-USER before the RETURN, and never reaches the LOG rule appended after it', () => {
    const o = walkHook(filter, 'FORWARD', lan({}), host);
    expect(o.verdict).toBe('ACCEPT');
    expect(o.decidedBy).toMatchObject({ chain: 'DOCKER-USER', index: 1 });
  });
  it('falls through to the policy (DROP) when nothing accepts', () => {
    const o = walkHook(filter, 'FORWARD', lan({ src: ipToNumber('10.98.0.1')! }), host);
    expect(o).toMatchObject({ verdict: 'DROP', decidedBy: null, policyOf: 'FORWARD' });
    expect(o.path.map((r) => `${r.chain}#${r.index}`)).toEqual(['FORWARD#1', 'DOCKER-USER#2', 'FORWARD#2', 'DOCKER-ISOLATION-STAGE-1#2', 'FORWARD#4']);
  });
});
