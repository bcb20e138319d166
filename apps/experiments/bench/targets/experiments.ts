// The experiments service as deployed (service kit, info-level access log to a file, RED
// metrics), with sticky persistence on: PGlite in memory, or Postgres when DATABASE_URL is set.
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { loadConfig, logDestination, runServer } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import { buildApp } from '../../src/app.ts'
import { ExperimentsConfigSchema } from '../../src/config.ts'

const app = await runServer({
  port: 0,
  host: '127.0.0.1',
  drainDelayMs: 0,
  build: async () => {
    // One fixed schema, emptied on start, so repeated runs against a shared Postgres leave nothing behind.
    const db = await openDatabase({
      url: process.env.DATABASE_URL,
      schema: 'experiments_bench',
      migrationsDir: fileURLToPath(new URL('../../migrations', import.meta.url)),
    })
    await db.query('truncate experiments, flags, audit_log, assignments')
    return buildApp({
      config: loadConfig(ExperimentsConfigSchema),
      db,
      cache: openCache({ url: process.env.REDIS_URL, keyPrefix: `bench-${Date.now()}-` }),
      logDestination: logDestination(process.env.BENCH_LOG_FILE ?? '/dev/null'),
    })
  },
})
const seed = [
  {
    url: '/admin/experiments',
    payload: {
      key: 'checkout-button',
      status: 'ACTIVE',
      variants: [
        { key: 'control', weight: 50 },
        { key: 'treatment', weight: 50 },
      ],
    },
  },
  {
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
  },
]
for (const { url, payload } of seed) {
  const res = await app.inject({ method: 'POST', url, payload })
  if (res.statusCode !== 201) throw new Error(`seeding ${url}: ${res.statusCode} ${res.body}`)
}
process.stderr.write(`experiments target: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}\n`)
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
