import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.spec.ts',
      'plugins/*/src/**/*.spec.ts',
      'examples/*/src/**/*.spec.ts',
      'bench/src/**/*.spec.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests share one PostgreSQL and fork child processes: keep parallelism modest on small machines.
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report lets CI print a plain 'N passed, N failed' summary line.
    reporters: ['default', 'json'],
    outputFile: { json: 'node_modules/.vitest/results.json' },
  },
});
