// Loading captured fixtures (recorded in the lab by `npm run capture`, and moby's rule dumps in ../shared).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Recording } from '../../collectors/recording.js';
import type { CommandResult } from '../../host/exec.js';
import { replayContext } from '../../collectors/recording.js';
import { collectSnapshot } from '../../collectors/run.js';
import type { CollectorName, HostSnapshot } from '../../snapshot/host-snapshot.js';

export const REPO = new URL('../../', import.meta.url).pathname;
export const CAPTURED = join(REPO, 'test/fixtures/captured');

export function seedRecording(): Recording {
  return Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'seed/recording.json'), 'utf8')));
}

export function seedFailures(): Record<'iptablesSaveAsNobody' | 'nsenterAsNobody' | 'nsenterVanishedSandbox' | 'ipRouteMissingTable' | 'ipRuleNegated', CommandResult> {
  return JSON.parse(readFileSync(join(CAPTURED, 'seed/failures.json'), 'utf8'));
}

/** moby's firewall study dumps, beside the repository (shared/fixtures/moby) or vendored under test/fixtures/moby. */
export function mobyDir(): string {
  const vendored = join(REPO, 'test/fixtures/moby');
  return existsSync(vendored) ? vendored : join(REPO, '../shared/fixtures/moby');
}

/** Iptables dumps operators posted publicly (vendored under test/fixtures/corpus, else shared/corpus beside the repository). */
export function corpusDir(): string {
  const vendored = join(REPO, 'test/fixtures/corpus');
  return existsSync(vendored) ? vendored : join(REPO, '../shared/corpus');
}

export function mobyDumps(): { name: string; text: string }[] {
  const dir = mobyDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.iptables.txt') || f.endsWith('.iptables-save.txt'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}


/** Collect a snapshot from a recording (by default the seed host's), exactly as the live path would. */
export function replay(rec: Recording = seedRecording()): Promise<HostSnapshot> {
  return collectSnapshot({ hostName: 'lab-h1', context: replayContext(rec), now: () => new Date('2026-11-22T00:00:00Z') });
}
