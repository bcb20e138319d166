import { defineConfig } from 'vitest/config'

// PGlite starts a WebAssembly Postgres per suite; on a busy shared machine that can take seconds.
export default defineConfig({ test: { hookTimeout: 30_000, testTimeout: 30_000 } })
