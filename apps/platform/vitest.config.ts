import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Each service boots PGlite (Postgres in WASM): seconds on a busy 2-core runner.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
