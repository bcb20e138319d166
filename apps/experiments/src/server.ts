// The only place that reads the environment and listens.

import { fileURLToPath } from 'node:url'
import { createEmitter } from '@agent-sre/events'
import { loadConfig, runServer, secret } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import { buildApp } from './app.ts'
import { ExperimentsConfigSchema } from './config.ts'
import { parseApiKeys } from './routes/auth.ts'

const config = loadConfig(ExperimentsConfigSchema)
const apiKeys = keyList(secret('EXPERIMENTS_API_KEYS'))
const adminKeys = keyList(secret('EXPERIMENTS_ADMIN_API_KEYS'))

await runServer({
  port: config.PORT,
  host: config.HOST,
  drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
  build: async () => {
    const db = await openDatabase({
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
      dataDir: config.PGLITE_DATA_DIR,
      poolMax: config.DATABASE_POOL_MAX,
    })
    const cache = openCache({ url: config.REDIS_URL, keyPrefix: config.CACHE_KEY_PREFIX })
    const emitter = config.K_SINK ? createEmitter({ sinkUrl: config.K_SINK }) : undefined
    return buildApp({
      config,
      db,
      cache,
      ...(emitter && { emit: (event) => emitter.emit(event) }),
      apiKeys,
      adminKeys,
    })
  },
})

/** Parsed keys, re-parsed only when the secret's value changes (rotation without restart). */
function keyList(source: { value(): string | undefined }) {
  let raw: string | undefined
  let parsed = parseApiKeys(undefined)
  return () => {
    const value = source.value()
    if (value !== raw) {
      raw = value
      parsed = parseApiKeys(value)
    }
    return parsed
  }
}
