import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real servers (influxd, brokers, Chromium): two cores, two at a time.
    maxWorkers: 2,
    // Polls wait on real processes on a shared machine: one second (vitest's default) is a flake, not a check.
    expect: { poll: { timeout: 5_000 } },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/report.json' },
  },
});
