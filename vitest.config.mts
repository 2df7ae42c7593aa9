import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    // Each test file gets its own process: the Functions core module and the hosts they start are per process.
    pool: 'forks',
    setupFiles: ['test/support/block-outbound-network.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
