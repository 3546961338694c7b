// Whether a tool's or the Engine API's text is an IP address, by the same rules the snapshot schema checks them with.
import { z } from 'zod';

const IpAddress = z.union([z.ipv4(), z.ipv6()]);

export function isIpAddress(text: string): boolean {
  return IpAddress.safeParse(text).success;
}

export function isIpv6Address(text: string): boolean {
  return z.ipv6().safeParse(text).success;
}
