// Pure parser for `bridge -j fdb show`: a bridge's learned and static entries and a VXLAN device's remote VTEPs.
import { z } from 'zod';
import type { FdbEntry } from '../snapshot/host-snapshot.js';
import { ParseError } from './iproute-json.js';
import { isIpAddress } from './ip-address.js';

// bridge/fdb.c fdb_print: `flags` holds "self", "master" …; `state` is "permanent", "static" or "" (learned).
const Entry = z.looseObject({
  mac: z.string(),
  ifname: z.string(),
  dst: z.string().optional(),
  master: z.string().optional(),
  vni: z.number().int().optional(),
  flags: z.array(z.string()).default([]),
  state: z.string().default(''),
});

export function parseBridgeFdb(text: string): FdbEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ParseError(`bridge -j fdb show printed output that is not JSON (${JSON.stringify(text.slice(0, 40))}…)`);
  }
  if (!Array.isArray(json)) throw new ParseError('bridge -j fdb show printed JSON that is not a list');
  return json.map((raw, i) => {
    const r = Entry.safeParse(raw);
    if (!r.success) throw new ParseError(`bridge -j fdb show [${i}]: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
    const e = r.data;
    return {
      mac: e.mac,
      dev: e.ifname,
      // A multicast or unspecified dst (00:00:00:00:00:00 dst 0.0.0.0, the flood entry) is still the kernel's word.
      dst: e.dst !== undefined && isIpAddress(e.dst) ? e.dst : null,
      master: e.master ?? null,
      self: e.flags.includes('self'),
      permanent: e.state === 'permanent',
      vni: e.vni ?? null,
    };
  });
}
