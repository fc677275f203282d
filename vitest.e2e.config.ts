import { defineConfig } from 'vitest/config';

// End-to-end suite: the built renderer in Debian's Chromium, driven by
// playwright-core, talking to a real `mmry serve` process.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
