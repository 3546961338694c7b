// IPv4 addresses as 32-bit numbers: parsing, CIDR containment, formatting (the evaluator's hot path).
import type { Cidr } from './ast.js';

export function ipToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr | null {
  const [ip, bitsText] = text.split('/');
  const addr = ipToNumber(ip ?? '');
  if (addr === null) return null;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  return { addr: (addr & maskOf(bits)) >>> 0, bits };
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function inCidr(ip: number, c: Cidr): boolean {
  return ((ip & maskOf(c.bits)) >>> 0) === c.addr;
}

export function cidrText(c: Cidr): string {
  return `${numberToIp(c.addr)}/${c.bits}`;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return inCidr(a.addr, b) || inCidr(b.addr, a);
}
