import { fileURLToPath } from 'node:url'
import { createEmitter } from '@agent-sre/events'
import { type Env, loadConfig, secret } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import type { Registry } from 'prom-client'
import { buildApp } from '../../../experiments/src/app.ts'
import { ExperimentsConfigSchema } from '../../../experiments/src/config.ts'
import { parseApiKeys } from '../../../experiments/src/routes/auth.ts'

const MIGRATIONS = fileURLToPath(new URL('../../../experiments/migrations', import.meta.url))

/** The experiments service as `apps/experiments/src/server.ts` builds it. */
export async function build(env: Env, registry: Registry) {
  const config = loadConfig(ExperimentsConfigSchema, env)
  // Released in reverse if building fails; once built, the app closes the database and cache.
  const opened: (() => unknown)[] = []
  try {
    const db = await openDatabase({
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrationsDir: MIGRATIONS,
      dataDir: config.PGLITE_DATA_DIR,
      poolMax: config.DATABASE_POOL_MAX,
    })
    opened.push(() => db.close())
    const cache = openCache({ url: config.REDIS_URL, keyPrefix: config.CACHE_KEY_PREFIX })
    opened.push(() => cache.close())
    const apiKeys = secret('EXPERIMENTS_API_KEYS', { env })
    opened.push(() => apiKeys.close())
    const adminKeys = secret('EXPERIMENTS_ADMIN_API_KEYS', { env })
    opened.push(() => adminKeys.close())
    const emitter = config.K_SINK ? createEmitter({ sinkUrl: config.K_SINK }) : undefined
    const app = buildApp({
      config,
      db,
      cache,
      registry,
      ...(emitter && { emit: (event) => emitter.emit(event) }),
      apiKeys: keyList(apiKeys),
      adminKeys: keyList(adminKeys),
    })
    app.addHook('onClose', async () => {
      apiKeys.close()
      adminKeys.close()
    })
    return app
  } catch (err) {
    await Promise.allSettled(opened.reverse().map(async (close) => close()))
    throw err
  }
}

/** Keys re-parsed only when the secret's value changes (rotation without restart). */
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
