// Collector: what Docker's embedded DNS is made of — in each container's namespace the NAT rules that send
// 127.0.0.11:53 to dockerd's resolver socket (iptables on 20.10–28, `ip docker-dns` on 29's nftables backend) and the
// resolv.conf Docker wrote; on the host the resolv.conf files dockerd takes its upstream servers from.
import type { Collector, CollectContext, Sandbox } from './collector.js';
import { mapLimit } from './collector.js';
import { inSandbox, inspectedSandboxes, sandboxProblem } from './sandboxes.js';
import { CommandError, firstLine } from '../host/exec.js';
import { parseIptablesSave, ruleCount } from './iptables-save.js';
import { parseNftJson } from './nft-json.js';
import { parseResolvConf } from './resolv-conf.js';
import type { DnsPart, NftablesPart, ResolvConf, SandboxDns } from '../snapshot/host-snapshot.js';
import { SANDBOX_DNS_NAT, inNamespace } from './first-reads.js';

/** The host's file, and systemd-resolved's list of real upstreams (dockerd reads it when the first names only its stub). */
export const HOST_RESOLV_CONF = '/etc/resolv.conf';
export const SYSTEMD_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';
/** The table Docker 29 writes in each container's namespace when its firewall backend is nftables (moby resolver_unix.go). */
const NFT_DNS_TABLE = ['ip', 'docker-dns'];
/** The address Docker's resolver listens at inside containers (moby's resolver.go), as its resolv.conf names it. */
const EMBEDDED_NAMESERVER = '127.0.0.11';

async function readResolvConf(ctx: CollectContext, path: string): Promise<ResolvConf | null> {
  const text = await ctx.readFile(path);
  return text === null ? null : parseResolvConf(path, text);
}

/** The tool is not installed (nsenter could not execute it: exit 127). */
class ToolMissingError extends Error {
  override name = 'ToolMissingError';
}

/** A command's output inside a sandbox; a tool not installed is ToolMissingError, any other failure the tool's own words. */
async function outputInSandbox(ctx: CollectContext, sb: Sandbox, file: string, args: readonly string[]): Promise<string> {
  const r = await inSandbox(ctx, sb, file, args);
  if (r.exitCode === 127) throw new ToolMissingError(`${file} is not installed`);
  if (r.exitCode !== 0) throw new Error(`${file}: ${firstLine(r.stderr) || `exit code ${r.exitCode}`}`);
  return r.stdout;
}

/** Docker 29's nftables table, read only where the iptables nat table is empty and the resolver is in use: no cost elsewhere. */
async function nftDnsTable(ctx: CollectContext, sb: Sandbox): Promise<NftablesPart | null> {
  try {
    const read = inNamespace(sb.sandboxKey, 'nft', ['-j', 'list', 'table', ...NFT_DNS_TABLE]);
    const r = await ctx.exec(read.file, read.args, { timeoutMs: ctx.timeoutMs });
    // No such table: this daemon writes its resolver's NAT with iptables (or not at all).
    return r.exitCode === 0 ? parseNftJson(r.stdout) : null;
  } catch (error) {
    if (error instanceof CommandError && error.code === 'missing') return null;
    throw error;
  }
}

// One nsenter per container (iptables-save of one table is cheap); bounded like the other sandbox reads.
const DNS_READS_IN_FLIGHT = 32;

export const dnsCollector: Collector<'dns'> = {
  name: 'dns',
  async collect(ctx) {
    const errors: { subject?: string; message: string; hint: string }[] = [];
    const [resolvConf, systemdResolvConf] = await Promise.all([readResolvConf(ctx, HOST_RESOLV_CONF), readResolvConf(ctx, SYSTEMD_RESOLV_CONF)]);
    const sandboxes: SandboxDns[] = [];
    // The inspection ownSandboxes already parsed: each container's is parsed once, not again here.
    // A question reads only the namespaces its names are resolved in (A's, and B's for the reverse question a fix is
    // checked with): one process per container on the pair's networks is what made `why --json` slow.
    const only = (await ctx.namesWalkedIn?.()) ?? null;
    const entered = (await ctx.namespacesEntered?.()) ?? null;
    const read = (await inspectedSandboxes(ctx)).filter((x) => (only === null || only.has(x.sandbox.containerId)) && (entered === null || entered.has(x.sandbox.containerId)));
    await mapLimit(read, DNS_READS_IN_FLIGHT, async ({ sandbox: sb, inspect: data }) => {
      const dnsServers = data.HostConfig.Dns;
      // Docker's ResolvConfPath is the file bind-mounted as the container's /etc/resolv.conf; through /proc otherwise.
      const path = data.ResolvConfPath || (data.State.Pid ? `/proc/${data.State.Pid}/root/etc/resolv.conf` : null);
      const rc = path ? await readResolvConf(ctx, path) : null;
      const entry: SandboxDns = { containerId: sb.containerId, resolvConf: rc, dnsServers, nat: null, nft: null };
      try {
        // A Docker 29 host on nftables alone may have no iptables at all: its resolver NAT is then nft's to tell.
        const nat = await outputInSandbox(ctx, sb, 'iptables-save', SANDBOX_DNS_NAT).then((text) => parseIptablesSave(text).tables, (error: unknown) => {
          if (error instanceof ToolMissingError) return null;
          throw error;
        });
        entry.nat = nat;
        const usesResolver = rc?.nameservers.includes(EMBEDDED_NAMESERVER) ?? false;
        if (ruleCount(nat ?? []) === 0 && usesResolver) entry.nft = await nftDnsTable(ctx, sb);
        if (nat === null && entry.nft === null && usesResolver) errors.push({ subject: sb.name, message: `neither iptables-save nor nft could read ${sb.name}'s resolver NAT`, hint: 'install iptables or nftables' });
      } catch (error) {
        errors.push(sandboxProblem(sb, error));
      }
      sandboxes.push(entry);
    });
    sandboxes.sort((a, b) => (a.containerId < b.containerId ? -1 : a.containerId > b.containerId ? 1 : 0));
    const data: DnsPart = { host: { resolvConf, systemdResolvConf }, sandboxes };
    return { data, errors };
  },
};
