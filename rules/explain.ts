// Why Docker put a rule there, in words: phrases for the chains and rules that decide most verdicts.
import type { Decision } from '../snapshot/contract.js';

/** A sentence on what Docker meant by the deciding rule, when netdiag recognises it. */
export function dockerMeaning(d: Decision): string | null {
  const text = d.text ?? '';
  if (d.kind === 'policy' && d.chain === 'FORWARD') {
    return 'Docker sets FORWARD\'s policy to DROP when it turns on ip_forward itself, so anything no rule accepts is dropped.';
  }
  if (d.kind !== 'rule') return null;
  if (d.chain === 'DOCKER-ISOLATION-STAGE-2' || d.chain === 'DOCKER-ISOLATION-STAGE-1') {
    if (/! -[sd] \S+ -[io] \S+ -j DROP/.test(text)) return 'This network is --internal: Docker drops everything between it and any other network or the outside.';
    return 'Docker isolates its bridge networks from each other: traffic leaving one Docker bridge for another is dropped in DOCKER-ISOLATION-STAGE-2.';
  }
  if (/-i (\S+) -o \1 -j DROP/.test(text)) return 'Inter-container communication is disabled on this network (com.docker.network.bridge.enable_icc=false): with br_netfilter, containers on the same bridge cannot talk.';
  if (d.table === 'raw' && d.chain === 'PREROUTING') return 'Docker 28+ drops packets addressed straight to a container from outside its bridge, in raw PREROUTING, before DOCKER-USER is consulted.';
  if (d.chain === 'DOCKER' && /! -i (\S+) -o \1 -j DROP/.test(text)) return 'Docker 28+ drops traffic into a bridge network unless it is for a published port.';
  if (d.chain === 'DOCKER-USER') return 'A rule in DOCKER-USER, the chain Docker leaves to administrators.';
  if (d.chain === 'DOCKER' && /^-A DOCKER -s \S+ -d \S+ -i (\S+) -o \1 -p \w+ -m \w+ --[ds]port \d+ -j ACCEPT$/.test(text)) {
    return 'Docker wrote this for --link: with inter-container communication off, a link opens exactly the linked container\'s exposed port, one way.';
  }
  return null;
}

export function describeDecision(d: Decision): string {
  const where = d.direction === 'reply' ? ' (on the reply)' : '';
  switch (d.kind) {
    case 'rule':
      return `${d.host}: ${d.table} ${d.chain} rule ${d.index}${where}${d.packets !== undefined ? ` — ${d.packets} packet${d.packets === 1 ? '' : 's'} matched so far` : ''}`;
    case 'policy':
      return `${d.host}: ${d.table} ${d.chain} policy${where}`;
    default:
      return `${d.host}: ${d.reason}${where}`;
  }
}
