// The service as the benchmarks build it, and what they seed it with.
import { fileURLToPath } from 'node:url'
import { createEmitter } from '@agent-sre/events'
import { loadConfig, logDestination, type ServiceInstance } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import { buildApp } from '../src/app.ts'
import { ExperimentsConfigSchema } from '../src/config.ts'

/**
 * The app with default settings on PGlite in memory, or Postgres when DATABASE_URL is set, in a
 * fixed schema emptied on start (repeated runs against a shared Postgres leave nothing behind),
 * and Redis when REDIS_URL is set. Its access log goes to `logFile`; its exposure events to
 * `sinkUrl` (the broker's ingress in production), or nowhere (counted `unrouted`) without one.
 */
export async function benchApp(
  schema: string,
  logFile = '/dev/null',
  sinkUrl?: string,
): Promise<ServiceInstance> {
  const db = await openDatabase({
    url: process.env.DATABASE_URL,
    schema,
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  })
  await db.query('truncate experiments, flags, audit_log, assignments')
  return buildApp({
    config: loadConfig(ExperimentsConfigSchema),
    db,
    cache: openCache({ url: process.env.REDIS_URL, keyPrefix: `${schema}-${Date.now()}-` }),
    logDestination: logDestination(logFile),
    ...(sinkUrl && { emitter: createEmitter({ sinkUrl }) }),
  })
}

export const experimentSeed = {
  url: '/admin/experiments',
  payload: {
    key: 'checkout-button',
    status: 'ACTIVE',
    variants: [
      { key: 'control', weight: 50 },
      { key: 'treatment', weight: 50 },
    ],
  },
}

export const flagSeed = {
  url: '/admin/flags',
  payload: {
    key: 'new-checkout',
    enabled: true,
    valueType: 'boolean',
    defaultValue: false,
    rolloutPercentage: 100,
    variants: [{ key: 'on', value: true, weight: 100 }],
    targeting: { attribute: 'plan', op: 'in', value: ['pro', 'enterprise'] },
  },
}

/** Creates each through the admin API; anything but 201 stops the benchmark. */
export async function seed(
  app: ServiceInstance,
  ...seeds: { url: string; payload: object }[]
): Promise<void> {
  for (const { url, payload } of seeds) {
    const res = await app.inject({ method: 'POST', url, payload })
    if (res.statusCode !== 201) throw new Error(`seeding ${url}: ${res.statusCode} ${res.body}`)
  }
}
