// `netdiag snapshot`: collect this host and print or write the HostSnapshot; collection problems go to stderr.
import type { Recording } from '../../collectors/recording.js';
import type { CollectContext } from '../../collectors/collector.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { checkJsonOut } from '../out-file.js';
import { labelGlobProblem } from '../../snapshot/kept-fields.js';
import { startEarlyReads } from '../../collectors/early-reads.js';
import { EXIT, isPartial } from '../exit-codes.js';

export async function snapshotCommand(opts: { out?: string; hostName?: string; timeout: string; record?: string; keepLabels?: string[] }, io: Io): Promise<number> {
  const timeoutMs = Number(opts.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, not ${JSON.stringify(opts.timeout)}`);
  const badGlob = (opts.keepLabels ?? []).map(labelGlobProblem).find((p) => p !== null);
  if (badGlob) throw new UsageError(badGlob);
  // Refused before collecting: a snapshot is JSON, and a file named host.svg or host.yaml would be opened as that.
  checkJsonOut(opts.out);
  checkJsonOut(opts.record);
  // The first reads start now, while the collectors, zod and the schemas load.
  const early = startEarlyReads(timeoutMs);
  // zod without its compiled fast path, set before any schema is built: one collection parses most schemas a few
  // times, where compiling each (new Function) cost more than it saved (the final check of the snapshot is fastParse).
  await import('./why-jitless.js');
  // The recorder and the file writer only when asked for: each module loaded is CPU the reads' parsing waits for.
  const [{ collectSnapshot }, { describeErrors }, recorder, files] = await Promise.all([
    import('../../collectors/run.js'),
    import('../render/errors.js'),
    opts.record ? import('../../collectors/recording.js') : null,
    opts.out || opts.record ? import('../files.js') : null,
  ]);
  let recording: Recording | undefined;
  const wrap = recorder
    ? (ctx: CollectContext) => {
        const r = recorder.recordingContext(ctx, { capturedAt: new Date().toISOString(), dockerHost: ctx.docker.endpoint, command: 'netdiag snapshot --record' });
        recording = r.recording;
        return r.ctx;
      }
    : undefined;
  const snapshot = await collectSnapshot({ hostName: opts.hostName, timeoutMs, wrap, keepLabels: opts.keepLabels, ...early });
  if (opts.record && recording && files) await files.writeFileAtomic(opts.record, `${JSON.stringify(recording, null, 1)}\n`);
  const json = `${JSON.stringify(snapshot, null, 2)}\n`;
  if (opts.out && files) await files.writeFileAtomic(opts.out, json);
  else io.stdout(json);
  for (const line of describeErrors(snapshot)) io.stderr(`netdiag: ${line}\n`);
  const failed = Object.values(snapshot.collectors).filter((c) => c.status === 'failed' || c.status === 'absent').length;
  // A partial snapshot is still a snapshot (written, and said so with 4); only one with nothing in it is an error.
  if (failed === Object.keys(snapshot.collectors).length) return EXIT.badInput;
  return isPartial(snapshot) ? EXIT.partial : EXIT.ok;
}
