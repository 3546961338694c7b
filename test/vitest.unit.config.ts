// Unit tests: no root, no Docker — captured fixtures only.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
