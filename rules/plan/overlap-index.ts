// IPv4 prefixes sorted by their first address, asked which overlap a prefix: a fleet's subnets checked against each
// other in N log N, where asking every earlier host took 50 million comparisons at 5,000 hosts.
import type { Cidr4 } from '../addr/addr.js';

const last = (c: Cidr4) => c.addr + 2 ** (32 - c.bits) - 1;

export class OverlapIndex<T extends { cidr: Cidr4 }> {
  private readonly sorted: T[];
  /** The highest last address of any prefix up to each place: where a scan backwards can stop. */
  private readonly reach: number[];

  constructor(items: T[]) {
    this.sorted = [...items].sort((a, b) => a.cidr.addr - b.cidr.addr);
    let max = -1;
    this.reach = this.sorted.map((x) => (max = Math.max(max, last(x.cidr))));
  }

  /** Every prefix overlapping `c`, in no particular order. */
  overlapping(c: Cidr4): T[] {
    const end = last(c);
    // The first prefix starting after c ends: none from there on can overlap it.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid] as T).cidr.addr > end) hi = mid;
      else lo = mid + 1;
    }
    const out: T[] = [];
    for (let k = lo - 1; k >= 0 && (this.reach[k] as number) >= c.addr; k--) {
      const x = this.sorted[k] as T;
      if (last(x.cidr) >= c.addr) out.push(x);
    }
    return out;
  }
}
