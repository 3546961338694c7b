// Human output of candidate fixes: what to run, what it opens, what the model predicts.
import type { Fix } from '../../rules/changes/fixes.js';
import type { Style } from './style.js';

export function renderFixes(fixes: Fix[], st: Style, from: string, to: string): string[] {
  if (fixes.length === 0) return ['  no fix netdiag knows of would open this path'];
  const lines: string[] = [];
  fixes.forEach((f, i) => {
    lines.push(`  ${i + 1}. ${f.title}${f.discouraged ? '' : ''}  [${f.id}]`);
    for (const c of f.commands) lines.push(`       $ ${c}`);
    lines.push(`       predicted: ${from} → ${to} ${st.verdict(f.predicted.forward)}, ${to} → ${from} ${st.verdict(f.predicted.reverse)}`);
    lines.push(`       scope: ${f.scope}`);
    if (f.alsoOpens.length > 0) lines.push(`       also opens: ${f.alsoOpens.slice(0, 6).join(', ')}${f.alsoOpens.length > 6 ? ` and ${f.alsoOpens.length - 6} more` : ''}`);
    lines.push(`       ${st.dim(f.note)}`);
  });
  return lines;
}
