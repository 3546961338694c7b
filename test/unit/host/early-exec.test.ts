// The host's programs started before the collectors load: each answer handed out once; the collectors ask each one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { earlyExec } from '../../../host/early-exec.js';
import type { CommandRunner } from '../../../host/exec.js';
import { FIRST_READS } from '../../../collectors/first-reads.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { CAPTURED } from '../fixtures.js';

const recordings = ['seed/recording.json', 'dns/dns1.recording.json', 'secrets/secrets.recording.json'].map((f) => Recording.parse(JSON.parse(readFileSync(join(CAPTURED, f), 'utf8'))));

/** The recorded host's programs, counting what is run. */
function counting(rec: Recording): { run: CommandRunner; ran: string[] } {
  const replayed = replayContext(rec).exec;
  const ran: string[] = [];
  return { ran, run: (file, args, o) => (ran.push([file, ...args].join(' ')), replayed(file, args, o)) };
}

describe('earlyExec', () => {
  it('starts every command at once and hands each answer out once', async () => {
    const { run, ran } = counting(recordings[1]!);
    const early = earlyExec(FIRST_READS, 1000, run);
    expect(ran).toEqual(FIRST_READS.map(([f, a]) => [f, ...a].join(' ')));
    const addr = early.take('ip', ['-j', '-d', 'addr', 'show']);
    expect((await addr!).stdout).toBe(recordings[1]!.commands['ip -j -d addr show']!.stdout);
    expect(early.take('ip', ['-j', '-d', 'addr', 'show'])).toBeUndefined();
    expect(early.take('ip', ['-j', '-d', 'addr'])).toBeUndefined();
  });

  it('hands out a program that could not start as the error running it would have thrown', async () => {
    const { run } = counting({ ...recordings[1]!, commands: {} });
    const early = earlyExec([['nft', ['-j', 'list', 'ruleset']]], 1000, run);
    await expect(early.take('nft', ['-j', 'list', 'ruleset'])!).rejects.toThrow(/nft not found/);
  });

  for (const [i, rec] of recordings.entries()) {
    it(`is what the collectors ask, and the same snapshot as running them late (recording ${i})`, async () => {
      const at = { hostName: 'h', now: () => new Date('2026-11-22T00:00:00Z') };
      const late = await collectSnapshot({ ...at, context: replayContext(rec) });
      const { run, ran } = counting(rec);
      const early = earlyExec(FIRST_READS, 1000, run);
      const started = ran.length;
      const s = await collectSnapshot({ ...at, context: { ...replayContext(rec), exec: run }, early: early.take });
      // Every early program was asked for by a collector, none run twice.
      for (const [f, a] of FIRST_READS) expect(early.take(f, a), [f, ...a].join(' ')).toBeUndefined();
      expect(ran.slice(started).filter((c) => FIRST_READS.some(([f, a]) => [f, ...a].join(' ') === c))).toEqual([]);
      const same = (x: typeof s) => JSON.stringify({ ...x, durationMs: 0, collectors: Object.keys(x.collectors) });
      expect(same(s)).toBe(same(late));
    });
  }
});
