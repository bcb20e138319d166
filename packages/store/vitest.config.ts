import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Each PGlite open boots Postgres in WASM: ~1 s alone, several on a busy 2-core CI runner.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
