// Typed steps that change a host, shared by fixes and cross-host plans; each knows how to be undone.
import { z } from 'zod';

export const PlanStep = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('docker-network-connect'), host: z.string(), network: z.string(), networkId: z.string(), container: z.string(), containerName: z.string() }),
  /** Insert a rule at the top of a chain (as `iptables -I`); `rule` is the argument list after the chain name. */
  z.object({ kind: z.literal('iptables-insert'), host: z.string(), table: z.string(), chain: z.string(), rule: z.array(z.string()).min(1) }),
  /** Delete one rule (as `iptables -D`), remembering its position so undoing puts it back where it was. */
  z.object({ kind: z.literal('iptables-delete'), host: z.string(), table: z.string(), chain: z.string(), rule: z.array(z.string()).min(1), position: z.number().int().positive() }),
  z.object({ kind: z.literal('sysctl'), host: z.string(), key: z.string().regex(/^[a-z0-9_.-]+$/), value: z.string().regex(/^[0-9]+$/) }),
  z.object({ kind: z.literal('ip-route-add'), host: z.string(), dst: z.string(), via: z.string(), dev: z.string().nullable() }),
]);
export type PlanStep = z.infer<typeof PlanStep>;

/** The command a person would type for a step (shown, never executed as a string). */
export function stepCommand(s: PlanStep): string {
  switch (s.kind) {
    case 'docker-network-connect':
      return `docker network connect ${s.network} ${s.containerName}`;
    case 'iptables-insert':
      return `iptables -w${s.table === 'filter' ? '' : ` -t ${s.table}`} -I ${s.chain} ${s.rule.map(quote).join(' ')}`;
    case 'iptables-delete':
      return `iptables -w${s.table === 'filter' ? '' : ` -t ${s.table}`} -D ${s.chain} ${s.rule.map(quote).join(' ')}`;
    case 'sysctl':
      return `sysctl -w ${s.key}=${s.value}`;
    case 'ip-route-add':
      return `ip route add ${s.dst} via ${s.via}${s.dev ? ` dev ${s.dev}` : ''}`;
  }
}

function quote(w: string): string {
  return /^[\w./:,=+-]+$/.test(w) ? w : `"${w.replace(/(["\\$`])/g, '\\$1')}"`;
}
