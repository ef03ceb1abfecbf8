import { defineConfig } from 'vitest/config';

// The browser end-to-end suite: the built demo in headless Chromium.
export default defineConfig({
  test: {
    root: '.',
    include: ['test-e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
