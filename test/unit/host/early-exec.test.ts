// Programs started before the collectors load: each answer handed out once; the collectors ask each one they start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { earlyExec } from '../../../host/early-exec.js';
import type { CommandRunner } from '../../../host/exec.js';
import { HOST_READS, namespaceReads, ownNamespace } from '../../../collectors/first-reads.js';
import type { NamespaceFacts, Read } from '../../../collectors/first-reads.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { CAPTURED } from '../fixtures.js';

const recordings = ['seed/recording.json', 'dns/dns1.recording.json', 'secrets/secrets.recording.json'].map((f) => Recording.parse(JSON.parse(readFileSync(join(CAPTURED, f), 'utf8'))));

/** The recorded host's programs, counting what is run (with what input). */
function counting(rec: Recording): { run: CommandRunner; ran: string[] } {
  const replayed = replayContext(rec).exec;
  const ran: string[] = [];
  return { ran, run: (file, args, o) => (ran.push(line({ file, args, input: o?.input })), replayed(file, args, o)) };
}

const line = (r: Read) => `${[r.file, ...r.args].join(' ')}${r.input === undefined ? '' : ` <<< ${JSON.stringify(r.input)}`}`;

/** Every namespace a whole-host collection of this recording enters, as `netdiag snapshot` reads them early. */
function namespaces(rec: Recording): Read[] {
  return Object.entries(rec.docker)
    .filter(([k]) => k.startsWith('inspectContainer '))
    .flatMap(([, inspect]) => {
      const ns = ownNamespace(inspect as NamespaceFacts);
      return ns ? namespaceReads(ns) : [];
    });
}

describe('earlyExec', () => {
  it('starts every program at once and hands each answer out once, for exactly its arguments and input', async () => {
    const { run, ran } = counting(recordings[1]!);
    const early = earlyExec(1000, run);
    early.start(HOST_READS);
    expect(ran).toEqual(HOST_READS.map(line));
    const addr = early.take('ip', ['-j', '-d', 'addr', 'show']);
    expect((await addr!).stdout).toBe(recordings[1]!.commands['ip -j -d addr show']!.stdout);
    expect(early.take('ip', ['-j', '-d', 'addr', 'show'])).toBeUndefined();
    expect(early.take('ip', ['-j', '-d', 'addr'])).toBeUndefined();
    // The same program fed something else is not the one started.
    expect(early.take('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], 'x')).toBeUndefined();
    expect(early.take('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).toBeDefined();
  });

  it('does not start a program twice while its answer waits to be taken', () => {
    const { run, ran } = counting(recordings[1]!);
    const early = earlyExec(1000, run);
    early.start(HOST_READS.slice(0, 2));
    early.start(HOST_READS.slice(0, 3));
    expect(ran).toEqual(HOST_READS.slice(0, 3).map(line));
  });

  it('hands out a program that could not start as the error running it would have thrown', async () => {
    const { run } = counting({ ...recordings[1]!, commands: {} });
    const early = earlyExec(1000, run);
    early.start([{ file: 'nft', args: ['-j', 'list', 'ruleset'] }]);
    await expect(early.take('nft', ['-j', 'list', 'ruleset'])!).rejects.toThrow(/nft not found/);
  });

  it('reads the namespaces of the recording that the collectors enter: the dns recording has 8, one without IPv6', () => {
    const reads = namespaces(recordings[1]!);
    expect(reads.filter((r) => r.args.includes('iptables-save'))).toHaveLength(8);
    expect(reads.filter((r) => r.args.includes('-batch') && r.input !== undefined).length).toBeGreaterThanOrEqual(8);
  });

  for (const [i, rec] of recordings.entries()) {
    it(`is what the collectors ask, and the same snapshot as running them late (recording ${i})`, async () => {
      const at = { hostName: 'h', now: () => new Date('2026-11-22T00:00:00Z') };
      const late = await collectSnapshot({ ...at, context: replayContext(rec) });
      const { run, ran } = counting(rec);
      const early = earlyExec(1000, run);
      const first = [...HOST_READS, ...namespaces(rec)];
      early.start(first);
      const started = ran.length;
      expect(started).toBe(first.length);
      const s = await collectSnapshot({ ...at, context: { ...replayContext(rec), exec: run }, early: early.take });
      // Every early program was asked for by a collector (with its input), none run twice.
      for (const r of first) expect(early.take(r.file, r.args, r.input), line(r)).toBeUndefined();
      const firstLines = new Set(first.map(line));
      expect(ran.slice(started).filter((c) => firstLines.has(c))).toEqual([]);
      const same = (x: typeof s) => JSON.stringify({ ...x, durationMs: 0, collectors: Object.keys(x.collectors) });
      expect(same(s)).toBe(same(late));
    });
  }
});
