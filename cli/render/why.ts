// Human output of `why`: the verdict first, then per address the deciding rule, the path, and what to do next.
import type { WhyAnswer } from '../../rules/why/why.js';
import { describeDecision, dockerMeaning } from '../../present/decision-text.js';
import { flowText } from '../../rules/query/flow.js';
import type { Style } from './style.js';
import { traceLines } from '../../present/trace-text.js';

export function renderWhy(a: WhyAnswer, st: Style, fixHint = true): string[] {
  const lines: string[] = [];
  lines.push(`${st.bold(`${a.from.name} → ${a.to.name}`)} (${flowText(a.flow)}): ${st.verdict(a.verdict)}`);
  // Families that disagree are the answer people get wrong (IPv4 isolated, IPv6 wide open): said before any detail.
  if (a.summary) lines.push(`  ${a.summary}`);
  for (const [who, ns] of [[a.from.name, a.from.namespace], [a.to.name, a.to.namespace]] as const) {
    if (ns && ns !== 'its own' && ns !== "the host's") lines.push(`  ${who} uses ${ns} network namespace`);
  }
  for (const x of a.addresses) {
    lines.push('');
    lines.push(`  ${x.ip}${x.network ? ` on ${x.network}` : ''}: ${st.verdict(x.verdict)}${x.deliveredTo && x.verdict === 'reachable' ? ` — delivered to ${x.deliveredTo}` : ''}`);
    const d = x.decidedBy;
    if (d) {
      lines.push(`    ${x.verdict === 'reachable' ? 'let through by' : 'decided by'} ${describeDecision(d)}`);
      // Rules and policies are cited by position, then shown; every other decision is its own sentence, said once.
      if ('text' in d && d.text) lines.push(`      ${d.text}`);
      const meaning = dockerMeaning(d);
      if (meaning && x.verdict !== 'reachable') lines.push(`      ${st.dim(meaning)}`);
    }
    if (x.request.length > 0) {
      lines.push(`    request:`);
      lines.push(...traceLines(x.request, '      '));
    }
    if (x.reply.length > 0) {
      lines.push(`    reply:`);
      lines.push(...traceLines(x.reply, '      '));
    }
  }
  lines.push('');
  lines.push(`  name: ${a.dns.note}`);
  // Resolution is a path of its own: asked about 127.0.0.11, every step; about a name, the way to Docker's resolver and
  // a resolv.conf that does not lead there (who answers is the note itself).
  const asked = a.to.kind === 'address' && a.dns.resolver !== null;
  for (const step of a.dns.steps) {
    if (!asked && step.kind !== 'resolver' && !(step.kind === 'resolv-conf' && step.verdict !== 'reachable')) continue;
    lines.push(`    ${step.kind}: ${step.verdict === 'reachable' ? '' : `${st.verdict(step.verdict)}: `}${step.text}`);
  }
  const networkBlocked = a.addresses.some((x) => x.verdict === 'blocked' && x.decidedBy?.kind !== 'socket');
  // Docker's resolver asked for: what to do is in its name: line (a user-defined network, or its rules restored).
  if (asked && a.verdict === 'blocked') return lines;
  if (fixHint && a.verdict === 'blocked' && networkBlocked) lines.push(`  next: netdiag fix ${a.from.name} ${a.to.name}${a.flow.port ? ` --port ${a.flow.port}/${a.flow.proto}` : ''}`);
  else if (a.verdict === 'blocked') lines.push('  next: the network delivers it; start the service there, or bind it to an address the others reach');
  return lines;
}
