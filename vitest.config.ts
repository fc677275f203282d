import { defineConfig } from 'vitest/config';

// Unit and integration suites. Native modules (better-sqlite3) crash the
// threads pool, so every test file runs in a forked process.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}', 'test/integration/**/*.test.ts', 'test/fault/**/*.test.ts', 'test/lint/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
