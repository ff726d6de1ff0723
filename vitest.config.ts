import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts', 'models/**/*.test.ts'],
    // Native addons (sharp, onnxruntime-node, better-sqlite3) are safest in forked processes.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
