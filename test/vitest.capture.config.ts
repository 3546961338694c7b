// Fixture capture from the lab (root): `npm run capture`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { root: new URL('..', import.meta.url).pathname, include: ['test/lab/capture.ts', 'test/lab/capture-swarm.ts'], testTimeout: 300_000, hookTimeout: 300_000 },
});
