// Values kept by network: the networks that hold an address cost one map probe per prefix length in use, not a test
// per network (a routing table, a chain of pinholes, a host's routes and rules as predicates).
import { networkOf } from './addr.js';
import type { Cidr, Ip } from './addr.js';

export class PrefixMap<T> {
  /** Longest prefix first: the order a route lookup wants. */
  private readonly levels: { bits: number; v6: boolean; at: Map<Ip, T> }[] = [];

  private level(c: Cidr): Map<Ip, T> {
    const v6 = typeof c.addr === 'bigint';
    let l = this.levels.find((x) => x.bits === c.bits && x.v6 === v6);
    if (!l) {
      l = { bits: c.bits, v6, at: new Map() };
      const at = this.levels.findIndex((x) => x.bits < c.bits);
      this.levels.splice(at < 0 ? this.levels.length : at, 0, l);
    }
    return l.at;
  }

  /** The value kept for exactly this network. */
  get(c: Cidr): T | undefined {
    return this.level(c).get(c.addr);
  }

  set(c: Cidr, value: T): void {
    this.level(c).set(c.addr, value);
  }

  /** The value of the longest network that holds `ip`: a route lookup. */
  longest(ip: Ip): T | undefined {
    const v6 = typeof ip === 'bigint';
    for (const l of this.levels) {
      if (l.v6 !== v6) continue;
      const hit = l.at.get(networkOf(ip, l.bits));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** The values of every network that holds `ip` (of its family), longest prefix first. */
  holding(ip: Ip, into: T[] = []): T[] {
    const v6 = typeof ip === 'bigint';
    for (const l of this.levels) {
      if (l.v6 !== v6) continue;
      const hit = l.at.get(networkOf(ip, l.bits));
      if (hit !== undefined) into.push(hit);
    }
    return into;
  }
}
