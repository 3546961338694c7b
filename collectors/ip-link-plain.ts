// An `ip -j -d addr show` entry checked by hand when it is plainly well-formed: zod (a loose object) copies each
// entry whole, a veth's forty bridge-port fields included, 1,000 entries on a host of 500 containers — the links
// collector's largest cost there. This accepts only what the IpLink schema accepts, never more; anything it is not
// sure of is left to zod, whose result and error messages stay the answer.

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (v: unknown) => Number.isSafeInteger(v);
const optional = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || ok(v);
const str = (v: unknown) => typeof v === 'string';
const bool = (v: unknown) => typeof v === 'boolean';
/** Every element, holes included (Array.prototype.every skips a hole, which zod reads as undefined). */
const all = (list: unknown, ok: (x: unknown) => boolean) => {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) if (!ok(list[i])) return false;
  return true;
};

function infoData(v: unknown): boolean {
  if (!isPlain(v)) return false;
  return (
    optional(v.mode, str) &&
    optional(v.bridge, bool) &&
    optional(v.private, bool) &&
    optional(v.vepa, bool) &&
    optional(v.id, int) &&
    optional(v.port, int) &&
    optional(v.local, str) &&
    optional(v.learning, bool) &&
    optional(v.proxy, bool) &&
    optional(v.l2miss, bool) &&
    optional(v.l3miss, bool)
  );
}

function linkinfo(v: unknown): boolean {
  if (!isPlain(v)) return false;
  return optional(v.info_kind, str) && optional(v.info_slave_kind, str) && optional(v.info_slave_data, (d) => isPlain(d) && optional(d.state, str)) && optional(v.info_data, infoData);
}

const addrInfo = (a: unknown) => isPlain(a) && str(a.family) && optional(a.local, str) && optional(a.prefixlen, int) && optional(a.scope, str);

/**
 * The entry as the IpLink schema (iproute-json.ts) parses it, defaults filled in, when it plainly passes that schema;
 * null when zod must judge it. Fields the parsers do not read are left on it, as the loose schema leaves them.
 */
export function plainIpLink<T>(raw: unknown): T | null {
  if (!isPlain(raw)) return null;
  const ok =
    int(raw.ifindex) &&
    str(raw.ifname) &&
    optional(raw.flags, (f) => all(f, str)) &&
    optional(raw.mtu, int) &&
    optional(raw.address, str) &&
    optional(raw.master, str) &&
    optional(raw.group, (g) => str(g) || (typeof g === 'number' && Number.isFinite(g))) &&
    (raw.link === undefined || raw.link === null || str(raw.link)) &&
    optional(raw.link_index, int) &&
    optional(raw.link_netnsid, int) &&
    optional(raw.linkinfo, linkinfo) &&
    optional(raw.addr_info, (l) => all(l, addrInfo)) &&
    optional(raw.promiscuity, (p) => int(p) && (p as number) >= 0);
  if (!ok) return null;
  // iproute2 always prints these three: the entry itself then, uncopied (nothing downstream writes to it).
  if (raw.flags !== undefined && raw.mtu !== undefined && raw.addr_info !== undefined) return raw as T;
  return { ...raw, flags: raw.flags ?? [], mtu: raw.mtu ?? 0, addr_info: raw.addr_info ?? [] } as T;
}
