import { type Cache, openCache } from '@agent-sre/store'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigCache } from '../../src/adapters/ConfigCache.ts'
import { ConfigRepository } from '../../src/adapters/ConfigRepository.ts'
import { flagBody, requireServiceEnv, testApp, testDatabase } from '../helpers.ts'

const redisUrl = requireServiceEnv('REDIS_URL')
const silent = { warn() {}, error() {} }
const until = async (condition: () => Promise<boolean>, timeoutMs = 1000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('ConfigCache', () => {
  let repository: ConfigRepository
  let db: Awaited<ReturnType<typeof testDatabase>>
  beforeAll(async () => {
    db = await testDatabase()
    repository = new ConfigRepository(db)
  })
  afterAll(async () => {
    await db.close()
  })

  it('serves hits from memory, counts hits and misses, and reloads after the TTL', async () => {
    let now = 0
    const registry = new Registry()
    const cache = new ConfigCache({
      repository,
      cache: openCache(),
      ttlMs: 300_000,
      registry,
      logger: silent,
      now: () => now,
    })
    await repository.create('flag', 'ttl', { ...flagBody, key: 'ttl', rolloutPercentage: 100 }, 'test')
    expect((await cache.flag('ttl'))?.version).toBe(1)
    // Changed behind the cache's back (no notification): still the cached version…
    await repository.update('flag', 'ttl', { ...flagBody, key: 'ttl', enabled: false }, 1, 'test')
    expect((await cache.flag('ttl'))?.version).toBe(1)
    // …until the safety-net TTL expires.
    now += 300_001
    expect((await cache.flag('ttl'))?.version).toBe(2)
    const metric = await registry.getSingleMetric('agentsre_experiments_config_cache_lookups_total')!.get()
    const count = (result: string) =>
      metric.values.find((v) => v.labels.result === result && v.labels.kind === 'flag')?.value
    expect([count('hit'), count('miss')]).toEqual([1, 2])
  })

  it('keeps an entry 5 minutes in the app as configured by default (the safety net for a lost message)', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const ctx = await testApp({ now: () => now })
    try {
      const key = 'ttl-default'
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/admin/flags',
        payload: { ...flagBody, key },
      })
      expect(created.statusCode).toBe(201)
      const reason = async () =>
        (await ctx.app.inject({ method: 'POST', url: `/flags/${key}/evaluate`, payload: {} })).json().reason
      expect(await reason()).toBe('STATIC')
      // Switched off behind the cache's back: no change message reaches this replica.
      const off = { ...flagBody, key, enabled: false, rolloutPercentage: 100 }
      expect((await new ConfigRepository(ctx.db).update('flag', key, off, 1, 'test')).status).toBe('ok')
      now += 299_999
      expect(await reason()).toBe('STATIC')
      now += 2
      expect(await reason()).toBe('DISABLED')
    } finally {
      await ctx.app.close()
    }
  })

  it('caches unknown keys too, so a flood of them does not reach the database', async () => {
    const cache = new ConfigCache({
      repository,
      cache: openCache(),
      registry: new Registry(),
      logger: silent,
    })
    let reads = 0
    const counting = new ConfigRepository({
      ...db,
      query: (sql: string, params?: readonly unknown[]) => {
        reads++
        return db.query(sql, params)
      },
    } as typeof db)
    const guarded = new ConfigCache({
      repository: counting,
      cache: openCache(),
      registry: new Registry(),
      logger: silent,
    })
    await Promise.all(Array.from({ length: 20 }, () => guarded.flag('never-there')))
    await guarded.flag('never-there')
    expect(reads).toBe(1)
    expect(await cache.experiment('never-there')).toBeUndefined()
  })

  describe.each([
    { name: 'in-process cache (one replica)', url: undefined, enabled: true },
    { name: 'Redis pub/sub (two replicas)', url: redisUrl, enabled: Boolean(redisUrl) },
  ])('invalidation through $name', ({ url, enabled }) => {
    let caches: Cache[] = []
    afterAll(async () => {
      await Promise.all(caches.map((c) => c.close()))
    })

    it.skipIf(!enabled)('drops the entry on every replica within a second of a change', async () => {
      const prefix = `cc-${Date.now()}-`
      const shared = openCache({ url, keyPrefix: prefix })
      const second = url ? openCache({ url, keyPrefix: prefix }) : shared
      caches = url ? [shared, second] : [shared]
      const a = new ConfigCache({ repository, cache: shared, registry: new Registry(), logger: silent })
      const b = new ConfigCache({ repository, cache: second, registry: new Registry(), logger: silent })
      await a.start()
      await b.start()
      const key = `inv-${url ? 'redis' : 'mem'}`
      await repository.create('flag', key, { ...flagBody, key }, 'test')
      expect((await b.flag(key))?.version).toBe(1)
      expect((await b.flagSet()).flags.get(key)?.version).toBe(1)
      const etag = (await b.flagSet()).etag

      await repository.update('flag', key, { ...flagBody, key, enabled: false }, 1, 'test')
      const changedAt = Date.now()
      await a.changed('flag', key)
      await until(async () => (await b.flag(key))?.version === 2)
      expect(Date.now() - changedAt).toBeLessThan(1000)
      expect((await b.flagSet()).etag).not.toBe(etag)
      await a.close()
      await b.close()
    })
  })
})
