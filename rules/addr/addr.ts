// Addresses of both families: IPv4 as a 32-bit number (the evaluator's hot path), IPv6 as a 128-bit bigint. The
// representation is the family, so an IPv4 rule can never match an IPv6 packet by accident of arithmetic.
import ipaddr from 'ipaddr.js';

export type Ip = number | bigint;
/** A network: its address and prefix length. */
export type Cidr = { addr: Ip; bits: number };
export type Family = 4 | 6;

export const familyOf = (ip: Ip): Family => (typeof ip === 'number' ? 4 : 6);
/** The unspecified address of a family (0.0.0.0, ::): a packet's source before the kernel picks one. */
export const unspecified = (f: Family): Ip => (f === 4 ? 0 : 0n);
export const isUnspecified = (ip: Ip): boolean => ip === 0 || ip === 0n;

/**
 * Four dot-separated groups of one to three ASCII digits, each at most 255 (leading zeros allowed, as `ip` never
 * prints but a hand-written file may). Read char by char: a fleet's model reads every route's and address's text,
 * and splitting each into strings for a regex was a tenth of building a 100-host fleet's model.
 */
export function ipToNumber(ip: string): number | null {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255 || dots === 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return null;
  return (n * 256 + part) >>> 0;
}

export function numberToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

const V6_ALL = (1n << 128n) - 1n;

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Hex groups with at most one "::" — what ip, ss, Docker and ip6tables print — read directly; undefined for any
 * other form (an embedded IPv4 address), which ipaddr.js reads. A host's snapshot holds an fe80:: address and two
 * routes per container veth: through ipaddr.js's parser they were 10 ms of a `why` on a 200-container host.
 */
function hexGroupsToBigint(text: string): bigint | null | undefined {
  if (text.includes('.')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : (halves[1] as string).split(':');
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return null;
  let hex = '';
  for (const g of head) {
    if (!HEX_GROUP.test(g)) return null;
    hex += g.padStart(4, '0');
  }
  hex += '0000'.repeat(8 - groups);
  for (const g of tail) {
    if (!HEX_GROUP.test(g)) return null;
    hex += g.padStart(4, '0');
  }
  return BigInt(`0x${hex}`);
}

function ip6ToBigint(text: string): bigint | null {
  if (!text.includes(':') || text.includes('%')) return null;
  const fast = hexGroupsToBigint(text);
  if (fast !== undefined) return fast;
  if (!ipaddr.IPv6.isValid(text)) return null;
  let n = 0n;
  for (const part of ipaddr.IPv6.parse(text).parts) n = (n << 16n) | BigInt(part);
  return n;
}

/** Either family's text form; null for anything else (a zone index, a hostname, a typo). */
export function parseIp(text: string): Ip | null {
  return text.includes(':') ? ip6ToBigint(text) : ipToNumber(text);
}

/** RFC 5952 text, the form `ip -6` and Docker print (fd00:2::3). */
function bigintToIp6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return new ipaddr.IPv6(groups).toRFC5952String();
}

export function ipText(ip: Ip): string {
  return typeof ip === 'number' ? numberToIp(ip) : bigintToIp6(ip);
}

/** How many bits an address of this one's family has: 32 for IPv4, 128 for IPv6 (a host's prefix length). */
export const addressBits = (ip: Ip): number => (typeof ip === 'number' ? 32 : 128);

/** Whether a prefix names one address (a /32 or /128). */
export const isHostPrefix = (c: Cidr): boolean => c.bits === addressBits(c.addr);

/** An address with an optional prefix length, the address kept as written (`172.18.0.2/16` stays .2). */
export function parsePrefixed(text: string): Cidr | null {
  const [ipPart, bitsText] = text.split('/');
  const addr = parseIp(ipPart ?? '');
  if (addr === null) return null;
  const max = addressBits(addr);
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) return null;
  return { addr, bits };
}

export function parseCidr(text: string): Cidr | null {
  const c = parsePrefixed(text);
  return c && { addr: networkOf(c.addr, c.bits), bits: c.bits };
}

/** An IPv4 prefix only (plans, IPAM): null for IPv6. */
export type Cidr4 = { addr: number; bits: number };

export function parseCidr4(text: string): Cidr4 | null {
  const c = parseCidr(text);
  return c && typeof c.addr === 'number' ? { addr: c.addr, bits: c.bits } : null;
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function mask6(bits: number): bigint {
  return bits === 0 ? 0n : (V6_ALL << BigInt(128 - bits)) & V6_ALL;
}

/** The network address of `ip` under a prefix of `bits`. */
export function networkOf(ip: Ip, bits: number): Ip {
  return typeof ip === 'number' ? (ip & maskOf(bits)) >>> 0 : ip & mask6(bits);
}

export function inCidr(ip: Ip, c: Cidr): boolean {
  if (typeof ip === 'number') return typeof c.addr === 'number' && ((ip & maskOf(c.bits)) >>> 0) === c.addr;
  return typeof c.addr === 'bigint' && (ip & mask6(c.bits)) === c.addr;
}

export function cidrText(c: Cidr): string {
  return `${ipText(c.addr)}/${c.bits}`;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return inCidr(a.addr, b) || inCidr(b.addr, a);
}

/** Addresses the kernel never forwards off a host: 127/8 and ::1. */
export function isLoopback(ip: Ip): boolean {
  return typeof ip === 'number' ? ip >>> 24 === 127 : ip === 1n;
}

/**
 * A host name or address that can only mean this host: localhost and *.localhost (RFC 6761 keeps them on loopback),
 * 127/8 and ::1 — as a bind address, a Host header or a URL's hostname spells it (brackets, case, a trailing dot aside).
 * A DNS-rebinding page's own name is never one of them.
 */
export function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const ip = parseIp(h);
  return ip !== null && isLoopback(ip);
}

export function isMulticast(ip: Ip): boolean {
  return typeof ip === 'number' ? ip >>> 28 === 0xe : ip >> 120n === 0xffn;
}

/** fe80::/10: an IPv6 address that only means something on its own link (and needs a zone to be used). */
export function isLinkLocal6(ip: Ip): boolean {
  return typeof ip === 'bigint' && ip >> 118n === 0x3fan;
}
