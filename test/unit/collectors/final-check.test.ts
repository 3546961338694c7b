// The collection's final check of the snapshot (fastParse, zod when unsure) returns exactly what zod's parse returns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../../collectors/run.js';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const recordings = ['seed/recording.json', 'dns/dns1.recording.json', 'secrets/secrets.recording.json', 'swarm/a-h1.recording.json'];

describe('the final check of a collected snapshot', () => {
  for (const file of recordings) {
    it(`returns what zod's parse returns, key order included: ${file}`, async () => {
      const rec = Recording.parse(JSON.parse(readFileSync(join(CAPTURED, file), 'utf8')));
      const at = { hostName: 'h', now: () => new Date('2026-11-22T00:00:00Z') };
      const raw = await collectSnapshot({ ...at, context: replayContext(rec), validate: false });
      const checked = await collectSnapshot({ ...at, context: replayContext(rec) });
      const same = (s: HostSnapshot) => JSON.stringify({ ...s, durationMs: 0, collectors: Object.keys(s.collectors) });
      expect(same(checked)).toBe(same(HostSnapshot.parse(raw)));
      expect(checked.docker?.containers.length).toBeGreaterThan(0);
    });
  }
});
