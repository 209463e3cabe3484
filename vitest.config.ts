import { defineConfig } from 'vitest/config';
import SummaryReporter from './vitest.summary.ts';

export default defineConfig({
  test: {
    include: ['{protocol,main,worker-runtime,cli,electron,eslint-rules,examples}/**/*.test.ts', 'e2e/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep parallelism modest so loopback servers and SQLite fsyncs stay timely.
    maxWorkers: 2,
    reporters: ['default', new SummaryReporter()],
  },
});
