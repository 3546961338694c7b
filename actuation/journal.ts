// The journal of applied changes: one directory per fix or plan, an fsync'd JSON line per event, replayable.
import { mkdir, open, readFile, readdir, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PlanStep } from '../snapshot/contract.js';

export const DEFAULT_STATE_DIR = '/var/lib/netdiag';

/** How to undo one step, recorded when the step is done: its inverse step (with the value a sysctl had, where a deleted rule was). */
export const Undo = z.object({ step: PlanStep.nullable(), note: z.string().optional() });
export type Undo = z.infer<typeof Undo>;

export const JournalEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('start'), at: z.string(), kind: z.enum(['fix', 'plan']), id: z.string(), title: z.string(), steps: z.array(PlanStep), context: z.record(z.string(), z.unknown()) }),
  z.object({ event: z.literal('step-begin'), at: z.string(), index: z.number().int() }),
  z.object({ event: z.literal('step-done'), at: z.string(), index: z.number().int(), changed: z.boolean(), undo: Undo }),
  z.object({ event: z.literal('step-failed'), at: z.string(), index: z.number().int(), error: z.string() }),
  z.object({ event: z.literal('verified'), at: z.string(), ok: z.boolean(), detail: z.string() }),
  z.object({ event: z.literal('undo-begin'), at: z.string(), index: z.number().int() }),
  z.object({ event: z.literal('undo-done'), at: z.string(), index: z.number().int(), changed: z.boolean() }),
  z.object({ event: z.literal('applied'), at: z.string() }),
  z.object({ event: z.literal('rolled-back'), at: z.string(), reason: z.string() }),
]);
export type JournalEvent = z.infer<typeof JournalEvent>;

type EventBody = JournalEvent extends infer E ? (E extends JournalEvent ? Omit<E, 'at'> : never) : never;

export class StateDirError extends Error {
  override name = 'StateDirError';
}

export class Journal {
  private constructor(
    readonly dir: string,
    readonly id: string,
  ) {}

  get path(): string {
    return join(this.dir, 'journal.jsonl');
  }

  /** Open (creating) the journal of `id`; fails before anything changes when the state directory is not writable. */
  static async open(stateDir: string, id: string): Promise<Journal> {
    if (!/^[\w.-]+$/.test(id)) throw new StateDirError(`not a valid fix or plan ID: ${JSON.stringify(id)}`);
    const dir = join(stateDir, 'changes', id);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await access(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new StateDirError(`the state directory ${stateDir} is not writable (${code ?? (error as Error).message})`);
    }
    return new Journal(dir, id);
  }

  /** Open an existing journal for reading and rollback. */
  static async existing(stateDir: string, id: string): Promise<Journal | null> {
    if (!/^[\w.-]+$/.test(id)) return null;
    const dir = join(stateDir, 'changes', id);
    try {
      await access(join(dir, 'journal.jsonl'));
      return new Journal(dir, id);
    } catch {
      return null;
    }
  }

  static async list(stateDir: string): Promise<string[]> {
    return readdir(join(stateDir, 'changes')).catch(() => []);
  }

  /** Append one event and fsync it: after a crash, the journal says exactly how far we got. */
  async append(body: EventBody): Promise<void> {
    await this.appendMany([body]);
  }

  /** Append events in one write and one fsync: a batch of steps begun, or done, is recorded as one moment. */
  async appendMany(bodies: readonly EventBody[]): Promise<void> {
    if (bodies.length === 0) return;
    const at = new Date().toISOString();
    const line = bodies.map((b) => `${JSON.stringify({ ...b, at })}\n`).join('');
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.write(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async events(): Promise<JournalEvent[]> {
    const text = await readFile(this.path, 'utf8').catch(() => '');
    // A line cut short by a crash mid-write is the only line that may not parse: it is the last, and it is skipped.
    return text
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          const r = JournalEvent.safeParse(JSON.parse(l));
          return r.success ? [r.data] : [];
        } catch {
          return [];
        }
      });
  }
}

/** What a journal says about a change: its steps, how far apply got, what is still to undo. */
export function journalState(all: JournalEvent[]): { start: Extract<JournalEvent, { event: 'start' }> | null; status: 'applying' | 'applied' | 'rolled-back' | 'failed'; pending: { index: number; undo: Undo | null }[] } {
  // The same change may be applied, rolled back and applied again: only the latest attempt says where things stand.
  let from = 0;
  all.forEach((e, i) => {
    if (e.event === 'start') from = i;
  });
  const events = all.slice(from);
  const start = (events.find((e) => e.event === 'start') as Extract<JournalEvent, { event: 'start' }> | undefined) ?? null;
  const begun = new Map<number, Undo | null>();
  for (const e of events) {
    if (e.event === 'step-begin') begun.set(e.index, null);
    // Also a step that found the host already changed: applied again under the same ID, the change is still its own
    // (its rules carry that ID), and rolling the change back must take it out.
    if (e.event === 'step-done') begun.set(e.index, e.undo);
    if (e.event === 'undo-done') begun.delete(e.index);
  }
  const last = [...events].reverse().find((e) => e.event === 'applied' || e.event === 'rolled-back');
  const status = last?.event === 'rolled-back' ? 'rolled-back' : last?.event === 'applied' ? 'applied' : events.some((e) => e.event === 'step-failed') ? 'failed' : 'applying';
  // Undo in reverse order of application; a step begun but never recorded done may or may not have happened.
  const pending = [...begun.entries()].sort((a, b) => b[0] - a[0]).map(([index, undo]) => ({ index, undo }));
  return { start, status, pending };
}
