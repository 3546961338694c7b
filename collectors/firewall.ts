// Collector: the iptables rule set (filter, nat, raw, mangle) with counters, its backend, and rules left in the other backend.
import type { Collector, CollectContext } from './collector.js';
import { CollectorError } from './collector.js';
import { CommandError, firstLine } from '../host/exec.js';
import { parseIptablesSave, ruleCount } from './iptables-save.js';
import { IP6TABLES_SAVE, IPTABLES_SAVE } from './first-reads.js';
import type { FirewallFinding, FirewallPart } from '../snapshot/host-snapshot.js';

function saveFailed(tool: string, stderr: string, exitCode: number): CollectorError {
  const why = firstLine(stderr) || `exit code ${exitCode}`;
  if (/permission denied|must be root/i.test(stderr)) {
    return new CollectorError(`${tool}: permission denied`, 'run netdiag as root: reading the firewall needs CAP_NET_ADMIN');
  }
  return new CollectorError(`${tool} failed: ${why}`, `check that ${tool} works here (${tool} -c)`);
}

/** Rules held by the other iptables backend: a host where some tool wrote to iptables-legacy and Docker to iptables-nft. */
async function otherBackendRules(ctx: CollectContext, other: 'nf_tables' | 'legacy'): Promise<number | null> {
  const tool = other === 'legacy' ? 'iptables-legacy-save' : 'iptables-nft-save';
  try {
    const r = await ctx.exec(tool, [], { timeoutMs: ctx.timeoutMs });
    if (r.exitCode !== 0) return null;
    return ruleCount(parseIptablesSave(r.stdout).tables);
  } catch (error) {
    if (error instanceof CommandError && error.code === 'missing') return null;
    throw error;
  }
}

/** The IPv6 tables (ip6tables-save), or null with the reason recorded: a kernel without IPv6 has none to read. */
async function ip6tables(ctx: CollectContext, errors: { subject?: string; message: string; hint: string }[]): Promise<FirewallPart['tables6']> {
  try {
    const r = await ctx.exec('ip6tables-save', IP6TABLES_SAVE, { timeoutMs: ctx.timeoutMs });
    if (r.exitCode !== 0) {
      errors.push({ subject: 'ip6tables', message: `ip6tables-save failed: ${firstLine(r.stderr) || `exit code ${r.exitCode}`}`, hint: 'IPv6 verdicts are unknown; run as root, on a kernel with IPv6' });
      return null;
    }
    return parseIptablesSave(r.stdout).tables;
  } catch (error) {
    if (error instanceof CommandError) {
      errors.push({ subject: 'ip6tables', message: error.message, hint: error.hint });
      return null;
    }
    throw error;
  }
}

export const firewallCollector: Collector<'firewall'> = {
  name: 'firewall',
  async collect(ctx) {
    const save = await ctx.exec('iptables-save', IPTABLES_SAVE, { timeoutMs: ctx.timeoutMs });
    if (save.exitCode !== 0) throw saveFailed('iptables-save', save.stderr, save.exitCode);
    let dump;
    try {
      dump = parseIptablesSave(save.stdout);
    } catch (error) {
      throw new CollectorError(`iptables-save printed something netdiag cannot read: ${(error as Error).message}`, 'run `iptables-save -c` by hand and report its output');
    }
    // The dump's header names the backend; only an empty rule set (no header) needs to ask iptables itself.
    const versionOut = dump.backend ? null : await ctx.exec('iptables', ['-V'], { timeoutMs: ctx.timeoutMs }).catch(() => null);
    const v = versionOut ? /iptables v([\d.]+)(?: \((nf_tables|legacy)\))?/.exec(versionOut.stdout) : null;
    const backend: FirewallPart['backend'] = dump.backend ?? (v ? (v[2] === 'nf_tables' ? 'nf_tables' : 'legacy') : 'unknown');
    const findings: FirewallFinding[] = [];
    const errors: { subject?: string; message: string; hint: string }[] = [];
    let otherBackend: FirewallPart['otherBackend'] = null;
    if (backend !== 'unknown') {
      const other = backend === 'nf_tables' ? 'legacy' : 'nf_tables';
      // A question leaves it out (ctx.otherBackend false): a process on the collection's critical path, read by no walk.
      if (ctx.otherBackend !== false) {
        try {
          const rules = await otherBackendRules(ctx, other);
          if (rules !== null) otherBackend = { backend: other, rules };
        } catch (error) {
          errors.push({ subject: 'other backend', message: `could not read the ${other} backend: ${(error as Error).message}`, hint: 'run as root' });
        }
      }
      const warned = /iptables-legacy tables present/.test(save.stderr);
      if ((otherBackend && otherBackend.rules > 0) || warned) {
        findings.push({
          code: 'iptables-split-backends',
          severity: 'warning',
          message: `rules exist in both iptables backends: ${backend} (in use by \`iptables\`) and ${other}${otherBackend ? ` (${otherBackend.rules} rules)` : ''}; the kernel applies both, and tools see only one`,
        });
      }
    }
    const tables6 = (await (ctx.needsIpv6?.() ?? true)) ? await ip6tables(ctx, errors) : null;
    const data: FirewallPart = { backend, version: dump.version ?? v?.[1] ?? null, tables: dump.tables, otherBackend, findings, tables6 };
    return { data, errors };
  },
};
