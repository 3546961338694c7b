// Human output of `why`: the verdict first, then per address the deciding rule, the path, and what to do next.
import type { WhyAnswer } from '../../rules/why/why.js';
import { describeDecision, dockerMeaning, shadowLine } from '../../present/decision-text.js';
import { flowText } from '../../rules/query/flow.js';
import type { Style } from './style.js';
import { reachableButNameFails } from '../../rules/why/asked.js';
import { shellQuote } from '../../rules/steps/command.js';
import type { FixAdvice } from '../../rules/changes/fixes.js';
import { traceLines } from '../../present/trace-text.js';

/**
 * `next`: what fixing it comes to (computed by the caller, who knows whether fixes were asked for); without it, no
 * next step is said.
 */
export function renderWhy(a: WhyAnswer, st: Style, next: FixAdvice | null = null, typed: { from: string; to: string } | null = null): string[] {
  const lines: string[] = [];
  // Reachable at its address while `docker exec A ping B` fails for the name: said in the verdict line, not buried.
  const nameFails = reachableButNameFails(a);
  lines.push(`${st.bold(`${a.from.name} → ${a.to.name}`)} (${flowText(a.flow)}): ${st.verdict(a.verdict)}${nameFails ? ` by address only — the name ${a.dns.name} does not resolve from ${a.from.name}` : ''}`);
  // Docker's own rules gone (wiped after it started): no rule of the walk says so, and it is what to fix first.
  if (a.dockerRules) lines.push(`  Docker's rules for ${a.dockerRules.networks.map((n) => `${n.name} (${n.missing.join(', ')})`).join(' and ')} are missing on ${a.dockerRules.host}: see doctor's ${a.dockerRules.code}`);
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
      // The address lands elsewhere: the drop the trace shows first is named as what it is, not as the cause.
      if (d.kind === 'elsewhere' && d.firstDrop) lines.push(`      first drop on the way: ${d.firstDrop.host}: ${d.firstDrop.reason}`);
      // A Docker network colliding with a LAN/VPN prefix: which route shadows which, said on its own line.
      const shadow = shadowLine(d);
      if (shadow) lines.push(`      shadowed: ${shadow}`);
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
  // Docker's resolver asked for: what to do is in its name: line (a user-defined network, or its rules restored).
  if (asked && a.verdict === 'blocked') return lines;
  // The next question is this one, in the same terms: the family asked included (fix without -4 would weigh IPv6 too).
  const family = a.askedFamilies.length === 1 ? ` -${a.askedFamilies[0] === 'ipv4' ? 4 : 6}` : '';
  if (next?.status === 'fixes') {
    // Counted, not ranked: which is best weighs what each opens across every container, which `fix` alone counts.
    const full = next.fixes.filter((f) => f.byName !== 'fails').length;
    const count = full === 0 ? `none makes the name resolve, ${next.fixes.length === 1 ? 'one opens' : `${next.fixes.length} open`} the address` : `${full === 1 ? 'one fix is' : `${full} fixes are`} predicted to make it work`;
    // The same question in the words it was asked in (a host or an address is not a name `fix` reads back).
    const [from, to] = typed ? [typed.from, typed.to] : [a.from.name, a.to.name];
    lines.push(`  next: netdiag fix ${shellQuote(from)} ${shellQuote(to)}${a.flow.port ? ` --port ${a.flow.port}/${a.flow.proto}` : ''}${family} — ${count}`);
  } else if (next?.status === 'no-fix') lines.push(`  no fix: ${next.advice}`);
  return lines;
}
