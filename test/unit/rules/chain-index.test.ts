// A long chain is walked through its address index: the rules it hands the walk must be every rule that could match
// the packet (or that the walk must report as unreadable), in the chain's order — on every long chain of the public
// corpus and moby's dumps, for packets addressed inside and outside the networks those rules name.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { networkOf } from '../../../rules/addr/addr.js';
import type { Ip } from '../../../rules/addr/addr.js';
import { matchRule } from '../../../rules/iptables/match.js';
import type { MatchHost, Packet } from '../../../rules/iptables/packet.js';
import { buildRuleset, candidates } from '../../../rules/netfilter/ruleset.js';
import type { Chain } from '../../../rules/netfilter/ruleset.js';
import { corpusDir, mobyDumps } from '../fixtures.js';
import { rng } from '../derive.js';

const host: MatchHost = { addrType: () => 'UNICAST' };

const dumps = [
  ...readdirSync(corpusDir())
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(corpusDir(), name), 'utf8') })),
  ...mobyDumps(),
];

/** Every chain with enough rules to be indexed, and the addresses its rules name. */
function longChains(): { name: string; chain: Chain; addrs: Ip[] }[] {
  const out: { name: string; chain: Chain; addrs: Ip[] }[] = [];
  for (const d of dumps) {
    const fw = { backend: 'nf_tables', version: null, tables: parseIptablesSave(d.text).tables, otherBackend: null, findings: [] };
    for (const [table, t] of buildRuleset(d.name, fw)) {
      for (const chain of t.values()) {
        if (chain.rules.length < 12) continue;
        const addrs = chain.rules.flatMap((r) => r.parsed.matches.flatMap((m) => (m.kind === 'src' || m.kind === 'dst' ? [m.cidr.addr] : [])));
        if (addrs.length > 0) out.push({ name: `${d.name} ${table} ${chain.name}`, chain, addrs });
      }
    }
  }
  return out;
}

function packet(src: Ip, dst: Ip): Packet {
  return { family: 4, src, dst, proto: 'tcp', sport: 40000, dport: 80, icmpType: null, icmpCode: null, inIface: 'eth0', outIface: 'docker0', physIn: null, physOut: null, bridged: false, ctstate: 'NEW', origDst: dst, origDport: 80, origSrc: src, mark: 0 };
}

const chains = longChains();

describe('the address index of long chains', () => {
  // Few operators' chains are long and name addresses; the matrix's property test (matrix-classes) adds DOCKER-USER
  // chains of 40 random pinholes, walked through the index, against one walk per pair.
  it('has long chains with addresses to test on (the property below is not empty)', () => {
    expect(chains.length).toBeGreaterThanOrEqual(2);
  });

  it.each(chains.map((c) => [c.name, c] as const))('%s: every rule that can match is a candidate, in order', (_n, { chain, addrs }) => {
    const r = rng(addrs.length);
    // Addresses the rules name, their networks' neighbours, and addresses no rule names.
    const pool: Ip[] = [...addrs, ...addrs.map((a) => (typeof a === 'number' ? (a + 1) >>> 0 : a)), ...addrs.map((a) => networkOf(a, 24)), 0x0a000001, 0xc0a80101];
    const v4 = pool.filter((a): a is number => typeof a === 'number');
    for (let k = 0; k < 200; k++) {
      const p = packet(v4[Math.floor(r() * v4.length)]!, v4[Math.floor(r() * v4.length)]!);
      const got = candidates(chain, p.src, p.dst);
      const positions = got.map((x) => chain.rules.indexOf(x));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      const need = chain.rules.filter((x) => x.parsed.problems.length > 0 || matchRule(x.tests, p, host) !== false);
      for (const x of need) expect(got, x.ref.text).toContain(x);
    }
  });
});
