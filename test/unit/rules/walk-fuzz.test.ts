// Random rule sets made of the parser's own vocabulary — every match and target it knows, negations, jumps and gotos
// between random chains (loops and deep nesting included), malformed variants — put on the captured seed host: the
// walk must always end in reachable, blocked or unknown, and never throw.
import { describe, expect, it } from 'vitest';
import { parseFlow } from '../../../rules/query/flow.js';
import { eachPair } from '../../../rules/matrix/matrix.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { bridgeOf, rng, seedHost } from '../derive.js';

function randomRules(seedValue: number): HostSnapshot {
  const r = rng(seedValue);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const s = seedHost();
  const ips = ['172.17.0.2', '172.18.0.2', '172.18.0.3', '172.17.0.1', '172.18.0.1', '10.0.0.9'];
  const ifaces = ['docker0', bridgeOf(s, 'net-redis'), 'eth0', 'lo', 'br+', 'veth+'];
  const chains = Array.from({ length: 1 + Math.floor(r() * 6) }, (_, i) => `FZ-${i}`);
  const not = () => (r() < 0.2 ? '! ' : '');
  const matches = [
    () => `${not()}-s ${pick(ips)}/${pick([32, 24, 16])}`,
    () => `${not()}-d ${pick(ips)}/${pick([32, 16, 8])}`,
    () => `${not()}-i ${pick(ifaces)}`,
    () => `${not()}-o ${pick(ifaces)}`,
    () => `-p ${pick(['tcp', 'udp', 'icmp', 'all', '6', '17'])}`,
    () => `-p tcp -m tcp ${not()}--dport ${pick(['80', '6379', '1:1024', '8080'])}`,
    () => `-p udp -m udp --sport ${pick(['53', '1000:2000'])}`,
    () => `-p tcp -m multiport --dports ${pick(['80,443', '6379,8080:8090'])}`,
    () => `-m conntrack ${not()}--ctstate ${pick(['NEW', 'RELATED,ESTABLISHED', 'INVALID', 'DNAT'])}`,
    () => `-m state --state ${pick(['NEW', 'ESTABLISHED'])}`,
    () => `-m conntrack --ctorigdst ${pick(ips)}/32`,
    () => `-m addrtype --dst-type ${pick(['LOCAL', 'UNICAST', 'BROADCAST'])}`,
    () => `-m addrtype --src-type LOCAL --limit-iface-out`,
    () => `-m physdev ${pick(['--physdev-is-bridged', `--physdev-in ${pick(ifaces)}`, `! --physdev-out ${pick(ifaces)}`])}`,
    () => `-m comment --comment "${pick(['a b', 'netdiag:fx-1', 'x'])}"`,
    () => `-p icmp -m icmp --icmp-type ${pick(['8', 'echo-reply', '3/3', 'any'])}`,
    () => `-m mark ${not()}--mark ${pick(['0x1', '0x10/0xff', '0x0/0xffffffff'])}`,
    () => `-m iprange --src-range ${pick(ips)}-${pick(ips)}`,
    () => `-m set --match-set docker-ext-bridges-v4 dst`,
    () => `-m statistic --mode random --probability 0.5`,
    () => `-p tcp -m tcp --tcp-flags SYN,ACK SYN`,
  ];
  const filterTargets = [
    () => 'ACCEPT',
    () => 'DROP',
    () => 'RETURN',
    () => 'REJECT --reject-with icmp-port-unreachable',
    () => pick(chains),
    () => `${pick(chains)}`,
    () => 'LOG --log-prefix "fz "',
    () => 'MARK --set-xmark 0x1/0xff',
    () => 'NFQUEUE --queue-num 1',
    () => 'NOSUCHCHAIN',
  ];
  const natTargets = [() => `DNAT --to-destination ${pick(ips)}:${pick(['80', '6379'])}`, () => 'MASQUERADE', () => `SNAT --to-source ${pick(ips)}`, () => 'REDIRECT --to-ports 8080', () => 'RETURN', () => 'ACCEPT'];
  const malformed = ['! ! -s 172.17.0.2/32 -j DROP', '-s 172.17.0.2/32 ! -j DROP', '-j DROP extra', '-j FZ-0 FZ-1', '-s 999.1.1.1/32 -j DROP', '-p tcp --dport 99999 -j DROP', '-s 172.17.0.2/32 -j DROP !'];
  const rule = (chain: string, targets: (() => string)[]) => {
    if (r() < 0.05) return `-A ${chain} ${pick(malformed)}`;
    const ms = Array.from({ length: Math.floor(r() * 3) }, () => pick(matches)());
    const jump = r() < 0.15 ? '-g' : '-j';
    return `-A ${chain} ${ms.join(' ')} ${jump} ${pick(targets)()}`.replace(/ +/g, ' ');
  };
  const filter = s.firewall!.tables.find((t) => t.name === 'filter')!;
  const nat = s.firewall!.tables.find((t) => t.name === 'nat')!;
  for (const c of chains) filter.chains.push({ name: c, policy: null, packets: 0, bytes: 0, rules: [] });
  const add = (chain: { rules: { index: number; text: string; packets: number; bytes: number }[] }, texts: string[]) => {
    chain.rules = [...texts.map((text) => ({ index: 0, text, packets: 0, bytes: 0 })), ...chain.rules].map((x, i) => ({ ...x, index: i + 1 }));
  };
  for (const c of filter.chains) if (c.name.startsWith('FZ-') || c.name === 'DOCKER-USER' || r() < 0.3) add(c, Array.from({ length: 1 + Math.floor(r() * 4) }, () => rule(c.name, filterTargets)));
  for (const c of nat.chains) if (r() < 0.3) add(c, [rule(c.name, natTargets)]);
  if (r() < 0.3) s.firewall!.backend = 'legacy';
  return s;
}

describe('the walk on random rule sets', () => {
  const seeds = Array.from({ length: 150 }, (_, i) => i + 1);
  const seen = { reachable: 0, blocked: 0, unknown: 0 };
  it.each([parseFlow(undefined), parseFlow('80/tcp'), parseFlow('53/udp')])('always ends in reachable, blocked or unknown ($proto $port), never throws', (flow) => {
    for (const k of seeds) {
      const world = buildWorld([randomRules(k)]);
      try {
        eachPair(world, flow, (p) => {
          seen[p.verdict]++;
          for (const a of p.addresses) expect(['reachable', 'blocked', 'unknown']).toContain(a.verdict);
        });
        for (const [a, b] of [['alpine-01', 'redis-1'], ['redis-1', '172.17.0.1'], ['redis-2', 'redis-1']] as const) expect(['reachable', 'blocked', 'unknown']).toContain(why(world, a, b, flow).verdict);
      } catch (error) {
        throw new Error(`rule set seed ${k}: ${(error as Error).stack}`);
      }
    }
  });
  it('exercised every outcome (else the walks above prove little)', () => {
    expect(seen.reachable).toBeGreaterThan(0);
    expect(seen.blocked).toBeGreaterThan(0);
    expect(seen.unknown).toBeGreaterThan(0);
  });
});
