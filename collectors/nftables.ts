// Collector: the nftables rule set as data (`nft -j list ruleset`): native tables of every family — Docker 29's
// docker-bridges, firewalld's inet firewalld, an operator's own — beside iptables-nft's, which are read from iptables-save.
import type { Collector } from './collector.js';
import { CollectorError, NoDataError } from './collector.js';
import { CommandError, firstLine } from '../host/exec.js';
import { parseNftJson } from './nft-json.js';
import { NFT_RULESET } from './first-reads.js';

export const nftablesCollector: Collector<'nftables'> = {
  name: 'nftables',
  async collect(ctx) {
    let r;
    try {
      r = await ctx.exec('nft', NFT_RULESET, { timeoutMs: ctx.timeoutMs });
    } catch (error) {
      if (error instanceof CommandError && error.code === 'missing') throw new NoDataError('nft is not installed: native nftables tables are not read', 'apt-get install nftables (iptables-nft rules are still read through iptables-save)');
      throw error;
    }
    if (r.exitCode !== 0) {
      if (/Operation not permitted|Permission denied/i.test(r.stderr)) throw new CollectorError('nft: permission denied', 'run netdiag as root: reading nftables needs CAP_NET_ADMIN');
      throw new CollectorError(`nft -j list ruleset failed: ${firstLine(r.stderr)}`, 'check that nft works here (nft list ruleset)');
    }
    return { data: parseNftJson(r.stdout), errors: [] };
  },
};
