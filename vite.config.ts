import { defineConfig } from 'vitest/config';

// One config for the demo page (Vite, root demo/) and the test suites (Vitest).
// `vite demo` serves the page; the unit tests live in test/, the browser
// end-to-end test in test-e2e/ (its own config: vitest.e2e.config.ts).
export default defineConfig({
  publicDir: '../data',
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    // Dawn on SwiftShader is CPU-bound: one GPU device per worker, few workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
