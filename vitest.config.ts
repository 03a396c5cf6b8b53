import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Queues created as the same uid share one RLIMIT_MSGQUEUE budget across every
    // IPC namespace, so the real-kernel files must not run side by side.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Root-owned queues held elsewhere all run long: nothing may depend on root's budget.
    globalSetup: ['./test/support/ballast.ts'],
  },
});
