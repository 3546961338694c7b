// iptables' u32 match (xt_u32): tests on 32-bit words read from the packet's bytes. Swarm writes it to pick one
// overlay's VXLAN packets by VNI (its encrypted networks' INPUT drop and OUTPUT mark); netdiag evaluates it on the
// headers it knows of a packet (addresses, protocol, ports, a VXLAN header's VNI), and any bit it does not know
// (lengths, checksums, TTL, sequence numbers) makes the test unknown, never guessed.
import type { Packet } from './packet.js';

/** One step of a location: `&` mask, `<<` / `>>` shift, `@` move to a new base and read the word there. */
type Op = { op: '&' | '<<' | '>>' | '@'; n: number };
/** LOCATION = VALUE[,VALUE…], each value a number or a range N:M. */
export interface U32Test {
  start: number;
  ops: Op[];
  ranges: [number, number][];
}

const num = (t: string): number | null => (/^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) >>> 0 : null);

/** The tests of a `--u32` expression (joined by &&), as xt_u32(8) reads them; null when it is not one this reads. */
export function parseU32(expr: string): U32Test[] | null {
  const tests: U32Test[] = [];
  for (const part of expr.replace(/\s+/g, '').split('&&')) {
    const [loc, vals, extra] = part.split('=');
    if (loc === undefined || vals === undefined || extra !== undefined) return null;
    const tokens = loc.split(/(&|<<|>>|@)/).filter((t) => t !== '');
    const start = num(tokens[0] ?? '');
    if (start === null) return null;
    const ops: Op[] = [];
    for (let i = 1; i < tokens.length; i += 2) {
      const n = num(tokens[i + 1] ?? '');
      const op = tokens[i] as Op['op'];
      if (n === null || !['&', '<<', '>>', '@'].includes(op)) return null;
      ops.push({ op, n });
    }
    const ranges: [number, number][] = [];
    for (const v of vals.split(',')) {
      const [a, b] = v.split(':');
      const lo = num(a ?? '');
      const hi = b === undefined ? lo : num(b);
      if (lo === null || hi === null) return null;
      ranges.push([lo, hi]);
    }
    tests.push({ start, ops, ranges });
  }
  return tests.length > 0 ? tests : null;
}

/** true, false, or unknown (match.ts's Tri; not imported: the match imports this file). */
type Tri = boolean | 'unknown';

const IP_PROTO = { icmp: 1, tcp: 6, udp: 17 } as const;
/** The VXLAN header's flags word: the I flag set (RFC 7348). */
const VXLAN_FLAGS = 0x08000000;

/**
 * The packet's bytes as far as the walk knows them, from its IPv4 header on (u32 reads from the network header):
 * each byte's value, or null where the walk does not know it. IPv6 packets are not read (null).
 */
function packetBytes(p: Packet): (number | null)[] | null {
  if (p.family !== 4 || typeof p.src !== 'number' || typeof p.dst !== 'number') return null;
  const b: (number | null)[] = new Array(20).fill(null);
  // Version 4, a header of five words: the walk's packets carry no IP options.
  b[0] = 0x45;
  b[9] = IP_PROTO[p.proto];
  for (let i = 0; i < 4; i++) {
    b[12 + i] = (p.src >>> (24 - 8 * i)) & 0xff;
    b[16 + i] = (p.dst >>> (24 - 8 * i)) & 0xff;
  }
  const word16 = (v: number | null): (number | null)[] => (v === null ? [null, null] : [(v >> 8) & 0xff, v & 0xff]);
  if (p.proto === 'icmp') b.push(p.icmpType, p.icmpCode);
  else b.push(...word16(p.sport), ...word16(p.dport));
  if (p.proto === 'udp' && p.vni !== undefined && p.vni !== null) {
    // UDP length and checksum unknown; then the VXLAN header: flags, VNI in the top 24 bits of the second word.
    b.push(null, null, null, null);
    for (const w of [VXLAN_FLAGS, (p.vni << 8) >>> 0]) for (let i = 0; i < 4; i++) b.push((w >>> (24 - 8 * i)) & 0xff);
  }
  return b;
}

/** A 32-bit word read at `at`, with which of its bits are known. */
function word(bytes: (number | null)[], at: number): { v: number; known: number } {
  let v = 0;
  let known = 0;
  for (let i = 0; i < 4; i++) {
    const x = bytes[at + i];
    v = (v << 8) | (x ?? 0);
    known = (known << 8) | (x === null || x === undefined ? 0 : 0xff);
  }
  return { v: v >>> 0, known: known >>> 0 };
}

function evaluateTest(t: U32Test, bytes: (number | null)[]): Tri {
  let base = 0;
  let { v, known } = word(bytes, t.start);
  for (const { op, n } of t.ops) {
    if (op === '&') {
      v = (v & n) >>> 0;
      known = (known | ~n) >>> 0;
    } else if (op === '>>') {
      v = n >= 32 ? 0 : v >>> n;
      known = n >= 32 ? 0xffffffff : ((known >>> n) | ~(0xffffffff >>> n)) >>> 0;
    } else if (op === '<<') {
      v = n >= 32 ? 0 : (v << n) >>> 0;
      known = n >= 32 ? 0xffffffff : ((known << n) | ((1 << n) - 1)) >>> 0;
    } else {
      // @: what was read so far is an offset from the current base; the word is read there plus n.
      if (known !== 0xffffffff) return 'unknown';
      base += v;
      ({ v, known } = word(bytes, base + n));
    }
  }
  if (known !== 0xffffffff) return 'unknown';
  return t.ranges.some(([lo, hi]) => v >= lo && v <= hi);
}

/** Every test must hold (xt_u32 ANDs them): false as soon as one is false, unknown if any cannot be read. */
export function matchU32(tests: U32Test[], p: Packet): Tri {
  const bytes = packetBytes(p);
  if (!bytes) return 'unknown';
  let result: Tri = true;
  for (const t of tests) {
    const r = evaluateTest(t, bytes);
    if (r === false) return false;
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}
