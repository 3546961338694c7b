// One line per step of a hop, for people (the terminal; the map page says the same): what the kernel did there, with the rules it walked.
import type { Hop, Step } from '../snapshot/contract.js';

/** One step as a line: what the kernel did there, from the step's typed fields. */
export function stepLine(s: Step): string {
  switch (s.type) {
    case 'route': {
      if (s.result === 'none') return `no route to ${s.dst}${s.rule ? ` (rule ${s.rule.priority}: ${s.rule.text})` : ''}`;
      // The policy rule that chose, when the namespace has rules of its own; a rule's own action has no route.
      const by = s.rule ? ` (rule ${s.rule.priority}: ${s.rule.text})` : '';
      const what = s.route ?? (s.rule ? `${s.result} to ${s.dst}` : '?');
      return `route${by}${by ? ':' : ''} ${what}${s.table && s.table !== 'main' ? ` (table ${s.table})` : ''}${s.result === 'local' ? ' → local' : ''}`;
    }
    case 'bridge':
      if (s.result === 'no-neighbour') return `bridge ${s.bridge}: no neighbour answers for ${s.to}`;
      return `bridge ${s.bridge}: ${s.from} → ${s.to}${s.result === 'bridged' ? (s.brNetfilter ? ' (bridged, br_netfilter on: iptables sees it)' : ' (bridged)') : ''}`;
    case 'chain': {
      const io = [s.in ? `in ${s.in}` : '', s.out ? `out ${s.out}` : ''].filter(Boolean).join(' ');
      const walk = s.path.map((r) => `${r.chain} #${r.index}`).join(' → ');
      const end = s.decidedBy ? s.verdict : `policy ${s.policy ?? 'ACCEPT'}`;
      return `${s.table} ${s.chain}${io ? ` (${io})` : ''}: ${walk ? `${walk} → ` : ''}${end}`;
    }
    case 'nat':
      return `${s.kind} ${s.from} → ${s.to}`;
    case 'sysctl':
      return `${s.key} = ${s.value}: not forwarded`;
    case 'deliver':
      return `delivered to ${s.to} (${s.address})`;
    case 'proxy':
      return `docker-proxy on ${s.listen} opens a connection to ${s.to}`;
    case 'leave':
      return `leaves on ${s.iface} towards ${s.nextHop}`;
    case 'socket':
      if (s.result === 'listening') return `${s.port}/${s.proto}: ${s.socket} listens${s.process ? ` (${s.process})` : ''}`;
      if (s.result === 'not-collected') return `${s.port}/${s.proto}: what listens here was not collected`;
      return `${s.port}/${s.proto}: nothing takes it${s.proto === 'tcp' ? ' (connection refused)' : ' (ICMP port unreachable)'}${s.listening.length ? `; listening: ${s.listening.join(', ')}` : ''}`;
    case 'note':
      return s.text;
    case 'vxlan':
      return s.op === 'encapsulate'
        ? `VXLAN: ${s.inner} on ${s.network}${s.vni !== null ? ` (VNI ${s.vni})` : ''} wrapped in udp ${s.outer.src ? `${s.outer.src} → ` : 'to '}${s.outer.dst}:${s.outer.port}`
        : `VXLAN: unwrapped from udp ${s.outer.src ? `${s.outer.src} → ` : 'to '}${s.outer.dst}:${s.outer.port} into ${s.network}`;
    default:
      // A kind of step this renderer does not know yet (an older page reading a newer agent) still shows its action.
      return `${(s as Step).type}: ${(s as Step).action}`;
  }
}

export function traceLines(hops: Hop[], indent: string): string[] {
  return hops.flatMap((h) => h.steps.map((s) => `${indent}${h.node}: ${stepLine(s)}`));
}
