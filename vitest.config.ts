import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// chDB binds one data directory per process, so every test file runs in its own fork.
export default defineConfig({
  // Tests run the SDK from source, so they never see a stale sdk/dist.
  resolve: {
    alias: { '@privpath/sdk': fileURLToPath(new URL('./sdk/src/index.ts', import.meta.url)) },
  },
  test: {
    pool: 'forks',
    isolate: true,
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'test/containers/**', 'sdk/node_modules/**'],
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
