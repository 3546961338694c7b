// Each step's inverse, and a change's rollback as commands: pure, so a fix shows how it is undone before it is applied.
import type { PlanStep } from '../../snapshot/contract.js';
import { stepCommand } from './command.js';

/**
 * The step that undoes `step`. A sysctl's inverse needs the value it had (`before`); without it (a step begun but
 * never recorded done) there is nothing safe to restore, and the inverse is null.
 */
export function inverseOf(step: PlanStep, before: string | null = null, handle: number | null = null): PlanStep | null {
  switch (step.kind) {
    case 'iptables-insert':
      return { kind: 'iptables-delete', host: step.host, table: step.table, chain: step.chain, rule: step.rule, position: step.position ?? 1, ...v6(step) };
    case 'iptables-delete':
      return { kind: 'iptables-insert', host: step.host, table: step.table, chain: step.chain, rule: step.rule, position: step.position, ...v6(step) };
    case 'sysctl':
      return before === null ? null : { ...step, value: before };
    case 'docker-network-connect':
      return { ...step, kind: 'docker-network-disconnect' };
    case 'docker-network-disconnect':
      return { ...step, kind: 'docker-network-connect' };
    case 'ip-route-add':
      return { ...step, kind: 'ip-route-del' };
    case 'ip-route-del':
      return { ...step, kind: 'ip-route-add' };
    case 'nft-insert':
      // The handle the kernel gave the rule; after a crash before it was journaled, the rule with these very statements.
      return { kind: 'nft-delete', host: step.host, family: step.family, table: step.table, chain: step.chain, handle, index: step.index ?? 0, rule: step.rule };
    case 'nft-delete':
      return { kind: 'nft-insert', host: step.host, family: step.family, table: step.table, chain: step.chain, index: step.index, rule: step.rule, create: null };
    case 'ip-link-add':
      return { ...step, kind: 'ip-link-del' };
    case 'ip-link-del':
      return { ...step, kind: 'ip-link-add' };
    case 'ip-link-set':
      return { ...step, up: !step.up };
    case 'ip-addr-add':
      return { ...step, kind: 'ip-addr-del' };
    case 'ip-addr-del':
      return { ...step, kind: 'ip-addr-add' };
    case 'ip-link-route-add':
      return { ...step, kind: 'ip-link-route-del' };
    case 'ip-link-route-del':
      return { ...step, kind: 'ip-link-route-add' };
    case 'docker-daemon-config':
      return null;
  }
}

/** The IPv6 flag carried from a step to its inverse (absent for IPv4, as in journals written before IPv6). */
const v6 = (s: { ip6tables?: boolean | undefined }) => (s.ip6tables ? { ip6tables: true } : {});

/**
 * The commands that undo `steps`, last step first. A sysctl is put back to the value the snapshot holds (`before`); an
 * nft rule is deleted by the handle the kernel gives it when applied, unknown until then, so by its statements.
 */
export function rollbackCommands(steps: readonly PlanStep[], before: (s: Extract<PlanStep, { kind: 'sysctl' }>) => string | null): string[] {
  return [...steps].reverse().map((s) => {
    const inverse = inverseOf(s, s.kind === 'sysctl' ? before(s) : null);
    if (inverse) return stepCommand(inverse);
    // Nothing netdiag can undo by a command: say what a person must do instead, never a guessed command.
    return s.kind === 'sysctl' ? `sysctl -w ${s.key}=<the value it had before: not in the snapshot>` : `undo by hand: ${stepCommand(s)}`;
  });
}
