// IPv6 text is read by a direct path for plain hex groups and by ipaddr.js otherwise: both must give ipaddr.js's
// answer, valid or not, on every form a host prints and on malformed text.
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { ipText, ipToNumber, parseIp } from '../../../rules/addr/addr.js';
import { rng } from '../derive.js';

/** ipaddr.js's reading: the address as a bigint, or null. */
function reference(text: string): bigint | null {
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return null;
  return ipaddr.IPv6.parse(text).parts.reduce((n, p) => (n << 16n) | BigInt(p), 0n);
}

describe('IPv6 text', () => {
  const r = rng(6);
  const group = () => Math.floor(r() * 0x10000).toString(16);
  it('reads 20,000 random addresses as ipaddr.js does, in full, compressed (RFC 5952), upper case and zero runs', () => {
    for (let k = 0; k < 20_000; k++) {
      // Zero runs of random length and place, so "::" lands at the start, the middle and the end.
      const parts = Array.from({ length: 8 }, () => (r() < 0.3 ? '0' : group()));
      const full = parts.join(':');
      const want = reference(full);
      expect(want).not.toBeNull();
      for (const form of [full, ipText(want as bigint), full.toUpperCase(), ipText(want as bigint).toUpperCase()]) expect(parseIp(form), form).toBe(want);
    }
  });
  it('refuses what ipaddr.js refuses, and reads the forms with an IPv4 tail through it', () => {
    const cases = ['::', '::1', '1::', 'fe80::1', ':1::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', '12345::1', 'g::1', '1:::2', '::ffff:192.0.2.1', '64:ff9b::10.0.0.1', '::ffff:300.1.1.1', 'fe80::1%eth0', '1:2:3:4:5:6:7:', ':1:2:3:4:5:6:7'];
    for (const text of cases) expect(parseIp(text), text).toBe(reference(text));
    for (let k = 0; k < 20_000; k++) {
      const alphabet = '0123456789abcdefg:.';
      const text = Array.from({ length: 2 + Math.floor(r() * 20) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      if (!text.includes(':')) continue;
      expect(parseIp(text), text).toBe(reference(text));
    }
  });
});

/** The split-and-regex reading the char-by-char one replaced: four groups of 1-3 digits, each at most 255. */
function reference4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

describe('IPv4 text', () => {
  const r = rng(4);
  it('reads every address of the captured snapshots\' forms and its edges as the split reading does', () => {
    const cases = ['0.0.0.0', '255.255.255.255', '172.18.0.2', '10.60.0.1', '127.0.0.1', '001.002.003.004', '256.1.1.1', '1.1.1.256', '1.1.1', '1.1.1.1.1', '1..1.1', '.1.1.1', '1.1.1.', '', '1.1.1.1/24', ' 1.1.1.1', '1.1.1.1 ', '1.1.1.0x1', '1.1.1.1234', '1.1.1.-1', '१.1.1.1', '1.1.1.+1', '1.1.1.1e0'];
    for (const text of cases) expect(ipToNumber(text), text).toBe(reference4(text));
    expect(ipToNumber('172.18.0.2')).toBe(0xac120002);
    expect(ipToNumber('255.255.255.255')).toBe(0xffffffff);
  });
  it('agrees with it on 50,000 random strings of digits and dots', () => {
    const alphabet = '0123456789012345678901234567890123456789.....x';
    for (let k = 0; k < 50_000; k++) {
      const text = Array.from({ length: 1 + Math.floor(r() * 16) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      expect(ipToNumber(text), text).toBe(reference4(text));
    }
    // And on 20,000 well-formed ones, whose groups run past 255.
    for (let k = 0; k < 20_000; k++) {
      const text = Array.from({ length: 4 }, () => String(Math.floor(r() * 300))).join('.');
      expect(ipToNumber(text), text).toBe(reference4(text));
    }
  });
});
