// iptables-save parser on the lab's capture (with counters) and on every rule dump of moby's firewall study.
import { describe, expect, it } from 'vitest';
import { parseIptablesSave, ruleCount } from '../../../collectors/iptables-save.js';
import { ParseError } from '../../../collectors/iproute-json.js';
import { mobyDumps, seedRecording } from '../fixtures.js';

const save = seedRecording().commands['iptables-save -c']!.stdout;

describe('parseIptablesSave on the seed host (iptables-save -c)', () => {
  const dump = parseIptablesSave(save);
  const chain = (t: string, c: string) => dump.tables.find((x) => x.name === t)?.chains.find((x) => x.name === c);

  it('reads the backend and version from the header', () => {
    expect(dump).toMatchObject({ backend: 'nf_tables', version: '1.8.9' });
  });

  it('reads policies of built-in chains and none for Docker chains', () => {
    expect(chain('filter', 'FORWARD')?.policy).toBe('DROP');
    expect(chain('filter', 'INPUT')?.policy).toBe('ACCEPT');
    expect(chain('filter', 'DOCKER-USER')?.policy).toBeNull();
  });

  it('keeps each rule text exactly, numbered from 1 in its chain, with counters', () => {
    const stage2 = chain('filter', 'DOCKER-ISOLATION-STAGE-2')!;
    expect(stage2.rules.map((r) => r.text)).toEqual([expect.stringMatching(/^-A DOCKER-ISOLATION-STAGE-2 -o br-[0-9a-f]{12} -j DROP$/), '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP', '-A DOCKER-ISOLATION-STAGE-2 -j RETURN']);
    expect(stage2.rules.map((r) => r.index)).toEqual([1, 2, 3]);
    for (const r of stage2.rules) expect(r.packets).toBeGreaterThanOrEqual(0);
  });

  it('sees the DNAT for the published port in nat DOCKER', () => {
    expect(chain('nat', 'DOCKER')!.rules.some((r) => /--dport 8080 -j DNAT --to-destination 172\.18\.0\.\d+:80$/.test(r.text))).toBe(true);
  });

  it('counts packets from the [p:b] prefix (the capture pinged alpine-01 → redis-1, which isolation drops)', () => {
    const drop = chain('filter', 'DOCKER-ISOLATION-STAGE-2')!.rules.find((r) => /-o br-/.test(r.text))!;
    expect(drop.packets).toBeGreaterThan(0);
    expect(drop.bytes).toBeGreaterThanOrEqual(drop.packets * 84);
  });
});

describe('parseIptablesSave on moby dumps (iptables -S form, 20.10 to 29)', () => {
  const dumps = mobyDumps();
  it('finds the dumps', () => expect(dumps.length).toBeGreaterThan(40));

  it.each(dumps.map((d) => [d.name, d.text]))('%s parses, and every -A line becomes a rule', (_name, text) => {
    const dump = parseIptablesSave(text);
    const appended = text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l.trim())).length;
    expect(ruleCount(dump.tables)).toBe(appended);
  });

});

describe('iptables -S output without a *table line', () => {
  it('belongs to filter, or to the table its "# $ iptables -t nat -S" prompt names', () => {
    expect(parseIptablesSave('-P FORWARD DROP\n-A FORWARD -j ACCEPT').tables).toEqual([{ name: 'filter', chains: [{ name: 'FORWARD', policy: 'DROP', packets: 0, bytes: 0, rules: [{ index: 1, text: '-A FORWARD -j ACCEPT', packets: 0, bytes: 0 }] }] }]);
    const nat = parseIptablesSave('# $ sudo iptables -t nat -S\n-P PREROUTING ACCEPT\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER');
    expect(nat.tables.map((t) => [t.name, t.chains.map((c) => c.name)])).toEqual([['nat', ['PREROUTING']]]);
  });
});

describe('parseIptablesSave rejects garbage with the line number', () => {
  it.each([
    ['*filter\n:FORWARD MAYBE [0:0]', /line 2: unknown chain policy/],
    ['*filter\n[x:y] -A FORWARD -j ACCEPT', /line 2: malformed counters/],
    ['*filter\nhello world', /line 2: not a table, chain or rule/],
  ])('%j', (text, message) => {
    expect(() => parseIptablesSave(text)).toThrow(ParseError);
    expect(() => parseIptablesSave(text)).toThrow(message);
  });
});
