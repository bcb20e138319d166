import { fileURLToPath } from 'node:url'
import { type Cache, type Database, openCache, openDatabase } from '@agent-sre/store'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { type AppOptions, buildApp } from '../src/app.ts'

export { requireServiceEnv } from '@agent-sre/store/testing'

export const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url))

/** PGlite (or DATABASE_URL when given) in a fresh schema, with this service's migrations. */
export async function testDatabase(url?: string): Promise<Database> {
  return openDatabase({ url, schema: freshSchemaName('experiments'), migrationsDir: MIGRATIONS })
}

export async function testApp(
  overrides: Partial<AppOptions> & { databaseUrl?: string; redisUrl?: string } = {},
) {
  const db: Database = overrides.db ?? (await testDatabase(overrides.databaseUrl))
  const cache: Cache =
    overrides.cache ?? openCache({ url: overrides.redisUrl, keyPrefix: `test-${Date.now()}-` })
  const registry = overrides.registry ?? new Registry()
  const app = buildApp({
    config: { LOG_LEVEL: 'silent', ASSIGNMENT_FLUSH_INTERVAL_MS: 10, ...overrides.config },
    ...overrides,
    db,
    cache,
    registry,
  })
  await app.ready()
  return { app, db, cache, registry }
}

export const experimentBody = {
  key: 'checkout-button',
  status: 'ACTIVE',
  variants: [
    { key: 'control', weight: 50 },
    { key: 'treatment', weight: 50 },
  ],
}

export const flagBody = {
  key: 'new-nav',
  enabled: true,
  valueType: 'boolean',
  defaultValue: false,
  variants: [{ key: 'on', value: true, weight: 100 }],
}
