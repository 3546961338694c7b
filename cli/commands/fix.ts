// `netdiag fix A B`: ranked fixes with their predicted effect; with --apply, change the host, verify, keep a rollback.
import { createInterface } from 'node:readline/promises';
import { applyFix, chooseFix, listFixes, refuseElsewhere } from '../../actuation/fix.js';
import { stateDir } from '../../actuation/state-dir.js';
import { collectSnapshot } from '../../collectors/run.js';
import { flowText, parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { buildWorld } from '../../rules/model/build.js';
import { FixApplyResult, FixesResult } from '../../snapshot/contract.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { renderFixAdvice } from '../render/fixes.js';
import { styleFor } from '../render/style.js';
import { loadSnapshots } from '../sources.js';
import { EXIT, answerExit } from '../exit-codes.js';

export interface FixOptions {
  port?: string;
  json?: boolean;
  apply?: boolean;
  yes?: boolean;
  fix?: string;
  snapshot?: string[];
  agent?: string[];
  inventory?: string;
  hostName?: string;
  stateDir?: string;
  ipv4?: boolean;
  ipv6?: boolean;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !io.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function fixCommand(a: string, b: string, opts: FixOptions, io: Io): Promise<number> {
  const flow = parseFlow(opts.port);
  // With --apply, the host netdiag runs on is collected live and changed; --agent, --inventory or --snapshot then give
  // the other hosts the pair crosses (a swarm overlay, routed hosts), read again to verify.
  const peers = opts.apply && (opts.snapshot?.length || opts.agent?.length || opts.inventory);
  const loadPeers = async (here: string) => (peers ? (await loadSnapshots(opts, io)).filter((s) => s.name !== here) : []);
  const local = peers ? await collectSnapshot({ hostName: opts.hostName, env: io.env }) : null;
  const snapshots = local ? [local, ...(await loadPeers(local.name))] : await loadSnapshots(opts, io);
  const q = { world: buildWorld(snapshots), from: a, to: b, flow, families: parseFamilies(opts) };
  const st = styleFor(io);
  if (!opts.apply) {
    const { answer, fixes, status, advice } = listFixes(q);
    const result = FixesResult.parse({ from: answer.from.name, to: answer.to.name, verdict: answer.verdict, status, fixes, advice });
    if (opts.json) io.stdout(`${JSON.stringify(result)}\n`);
    else io.stdout(`${renderFixAdvice(result, st, flowText(flow), `apply one with: netdiag fix ${a} ${b}${opts.port ? ` --port ${opts.port}` : ''}${opts.ipv4 ? ' -4' : ''}${opts.ipv6 ? ' -6' : ''} --apply [--fix ID]`).join('\n')}\n`);
    // 0: it works already, or a fix will; 1: no fix would; 3: netdiag cannot tell.
    return answerExit(status !== 'no-fix' ? EXIT.ok : answer.verdict === 'unknown' ? EXIT.unknown : EXIT.no, snapshots);
  }

  // --yes is both the confirmation and the consent to a fix that opens more than this pair.
  const chosen = chooseFix(q, { id: opts.fix, acceptWider: Boolean(opts.yes) });
  if (local) refuseElsewhere(chosen, q, local.name);
  if (!opts.yes && !(await confirm(io, `Apply ${chosen.id}: ${chosen.commands.join('; ')}?`))) {
    throw new UsageError('nothing was changed', process.stdin.isTTY ? 'answered no' : 'confirm with --yes when not at a terminal');
  }
  const pause = Number(io.env.NETDIAG_PAUSE_BETWEEN_STEPS_MS ?? 0);
  const result = await applyFix(chosen, q, {
    stateDir: stateDir(opts.stateDir, io.env),
    collect: async () => {
      const here = await collectSnapshot({ hostName: snapshots[0]?.name });
      return local ? [here, ...(await loadPeers(here.name))] : here;
    },
    progress: (line) => io.stderr(`netdiag: ${chosen.id}: ${line}\n`),
    pauseBetweenStepsMs: pause > 0 ? pause : undefined,
  });
  if (opts.json) io.stdout(`${JSON.stringify(FixApplyResult.parse(result))}\n`);
  else if (result.status === 'rolled-back') {
    io.stdout(`${chosen.id}: ${st.verdict('blocked')} — ${result.error ? `${result.error.message} (${result.error.hint})` : result.verification}; every step was undone\n`);
  } else {
    io.stdout(`${chosen.id}: ${result.status === 'already-applied' ? 'already in place' : 'applied'} and verified — ${result.verification}\nundo it with: netdiag rollback ${chosen.id}\n`);
  }
  if (result.error) {
    io.stderr(`netdiag: ${result.error.message}; nothing was left half-applied (${result.error.hint})\n`);
    return EXIT.badInput;
  }
  return result.verified ? EXIT.ok : EXIT.no;
}
