// The captured two-node swarm (scenario A: h1 manager, h2 worker, attachable overlays ov1 and ov2), read as snapshots.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { CAPTURED } from './fixtures.js';

export const capturedSwarm = (file: 'a-h1.json' | 'a-h2.json' | 'b-h1.json' | 'b-h2.json'): HostSnapshot => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'swarm', file), 'utf8')));
