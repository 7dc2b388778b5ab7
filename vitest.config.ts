import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.spec.ts',
      'plugins/*/src/**/*.spec.ts',
      'examples/*/src/**/*.spec.ts',
      'bench/src/**/*.spec.ts',
    ],
    // End-to-end tests start many CLI processes and real servers; a shared 2-core CI machine needs the margin.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Tests share one PostgreSQL and fork child processes: keep parallelism modest on small machines.
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report lets CI print a plain 'N passed, N failed' summary line.
    reporters: ['default', 'json'],
    outputFile: { json: 'node_modules/.vitest/results.json' },
  },
});
