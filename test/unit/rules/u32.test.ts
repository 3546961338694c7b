// iptables' u32 match on the rules swarm wrote for an encrypted overlay (captured: swarm/svc-h1.json, VNI 4099):
// only that overlay's VXLAN packets match; a test that reads bytes the walk does not know is unknown, not guessed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRule } from '../../../rules/iptables/parse.js';
import { matchU32, parseU32 } from '../../../rules/iptables/u32.js';
import { newPacket } from '../../../rules/walk/leg.js';
import { parseIp } from '../../../rules/addr/addr.js';
import type { Packet } from '../../../rules/iptables/packet.js';

const snapshot = JSON.parse(readFileSync(join(__dirname, '../../fixtures/captured/swarm/svc-h1.json'), 'utf8'));
const captured: string[] = snapshot.firewall.tables.flatMap((t: { chains: { rules: { text: string }[] }[] }) => t.chains.flatMap((c) => c.rules.map((r) => r.text))).filter((t: string) => t.includes('--u32'));

function vxlan(vni: number | null): Packet {
  const p = newPacket({ proto: 'udp', port: 4789 }, parseIp('10.77.0.12')!, parseIp('10.77.0.11')!, 'request');
  return { ...p, vni };
}

describe('u32', () => {
  it('parses the VNI test moby writes, and the captured rules carry it', () => {
    expect(captured.length).toBeGreaterThanOrEqual(3);
    for (const text of captured) {
      const m = parseRule(text).matches.find((x) => x.kind === 'u32');
      expect(m, text).toBeDefined();
    }
    expect(parseU32('0x0>>0x16&0x3c@0xc&0xffffff00=0x100300')).toEqual([{ start: 0, ops: [{ op: '>>', n: 0x16 }, { op: '&', n: 0x3c }, { op: '@', n: 0xc }, { op: '&', n: 0xffffff00 }], ranges: [[0x100300, 0x100300]] }]);
    expect(parseU32('0x0>>0x16&&=1')).toBeNull();
  });

  it("matches only the encrypted overlay's VNI (4099), whatever the addresses", () => {
    const tests = parseU32('0x0>>0x16&0x3c@0xc&0xffffff00=0x100300')!;
    expect(matchU32(tests, vxlan(4099))).toBe(true);
    expect(matchU32(tests, vxlan(4097))).toBe(false);
    // A UDP packet to 4789 that is not known to be VXLAN: the word the test reads is not known.
    expect(matchU32(tests, vxlan(null))).toBe('unknown');
  });

  it('reads what the walk knows of the headers, and nothing else', () => {
    const p = vxlan(4097);
    // The protocol byte (offset 9) and the destination port: known.
    expect(matchU32(parseU32('6&0xff=17')!, p)).toBe(true);
    expect(matchU32(parseU32('0>>22&0x3c@0>>16=45000')!, p)).toBe(false);
    expect(matchU32(parseU32('0>>22&0x3c@0&0xffff=4789')!, p)).toBe(true);
    // TTL and total length: not known, so neither true nor false.
    expect(matchU32(parseU32('8>>24=64')!, p)).toBe('unknown');
    expect(matchU32(parseU32('0&0xffff=0:1500')!, p)).toBe('unknown');
    // A mask that keeps only known bits of a partly known word is decided.
    expect(matchU32(parseU32('0>>24=0x45')!, p)).toBe(true);
  });
});
