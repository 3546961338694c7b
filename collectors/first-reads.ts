// The host's own programs a whole-host collection always runs, whatever Docker answers: startable before it loads.
// Data only (no zod, no parsers): `netdiag snapshot` starts these while the collectors load (cli/commands/snapshot.ts).
// A unit test replays a whole collection and checks that the collectors ask each of these, with these arguments.

/** [program, arguments] as the links, routes, firewall, nftables and sockets collectors run them on the host. */
export const FIRST_READS: readonly (readonly [string, readonly string[]])[] = [
  ['ip', ['-j', '-d', 'addr', 'show']],
  ['ip', ['-j', '-4', 'route', 'show', 'table', 'all']],
  ['ip', ['-j', '-4', 'rule', 'show']],
  ['ip', ['-j', '-6', 'route', 'show', 'table', 'all']],
  ['ip', ['-j', '-6', 'rule', 'show']],
  ['ip', ['-j', 'neigh', 'show']],
  ['iptables-save', ['-c']],
  ['ip6tables-save', ['-c']],
  ['nft', ['-j', 'list', 'ruleset']],
  ['ss', ['-Htlunp']],
];
