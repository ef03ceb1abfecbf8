import { defineConfig } from 'vitest/config';

// One config for the demo page (Vite) and the test suite (Vitest).
export default defineConfig({
  root: '.',
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn on SwiftShader is CPU-bound: one GPU device per worker, few workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
