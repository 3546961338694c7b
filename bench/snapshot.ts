// Bench: `netdiag snapshot` on a lab host, beside its floor (the same raw reads, replayed as netdiag schedules them with
// nothing else: bench/floor.ts) and beside the same reads typed by hand, one command after another.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, nodeFlags } from '../test/lab/lab.js';
import type { LabHost } from '../test/lab/lab.js';
import { median, timed } from './report.js';

/**
 * Every read `netdiag snapshot` makes, as an operator types it in a shell on the host: Docker's version, info, networks
 * and containers; the host's addresses, routes, policy rules and neighbours, its iptables (both families, and the other
 * backend's), nftables, listening sockets, the sysctls that decide forwarding and its resolv.conf; then in each
 * container's namespace its addresses, routes, rules and neighbours, the NAT table Docker's DNS uses, its listening
 * sockets (ss: the kernel lists only listening sockets for it, where netdiag's /proc read walks every socket of the
 * host; without -p, which would search every process of the host where netdiag reads one's), and its resolv.conf and
 * hosts files. A shell forks far more cheaply than Node, and its output goes to
 * /dev/null, cheaper than any terminal: the strictest honest alternative.
 *
 * Where netdiag gets a fact more cheaply than the command an operator types, the list keeps the command: sysctl for
 * the /proc/sys files netdiag reads, ss in each namespace for its /proc/PID/net tables, cat for the files, four ip
 * commands where netdiag sends one `ip -batch` per namespace. How netdiag starts its programs (from a small helper
 * process, host/exec-helper.ts) is netdiag's cost, not a fact: by hand, a shell starts them.
 */
const EVERY_READ = `
exec >/dev/null
docker version
docker info
docker network inspect $(docker network ls -q)
docker inspect --format '{{.NetworkSettings.SandboxKey}} {{.ResolvConfPath}} {{.HostsPath}}' $(docker ps -aq) > "$1"
ip -j -d addr show
ip -j route show table all
ip -j -4 rule show
ip -j -6 rule show
ip -j neigh show
iptables-save -c
ip6tables-save -c
iptables-legacy-save
nft -j list ruleset
ss -Htlunp
sysctl -e net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.conf.all.route_localnet net.ipv4.conf.all.arp_ignore net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding net.ipv6.conf.all.accept_ra net.ipv6.conf.all.disable_ipv6 net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_count
cat /etc/resolv.conf /etc/os-release
while read -r key resolv hosts; do
  nsenter --net="$key" ip -j -d addr show
  nsenter --net="$key" ip -j route show table all
  nsenter --net="$key" ip -j rule show
  nsenter --net="$key" ip -j neigh show
  nsenter --net="$key" iptables-save -c -t nat
  nsenter --net="$key" ss -Htlun
  cat "$resolv" "$hosts"
done < "$1"
`;

/**
 * The list this bench typed until issue 28: Docker's networks and containers, the host's addresses, routes and
 * iptables, each container's addresses and routes. It leaves out most of what netdiag reads (rules, neighbours,
 * IPv6 and the other backend's tables, nftables, sockets, sysctls, DNS, hosts files).
 */
const ADDRESSES_AND_ROUTES = `
exec >/dev/null
docker network inspect $(docker network ls -q)
docker inspect --format '{{.NetworkSettings.SandboxKey}}' $(docker ps -q) > "$1"
ip -j -d addr show
ip -j route show table all
iptables-save -c
while read -r key; do
  nsenter --net="$key" ip -j -d addr show
  nsenter --net="$key" ip -j route show table all
done < "$1"
`;

/** A script typed by hand on the lab host (its namespace, its dockerd); a command it cannot run fails the bench. */
function byHand(h: LabHost, script: string): () => Promise<void> {
  const list = join(mkdtempSync(join(tmpdir(), 'netdiag-bench-hand-')), 'containers');
  return async () => {
    const r = await h.exec('sh', ['-c', script, 'sh', list], 600_000);
    if (r.exitCode !== 0 || /not found|No such file|Cannot open|cannot open/i.test(r.stderr)) throw new Error(`by hand: exit ${r.exitCode}: ${r.stderr.slice(0, 300)}`);
  };
}

const ratioTo = (nd: number, alt: number) => `netdiag is ${(nd / alt).toFixed(2)}×`;

export interface SnapshotBenchOptions {
  /** An earlier build's netdiag.mjs, timed in the same alternation (before/after on the same machine state). */
  before?: string;
}

/** Rows for the snapshot report at this host's size: netdiag, its floor, and by hand (every read, and the old list). */
export async function benchSnapshot(h: LabHost, size: number, o: SnapshotBenchOptions = {}): Promise<[string, string, string][]> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-rec-'));
  const rec = join(dir, 'rec.json');
  const r = await h.netdiag(['snapshot', '--record', rec]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const containers = JSON.parse(r.stdout).docker.containers.length as number;
  const floor = async () => {
    const f = await h.exec(process.execPath, [...nodeFlags(), join(REPO, 'dist/bench/floor.js'), rec], 60_000);
    if (f.exitCode !== 0) throw new Error(`the floor failed: ${f.stderr.slice(0, 300)}`);
  };
  const every = byHand(h, EVERY_READ);
  const old = byHand(h, ADDRESSES_AND_ROUTES);
  // Once each first: caches warm (the page cache, dockerd's), and a script that cannot run fails before any timing.
  for (const warm of [floor, every, old]) await warm();
  // Alternated, so a busy moment of dockerd (or of the machine's other work) falls on every side alike.
  const runs = size >= 200 ? 3 : 7;
  const [nd, fl, hand, oldHand, prev]: [number[], number[], number[], number[], number[]] = [[], [], [], [], []];
  const before = o.before;
  // An earlier build may not finish every collector in time on a big host (main's sockets at 500 containers): its time
  // still counts, and how often it failed is printed beside it.
  let beforeFailed = 0;
  const snapshotBy = (bin: string) => async () => {
    const b = await h.exec(process.execPath, [...nodeFlags(), bin, 'snapshot'], 60_000);
    if (b.exitCode !== 0) beforeFailed++;
  };
  for (let i = 0; i < runs; i++) {
    if (before) prev.push(await timed(snapshotBy(before)));
    nd.push(await timed(() => h.netdiag(['snapshot'])));
    fl.push(await timed(floor));
    if (i % 2 === 0) hand.push(await timed(every));
    if (i % 2 === 0) oldHand.push(await timed(old));
  }
  const n = median(nd);
  const vsHand = n / median(hand);
  return [
    [`netdiag snapshot, ${size} containers`, `${n.toFixed(0)} ms`, `${containers} in the snapshot; min ${Math.min(...nd).toFixed(0)} / max ${Math.max(...nd).toFixed(0)} ms`],
    ['  the floor: its raw reads as netdiag schedules them, nothing else', `${median(fl).toFixed(0)} ms`, `${ratioTo(n, median(fl))} the floor`],
    ['  by hand: every read netdiag makes, one after another', `${median(hand).toFixed(0)} ms`, `${ratioTo(n, median(hand))} by hand (goal ≤ 1.0×${vsHand <= 1 ? '' : ', missed'})`],
    ['  by hand: addresses and routes only (the old list)', `${median(oldHand).toFixed(0)} ms`, `${ratioTo(n, median(oldHand))}; it leaves out rules, neighbours, IPv6, nftables, sockets, sysctls, DNS`],
    ...(before ? [[`  before: ${before}`, `${median(prev).toFixed(0)} ms`, `${(median(prev) / median(hand)).toFixed(2)}× by hand; now ${(n / median(prev)).toFixed(2)}× before${beforeFailed ? `; it exited non-zero (a collector past its deadline) ${beforeFailed} of ${prev.length + 1} times` : ''}`] as [string, string, string]] : []),
  ];
}
