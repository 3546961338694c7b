// Reads one of swarm's own network namespaces (an overlay's 1-<id>, ingress_sbox, lb_<id>) through nsenter.
import type { CollectContext } from './collector.js';
import { CommandError, firstLine } from '../host/exec.js';
import { parseBridgeFdb } from './bridge-fdb.js';
import { parseIpAddr, parseIpNeighbours, parseIpRoutes } from './iproute-json.js';
import { parseIptablesSave } from './iptables-save.js';
import { parseNftJson } from './nft-json.js';
import { parseProcNetIpVs } from './ip-vs.js';
import { inNamespace } from './first-reads.js';
import type { SwarmNamespace } from '../snapshot/host-snapshot.js';

// Links come from `link show` (with -4, `addr show` lists only links holding an IPv4 address: vxlan0 and the veths
// hold none), addresses from `addr show`; routes pinned to IPv4, since the JSON does not say a route's family.
// Overlay namespaces carry no IPv6 of Docker's unless the network was made --ipv6; those routes are not read here.
export const SWARM_NS_BATCH = 'link show\naddr show\nroute show table all\nneigh show\n';
export const SWARM_NS_IP_ARGS = ['-j', '-d', '-4', '-batch', '-'];

/** The /proc files read inside the namespace with one grep: each line comes back prefixed with its file's name. */
const IPVS = '/proc/net/ip_vs';
const SYSCTLS = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.all.rp_filter'];
const sysctlPath = (key: string) => `/proc/sys/${key.replaceAll('.', '/')}`;
export const SWARM_NS_PROC_ARGS = ['-H', '-s', '', IPVS, ...SYSCTLS.map(sysctlPath)];

/** `grep -H '' files…` split back into each file's text; a file absent here (no IPVS, no br_netfilter) is missing. */
export function splitGrepH(text: string, files: readonly string[]): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const file = files.find((f) => line.startsWith(`${f}:`));
    if (file === undefined) continue;
    const lines = out.get(file) ?? [];
    lines.push(line.slice(file.length + 1));
    out.set(file, lines);
  }
  return new Map([...out].map(([f, l]) => [f, `${l.join('\n')}\n`]));
}

/** /proc/net/ip_vs and the sysctls from one grep's output. */
export function procReadings(text: string): { ipvs: SwarmNamespace['ipvs']; sysctls: SwarmNamespace['sysctls'] } {
  const files = splitGrepH(text, SWARM_NS_PROC_ARGS.slice(3));
  const ipvs = files.get(IPVS);
  return { ipvs: ipvs === undefined ? null : parseProcNetIpVs(ipvs), sysctls: Object.fromEntries(SYSCTLS.map((k) => [k, files.get(sysctlPath(k))?.trim() ?? null])) };
}

/** The four JSON lists of the ip batch, links given their addresses. */
export function parseNamespaceIp(stdout: string): Pick<SwarmNamespace, 'interfaces' | 'routes' | 'neighbours'> {
  const [links, addrs, routes, neigh] = stdout.split('\n').filter((l) => l.trim().length > 0);
  if (links === undefined || addrs === undefined || routes === undefined || neigh === undefined) throw new Error(`ip ${SWARM_NS_IP_ARGS.join(' ')} printed ${JSON.stringify(stdout.slice(0, 40))}, not four JSON lists`);
  const byIndex = new Map((JSON.parse(addrs) as { ifindex: number; addr_info?: unknown[] }[]).map((a) => [a.ifindex, a.addr_info ?? []]));
  const merged = (JSON.parse(links) as { ifindex: number; addr_info?: unknown[] }[]).map((l) => ({ ...l, addr_info: byIndex.get(l.ifindex) ?? [] }));
  return { interfaces: parseIpAddr(JSON.stringify(merged)), routes: parseIpRoutes(routes, 'inet'), neighbours: parseIpNeighbours(neigh) };
}

export interface NamespaceFile {
  name: string;
  path: string;
  role: SwarmNamespace['role'];
  networkId: string | null;
}

type Problem = { subject: string; message: string; hint: string };

/** Runs `file args` inside the namespace; a tool missing here resolves to null (the part is then not read). */
async function inNs(ctx: CollectContext, path: string, file: string, args: readonly string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number } | null> {
  try {
    const read = inNamespace(path, file, args, input);
    return await ctx.exec(read.file, read.args, { timeoutMs: ctx.timeoutMs, ...(read.input === undefined ? {} : { input: read.input }) });
  } catch (error) {
    if (error instanceof CommandError && error.code === 'missing') return null;
    throw error;
  }
}

/**
 * One namespace: iproute2's view in one batch, then fdb, iptables, nft and the /proc files, each failing alone. A
 * namespace whose links cannot be read is reported and left out (nothing in it could be trusted to be complete).
 */
export async function readSwarmNamespace(ctx: CollectContext, ns: NamespaceFile, problems: Problem[]): Promise<SwarmNamespace | null> {
  const fail = (what: string, why: string, hint = 'run netdiag as root so it can enter swarm\'s namespaces (nsenter)') => problems.push({ subject: ns.name, message: `${what} in swarm namespace ${ns.name}: ${why}`, hint });
  type Ran = Awaited<ReturnType<typeof inNs>> | { error: unknown };
  const guarded = (p: ReturnType<typeof inNs>): Promise<Ran> => p.catch((error: unknown) => ({ error }));
  const [ip, fdb, save, nft, proc] = await Promise.all([
    guarded(inNs(ctx, ns.path, 'ip', SWARM_NS_IP_ARGS, SWARM_NS_BATCH)),
    guarded(inNs(ctx, ns.path, 'bridge', ['-j', 'fdb', 'show'])),
    guarded(inNs(ctx, ns.path, 'iptables-save', ['-c'])),
    guarded(inNs(ctx, ns.path, 'nft', ['-j', 'list', 'ruleset'])),
    guarded(inNs(ctx, ns.path, 'grep', SWARM_NS_PROC_ARGS)),
  ]);
  const ok = (r: Ran, what: string): string | null => {
    if (r === null) return null;
    if ('error' in r) {
      fail(what, (r.error as Error).message);
      return null;
    }
    if (r.exitCode !== 0) {
      fail(what, firstLine(r.stderr) || `exit code ${r.exitCode}`);
      return null;
    }
    return r.stdout;
  };
  const ipOut = ok(ip, 'ip');
  if (ipOut === null) {
    if (ip === null) fail('ip', 'ip not found', 'install iproute2');
    return null;
  }
  const out: SwarmNamespace = { name: ns.name, path: ns.path, role: ns.role, networkId: ns.networkId, ...parseNamespaceIp(ipOut), fdb: [], firewall: null, nft: null, ipvs: null, sysctls: {} };
  const parse = <T>(text: string | null, what: string, fn: (t: string) => T): T | null => {
    if (text === null) return null;
    try {
      return fn(text);
    } catch (error) {
      fail(what, (error as Error).message, 'the tool printed output netdiag cannot read; run it by hand and report the output');
      return null;
    }
  };
  out.fdb = parse(ok(fdb, 'bridge fdb'), 'bridge fdb', parseBridgeFdb) ?? [];
  out.firewall = parse(ok(save, 'iptables-save'), 'iptables-save', (t) => parseIptablesSave(t).tables);
  // nft missing (null) or failing: native tables are not read here; iptables-nft's are in iptables-save's dump.
  out.nft = nft !== null && !('error' in nft) && nft.exitCode === 0 ? parse(nft.stdout, 'nft', parseNftJson) : null;
  // grep exits 2 when a file is absent (no IPVS in this kernel) yet prints the others: its output is what counts.
  if (proc !== null && !('error' in proc)) {
    const r = parse(proc.stdout, '/proc files', procReadings);
    if (r) Object.assign(out, r);
  } else if (proc !== null) fail('/proc files', (proc.error as Error).message);
  return out;
}
