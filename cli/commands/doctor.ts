// `netdiag doctor`: host-wide findings. Exit 0 clean, 1 findings (warnings or errors), 2 when it cannot look, 4 when
// it found nothing on a host it could not read whole (not known clean).
import { doctorAll } from '../../rules/doctor/segment.js';
import type { Finding } from '../../rules/doctor/doctor.js';
import type { Io } from '../io.js';
import { styleFor } from '../render/style.js';
import { loadSnapshots } from '../sources.js';
import type { SourceOptions } from '../sources.js';
import { EXIT, answerExit } from '../exit-codes.js';

export async function doctorCommand(opts: SourceOptions & { json?: boolean }, io: Io): Promise<number> {
  const snapshots = await loadSnapshots(opts, io);
  const findings: Finding[] = doctorAll(snapshots);
  const serious = findings.filter((f) => f.severity !== 'info');
  if (opts.json) {
    io.stdout(`${JSON.stringify({ hosts: snapshots.map((s) => s.name), findings })}\n`);
  } else {
    const st = styleFor(io);
    const mark = { error: st.verdict('blocked').replace('blocked', 'ERROR'), warning: st.verdict('unknown').replace('unknown', 'WARN'), info: 'info' };
    if (findings.length === 0) io.stdout(`${snapshots.map((s) => s.name).join(', ')}: no problems found\n`);
    for (const f of findings) {
      io.stdout(`${mark[f.severity]} ${f.host}: ${f.title}\n${f.evidence.map((e) => `    evidence: ${e}\n`).join('')}    fix: ${f.fix}\n\n`);
    }
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const of = (severity: string) => findings.filter((f) => f.severity === severity).length;
    if (findings.length > 0) io.stdout(`${count(serious.length, 'problem')} (${count(of('error'), 'error')}, ${count(of('warning'), 'warning')})\n`);
  }
  return answerExit(serious.length > 0 ? EXIT.no : EXIT.ok, snapshots);
}
