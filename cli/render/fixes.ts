// Human output of candidate fixes: what to run, what it opens, what the model predicts.
import type { Fix } from '../../rules/changes/fixes.js';
import type { Style } from './style.js';

export function renderFixes(fixes: Fix[], st: Style, from: string, to: string): string[] {
  if (fixes.length === 0) return ['  no fix netdiag knows of would open this path'];
  const lines: string[] = [];
  fixes.forEach((f, i) => {
    lines.push(`  ${i + 1}. ${f.title}${f.discouraged ? '' : ''}  [${f.id}]`);
    for (const c of f.commands) lines.push(`       $ ${c}`);
    const fam = f.predicted.families;
    // Both families asked and they differ: say which one the fix leaves as it was.
    const per = fam.ipv4 !== null && fam.ipv6 !== null && fam.ipv4 !== fam.ipv6 ? ` (IPv4 ${st.verdict(fam.ipv4)}, IPv6 ${st.verdict(fam.ipv6)})` : '';
    lines.push(`       predicted: ${from} → ${to} ${st.verdict(f.predicted.forward)}${per}, ${to} → ${from} ${st.verdict(f.predicted.reverse)}`);
    lines.push(`       scope: ${f.scope}`);
    if (f.alsoOpens.length > 0) lines.push(`       also opens: ${f.alsoOpens.slice(0, 6).join(', ')}${f.alsoOpens.length > 6 ? ` and ${f.alsoOpens.length - 6} more` : ''}`);
    lines.push(`       ${st.dim(f.note)}`);
  });
  return lines;
}
