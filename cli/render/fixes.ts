// Human output of fixes: what to run, what it opens, what the model predicts, how long it lasts; or why there is none.
import type { Fix, FixesResult } from '../../snapshot/contract.js';
import type { Style } from './style.js';

function lasts(f: Fix): string {
  const p = f.persistence;
  const span = p.reboot ? 'survives daemon restarts and reboots' : p.daemonRestart ? 'survives a daemon restart, not a reboot' : 'lost at the next daemon restart';
  return `${span}. ${p.keep}`;
}

/** A long list shown by its first six and how many more: a fix can open hundreds of pairs. */
const firstSix = (xs: readonly string[]) => `${xs.slice(0, 6).join(', ')}${xs.length > 6 ? ` and ${xs.length - 6} more` : ''}`;

/** How many "also opens" pairs went through namespaces not read, and whose (the walk took them as Docker makes them). */
function unreadLine(entries: Fix['alsoOpensNotRead']): string {
  const names = [...new Set(entries.flatMap((e) => e.notRead))];
  return `${entries.length} of these through namespaces not read, taken as Docker makes them: ${firstSix(names)} (netdiag why --json --all-namespaces reads them)`;
}

export function renderFixes(fixes: Fix[], st: Style, from: string, to: string, first = 1): string[] {
  const lines: string[] = [];
  fixes.forEach((f, i) => {
    lines.push(`  ${first + i}. ${f.title}  [${f.id}]`);
    for (const c of f.commands) lines.push(`       $ ${c}`);
    // How to undo it, before it is done: the steps' inverses, last first.
    if (f.rollback.length > 0) lines.push(`       rollback: ${f.rollback.join('; ')}`);
    const fam = f.predicted.families;
    // Both families asked and they differ: say which one the fix leaves as it was.
    const per = fam.ipv4 !== null && fam.ipv6 !== null && fam.ipv4 !== fam.ipv6 ? ` (IPv4 ${st.verdict(fam.ipv4)}, IPv6 ${st.verdict(fam.ipv6)})` : '';
    const name = f.byName === 'resolves' ? ', by name too' : f.byName === 'fails' ? ' by address only (the name still fails)' : '';
    lines.push(`       predicted: ${from} → ${to} ${st.verdict(f.predicted.forward)}${per}${name}, ${to} → ${from} ${st.verdict(f.predicted.reverse)}`);
    lines.push(`       scope: ${f.scope}`);
    if (f.alsoOpens.length > 0) lines.push(`       also opens: ${firstSix(f.alsoOpens)}`);
    if (f.alsoOpensNotRead.length > 0) lines.push(`       ${unreadLine(f.alsoOpensNotRead)}`);
    lines.push(`       lasts: ${lasts(f)}`);
    lines.push(`       ${st.dim(f.note)}`);
  });
  return lines;
}

const fixCount = (n: number) => (n === 1 ? 'one fix' : `${n} fixes`);

/**
 * The whole answer of `netdiag fix` without --apply: the verdict, then the fixes or why there are none. Fixes that
 * make the question work as asked (B's name resolving too, when B was named) come under the verdict; those that open
 * the address only, under a heading of their own.
 */
export function renderFixAdvice(r: FixesResult, st: Style, flow: string, applyHint: string): string[] {
  const head = `${r.from} → ${r.to} (${flow}): ${st.verdict(r.verdict)}`;
  if (r.status === 'reaches') return [`${head}; it already reaches as asked: nothing to fix`];
  if (r.status === 'no-fix') return [head, `  no fix: ${r.advice ?? 'no fix netdiag knows of would open this path'}`];
  const full = r.fixes.filter((f) => f.byName !== 'fails');
  const partial = r.fixes.filter((f) => f.byName === 'fails');
  const lines = [
    full.length > 0
      ? `${head}; ${full.length === 1 ? 'one fix, predicted to make it work:' : `${full.length} fixes, each predicted to make it work, best first:`}`
      : `${head}; no fix makes the name resolve, ${partial.length === 1 ? 'one opens' : `${partial.length} open`} the address:`,
    ...(r.advice ? [`  ${r.advice}`] : []),
    ...renderFixes(full, st, r.from, r.to),
  ];
  if (full.length > 0 && partial.length > 0) lines.push('', `  ${fixCount(partial.length)} that open${partial.length === 1 ? 's' : ''} the address only (the name still does not resolve):`);
  lines.push(...renderFixes(partial, st, r.from, r.to, full.length + 1), '', applyHint);
  return lines;
}
