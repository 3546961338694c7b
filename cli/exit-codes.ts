// netdiag's exit codes: one meaning each, the same for every command; the help text and the README are made from
// what this file says, so a script can rely on `$?` without reading which command it ran.
import type { HostSnapshot } from '../snapshot/host-snapshot.js';

export const EXIT = {
  /** Yes: reachable, no problems, fixes listed, done and verified. */
  ok: 0,
  /** No: blocked, doctor's findings, no fix would help, a change that did not verify (and was undone). */
  no: 1,
  /** netdiag could not do what was asked: bad input, a name or file it cannot use, a host it cannot read. One line on stderr. */
  badInput: 2,
  /** The model cannot decide: a rule or a part of a host it cannot evaluate, named in the answer. */
  unknown: 3,
  /** A yes from a partial snapshot: a part of a host was not read (the warnings on stderr say which). */
  partial: 4,
  /** A bug in netdiag (sysexits' EX_SOFTWARE): never to be read as the user's bad input. */
  internal: 70,
  /**
   * The reader of standard output went away (`netdiag matrix | head -1`): 128 + SIGPIPE, what cat or grep end with in
   * that pipe. Not 0: the output was not all delivered, and a script must not take a cut-off matrix as a whole one.
   */
  closedOutput: 141,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A verdict as its exit code (why, probe): ping's and grep's convention. */
export const VERDICT_EXIT: Record<'reachable' | 'blocked' | 'unknown', ExitCode> = { reachable: EXIT.ok, blocked: EXIT.no, unknown: EXIT.unknown };

/** A snapshot some part of which was not read: a collector failed, found no source, or read only part of it. */
export function isPartial(s: HostSnapshot): boolean {
  return s.errors.length > 0 || Object.values(s.collectors).some((c) => c.status !== 'ok');
}

/**
 * The rule for answers from partial snapshots: the answer's own code comes first (blocked, findings, unknown — what a
 * missing part could change is already unknown); a yes is 4 instead of 0 when a host in view was not read whole, so
 * that 0 always means "yes, from everything".
 */
export function answerExit(code: ExitCode, snapshots: readonly HostSnapshot[]): ExitCode {
  return code === EXIT.ok && snapshots.some(isPartial) ? EXIT.partial : code;
}

/** The table `netdiag --help` ends with (and the README's "Exit codes" section shows). */
export const EXIT_HELP = `
Exit codes (every command):
  0    yes: reachable, no problems found, fixes listed, done and verified
  1    no: blocked, doctor's findings, no fix would help, a change that did not verify (undone)
  2    bad input: a usage error, a name or file netdiag cannot use, a host it cannot read (one line on stderr)
  3    unknown: a rule or a part of a host netdiag cannot evaluate (named in the answer)
  4    partial: the answer is yes, but a part of a host was not read (warnings on stderr); 1 and 3 come first
  70   internal error: a bug in netdiag (please report it)
  141  standard output was closed before netdiag finished writing (| head): it stops quietly
`;

/** Per command, where its codes say more than the table: what yes and no mean for it. */
export const COMMAND_EXIT_HELP = {
  snapshot: '\nExit: 0 every part of the host was read, 4 some part was not (the snapshot is still written; stderr says which), 2 nothing could be read.\n',
  why: '\nExit: 0 reachable, 1 blocked, 3 unknown, 4 reachable but a host in view was not read whole, 2 bad input.\n',
  matrix: '\nExit: 0 every pair answered (blocked pairs are answers), 3 some pair is unknown, 4 every pair answered from a partial snapshot, 2 bad input.\n',
  map: '\nExit: 0 drawn, 4 drawn from a partial snapshot, 2 bad input (a --format or --out extension it does not write).\n',
  fix: '\nExit: 0 fixes listed, nothing to fix, or applied and verified; 1 no fix would help (or the applied one did not verify and was undone); 3 netdiag cannot tell; 4 fixes listed from a partial snapshot; 2 bad input, or a step the host refused (everything done was undone).\n',
  doctor: '\nExit: 0 no problems found, 1 findings, 4 no problems found but a host was not read whole (so not known clean), 2 cannot look.\n',
  plan: '\nExit: 0 planned, 4 planned from a partial snapshot, 2 bad input.\n',
  apply: '\nExit: 0 applied and verified on every host, 1 not applied (every host rolled back), 2 bad input.\n',
  rollback: '\nExit: 0 rolled back, 1 not fully rolled back, 2 nothing applied under that ID.\n',
  probe: '\nExit: 0 reachable, 1 not, 3 the probe could not tell; a live probe, so a partial snapshot does not change it.\n',
} as const;
