// Opens the experiments app from an environment: what src/server.ts serves and what the platform
// embeds, so the two cannot drift apart.

import { fileURLToPath } from 'node:url'
import { createEmitter } from '@agent-sre/events'
import { type Env, loadConfig, type ServiceInstance, secret, sinkUrlOf } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import type { Registry } from 'prom-client'
import { buildApp } from './app.ts'
import { ExperimentsConfigSchema } from './config.ts'
import { parseApiKeys } from './routes/auth.ts'

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))

export interface OpenAppOptions {
  /** Where the app's metrics go; default prom-client's global registry. */
  registry?: Registry
}

/**
 * Reads the config and API-key secrets from `env`, opens the database, cache and event sink and
 * builds the app (not listening). Closing the app releases all of it; if building fails, what
 * was already opened is released before the error is thrown.
 */
export async function openApp(
  env: Env = process.env,
  options: OpenAppOptions = {},
): Promise<ServiceInstance> {
  const config = loadConfig(ExperimentsConfigSchema, env)
  const opened: (() => unknown)[] = []
  try {
    // Secrets first: an unreadable key file fails start-up before any pool is opened.
    const apiKeys = secret('EXPERIMENTS_API_KEYS', { env })
    opened.push(() => apiKeys.close())
    const adminKeys = secret('EXPERIMENTS_ADMIN_API_KEYS', { env })
    opened.push(() => adminKeys.close())
    const db = await openDatabase({
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrationsDir: MIGRATIONS_DIR,
      dataDir: config.PGLITE_DATA_DIR,
      poolMax: config.DATABASE_POOL_MAX,
    })
    opened.push(() => db.close())
    const cache = openCache({ url: config.REDIS_URL, keyPrefix: config.CACHE_KEY_PREFIX })
    opened.push(() => cache.close())
    const sinkUrl = sinkUrlOf(config)
    const emitter = sinkUrl ? createEmitter({ sinkUrl }) : undefined
    const app = buildApp({
      config,
      db,
      cache,
      ...(options.registry && { registry: options.registry }),
      ...(emitter && { emitter }),
      apiKeys: keyList(apiKeys),
      adminKeys: keyList(adminKeys),
    })
    // The app closes the database, cache and emitter itself; the secrets' file watchers are ours.
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
