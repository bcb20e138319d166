import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // PGlite boots in a few hundred ms alone, but far slower on a shared 2-core CI machine.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
})
