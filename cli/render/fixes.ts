// Human output of fixes: what to run, what it opens, what the model predicts, how long it lasts; or why there is none.
import type { Fix, FixesResult } from '../../snapshot/contract.js';
import type { Style } from './style.js';

function lasts(f: Fix): string {
  const p = f.persistence;
  const span = p.reboot ? 'survives daemon restarts and reboots' : p.daemonRestart ? 'survives a daemon restart, not a reboot' : 'lost at the next daemon restart';
  return `${span}. ${p.keep}`;
}

export function renderFixes(fixes: Fix[], st: Style, from: string, to: string): string[] {
  const lines: string[] = [];
  fixes.forEach((f, i) => {
    lines.push(`  ${i + 1}. ${f.title}  [${f.id}]`);
    for (const c of f.commands) lines.push(`       $ ${c}`);
    const fam = f.predicted.families;
    // Both families asked and they differ: say which one the fix leaves as it was.
    const per = fam.ipv4 !== null && fam.ipv6 !== null && fam.ipv4 !== fam.ipv6 ? ` (IPv4 ${st.verdict(fam.ipv4)}, IPv6 ${st.verdict(fam.ipv6)})` : '';
    const name = f.byName === 'resolves' ? ', by name too' : f.byName === 'fails' ? ' by address only (the name still fails)' : '';
    lines.push(`       predicted: ${from} → ${to} ${st.verdict(f.predicted.forward)}${per}${name}, ${to} → ${from} ${st.verdict(f.predicted.reverse)}`);
    lines.push(`       scope: ${f.scope}`);
    if (f.alsoOpens.length > 0) lines.push(`       also opens: ${f.alsoOpens.slice(0, 6).join(', ')}${f.alsoOpens.length > 6 ? ` and ${f.alsoOpens.length - 6} more` : ''}`);
    lines.push(`       lasts: ${lasts(f)}`);
    lines.push(`       ${st.dim(f.note)}`);
  });
  return lines;
}

/** The whole answer of `netdiag fix` without --apply: the verdict, then the fixes or why there are none. */
export function renderFixAdvice(r: FixesResult, st: Style, flow: string, applyHint: string): string[] {
  const head = `${r.from} → ${r.to} (${flow}): ${st.verdict(r.verdict)}`;
  if (r.status === 'reaches') return [`${head}; it already reaches as asked: nothing to fix`];
  if (r.status === 'no-fix') return [head, `  no fix: ${r.advice ?? 'no fix netdiag knows of would open this path'}`];
  return [
    `${head}; ${r.fixes.length === 1 ? 'one fix, predicted to make it work:' : `${r.fixes.length} fixes, each predicted to make it work, best first:`}`,
    ...(r.advice ? [`  ${r.advice}`] : []),
    ...renderFixes(r.fixes, st, r.from, r.to),
    '',
    applyHint,
  ];
}
