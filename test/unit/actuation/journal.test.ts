// The journal: fsync'd events on disk, and what they say is still to undo after a crash at any point.
import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, journalState, StateDirError } from '../../../actuation/journal.js';
import type { PlanStep } from '../../../snapshot/contract.js';

const steps: PlanStep[] = [
  { kind: 'iptables-insert', host: 'h', table: 'filter', chain: 'DOCKER-USER', rule: ['-s', '172.18.0.2/32', '-j', 'ACCEPT'] },
  { kind: 'iptables-insert', host: 'h', table: 'filter', chain: 'DOCKER-USER', rule: ['-s', '172.17.0.2/32', '-j', 'ACCEPT'] },
];

async function started(): Promise<{ j: Journal; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-journal-'));
  const j = await Journal.open(dir, 'fx-12345678');
  await j.append({ event: 'start', kind: 'fix', id: 'fx-12345678', title: 't', steps, context: {} });
  return { j, dir };
}

/** One step applied, then undone and the change rolled back, as the journal records it. */
async function applyThenRollBack(j: Journal): Promise<void> {
    await j.append({ event: 'step-begin', index: 0 });
    await j.append({ event: 'step-done', index: 0, changed: true, undo: { step: null } });
    await j.append({ event: 'undo-begin', index: 0 });
    await j.append({ event: 'undo-done', index: 0, changed: true });
    await j.append({ event: 'rolled-back', reason: 'test' });
}

describe('journal', () => {
  it('writes one JSON line per event and reads them back', async () => {
    const { j } = await started();
    await j.append({ event: 'step-begin', index: 0 });
    const lines = readFileSync(j.path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect((await j.events()).map((e) => e.event)).toEqual(['start', 'step-begin']);
  });

  it('after a crash mid-step, the begun step is pending (it may or may not have happened)', async () => {
    const { j } = await started();
    await j.append({ event: 'step-begin', index: 0 });
    await j.append({ event: 'step-done', index: 0, changed: true, undo: { step: null } });
    await j.append({ event: 'step-begin', index: 1 });
    const s = journalState(await j.events());
    expect(s.status).toBe('applying');
    expect(s.pending.map((p) => p.index)).toEqual([1, 0]);
  });

  it('skips a last line cut short by a crash', async () => {
    const { j } = await started();
    appendFileSync(j.path, '{"event":"step-be');
    expect((await j.events()).map((e) => e.event)).toEqual(['start']);
  });

  it('a rolled-back change has nothing pending', async () => {
    const { j } = await started();
    await applyThenRollBack(j);
    expect(journalState(await j.events())).toMatchObject({ status: 'rolled-back', pending: [] });
  });

  it('judges by the latest attempt: applied, rolled back, then interrupted while applied again', async () => {
    const { j } = await started();
    await applyThenRollBack(j);
    await j.append({ event: 'start', kind: 'fix', id: 'fx-12345678', title: 't', steps, context: {} });
    await j.append({ event: 'step-begin', index: 0 });
    await j.append({ event: 'step-done', index: 0, changed: true, undo: { step: null } });
    expect(journalState(await j.events())).toMatchObject({ status: 'applying', pending: [{ index: 0 }] });
  });

  it('refuses an unwritable state directory before anything happens, and IDs that are paths', async () => {
    await expect(Journal.open('/etc/hostname/netdiag', 'fx-1')).rejects.toThrow(StateDirError);
    await expect(Journal.open(mkdtempSync(join(tmpdir(), 'nd-')), '../etc')).rejects.toThrow(/not a valid fix or plan ID/);
  });
});
