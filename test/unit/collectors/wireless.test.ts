// Which of a namespace's interfaces are wireless, read by the links collector from /proc/net/wireless (per network
// namespace, unlike /sys/class/net): known where the file is, unknown where the kernel has no wireless extensions.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectSnapshot } from '../../../collectors/run.js';
import { replayContext } from '../../../collectors/recording.js';
import { CAPTURED, seedRecording } from '../fixtures.js';

const seed = seedRecording();
/** A real /proc/net/wireless (a Raspberry Pi's, test/fixtures/captured/attach/README.md says whose). */
const PI = readFileSync(join(CAPTURED, 'attach/proc-net-wireless.txt'), 'utf8');

/** The seed host collected again, its /proc/net/wireless answered with `text` (null: the file does not exist). */
function collect(text: string | null) {
  const replay = replayContext(seed);
  return collectSnapshot({ context: { ...replay, readFile: async (p) => (p === '/proc/net/wireless' ? text : replay.readFile(p)) } });
}

describe('links: wireless interfaces from /proc/net/wireless', () => {
  it('no /proc/net/wireless (no wireless extensions, as on this machine): not known, said by leaving it out', async () => {
    const s = await collect(null);
    expect(s.links!.interfaces.every((i) => i.wireless === undefined)).toBe(true);
  });

  it('the file lists wlan0 only: every interface of the seed host is known not to be wireless', async () => {
    const s = await collect(PI);
    expect(s.links!.interfaces.map((i) => i.wireless)).toEqual(s.links!.interfaces.map(() => false));
  });

  it('the same line for the seed host\'s docker0 (a name it has): docker0 is marked wireless, the rest are not', async () => {
    const s = await collect(PI.replace(' wlan0:', 'docker0:'));
    expect(s.links!.interfaces.filter((i) => i.wireless).map((i) => i.name)).toEqual(['docker0']);
  });

  it('a file that is not /proc/net/wireless: an error entry, the links still collected', async () => {
    const s = await collect('garbage\n');
    expect(s.links!.interfaces.length).toBeGreaterThan(0);
    expect(s.errors.find((e) => e.subject === '/proc/net/wireless')).toMatchObject({ collector: 'links', hint: expect.stringMatching(/wireless-parent check is skipped/) });
  });
});
