import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Cache, type CacheOptions, isStoreUnavailableError, openCache } from '../src/index.ts'
import { freshSchemaName, requireServiceEnv } from '../src/testing.ts'

const redisUrl = requireServiceEnv('REDIS_URL')

/** Collects messages and lets a test wait until n have arrived, without sleeping. */
const inbox = () => {
  const messages: string[] = []
  const waiters: Array<() => void> = []
  return {
    messages,
    handler: (message: string) => {
      messages.push(message)
      for (const wake of waiters.splice(0)) wake()
    },
    until: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (messages.length >= count ? resolve() : waiters.push(check))
        check()
      }),
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  )

/**
 * The same behaviour against the in-process cache (fake timers) and a real Redis (real time,
 * short TTLs). `advance` moves time forward either way.
 */
const cacheSuite = (
  kind: 'memory' | 'redis',
  url: string | undefined,
  advance: (ms: number) => Promise<unknown>,
) => {
  const opened: Cache[] = []
  const open = (options: CacheOptions = {}) => {
    const cache = openCache({ url, keyPrefix: `${freshSchemaName('cache')}:`, ...options })
    opened.push(cache)
    return cache
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close()))
  })

  it('setIfAbsent stores once, until the entry expires', async () => {
    const cache = open()
    expect(cache.kind).toBe(kind)
    expect(await cache.setIfAbsent('dedup', 'first', 200)).toBe(true)
    expect(await cache.setIfAbsent('dedup', 'second', 200)).toBe(false)
    expect(await cache.get('dedup')).toBe('first')
    await advance(250)
    expect(await cache.get('dedup')).toBeUndefined()
    expect(await cache.setIfAbsent('dedup', 'third', 200)).toBe(true)
    expect(await cache.get('dedup')).toBe('third')
  })

  it('setManyIfAbsent claims each key once, in order, until it expires', async () => {
    const cache = open()
    expect(await cache.setIfAbsent('b', 'earlier', 10_000)).toBe(true)
    expect(
      await cache.setManyIfAbsent(
        [
          ['a', 'a1'],
          ['b', 'b1'],
          ['c', 'c1'],
          ['a', 'a2'],
        ],
        200,
      ),
    ).toEqual([true, false, true, false])
    expect(await cache.get('a')).toBe('a1')
    expect(await cache.get('b')).toBe('earlier')
    expect(await cache.get('c')).toBe('c1')
    expect(await cache.setIfAbsent('c', 'c2', 200)).toBe(false)
    expect(await cache.setManyIfAbsent([], 200)).toEqual([])
    await advance(250)
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('b')).toBe('earlier') // its own, longer TTL was not touched
    expect(
      await cache.setManyIfAbsent(
        [
          ['a', 'a3'],
          ['b', 'b3'],
        ],
        200,
      ),
    ).toEqual([true, false])
    expect(await cache.get('a')).toBe('a3')
  })

  it('setManyIfAbsent takes a thousand keys in one call', async () => {
    const cache = open()
    const entries = Array.from({ length: 1000 }, (_, i) => [`k${i}`, `v${i}`] as const)
    expect((await cache.setManyIfAbsent(entries, 10_000)).every(Boolean)).toBe(true)
    expect((await cache.setManyIfAbsent(entries, 10_000)).some(Boolean)).toBe(false)
    expect(await cache.get('k999')).toBe('v999')
  })

  it('delete reports whether the key existed and frees it for setIfAbsent', async () => {
    const cache = open()
    await cache.setIfAbsent('k', 'v', 10_000)
    expect(await cache.delete('k')).toBe(true)
    expect(await cache.delete('k')).toBe(false)
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.setIfAbsent('k', 'v2', 10_000)).toBe(true)
  })

  it('rejects a TTL that is not a positive integer', async () => {
    const cache = open()
    await expect(cache.setIfAbsent('k', 'v', 0)).rejects.toThrow(RangeError)
    await expect(cache.setManyIfAbsent([['k', 'v']], -1)).rejects.toThrow(RangeError)
    await expect(cache.increment('k', 1.5)).rejects.toThrow(RangeError)
  })

  it('counters expire one TTL after creation, not after the last increment', async () => {
    const cache = open()
    expect(await cache.increment('hits', 400)).toBe(1)
    await advance(150)
    expect(await cache.increment('hits', 400)).toBe(2)
    await advance(350)
    expect(await cache.increment('hits', 400)).toBe(1)
  })

  it('concurrent increments each get a distinct count', async () => {
    const cache = open()
    const counts = await Promise.all(Array.from({ length: 50 }, () => cache.increment('burst', 10_000)))
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })

  it('rate limiter allows up to the limit, denies with a retry delay, then allows again', async () => {
    const cache = open()
    const results = []
    for (let i = 0; i < 4; i++) results.push(await cache.rateLimit('client', 3, 500))
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    const denied = results[3]!
    expect(denied.retryAfterMs).toBeGreaterThan(0)
    expect(denied.retryAfterMs).toBeLessThanOrEqual(1000)
    expect(results.slice(0, 3).every((r) => r.retryAfterMs === 0)).toBe(true)

    await advance(denied.retryAfterMs)
    expect((await cache.rateLimit('client', 3, 500)).allowed).toBe(true)

    // Two whole windows later nothing weighs any more.
    await advance(1000)
    expect(await cache.rateLimit('client', 3, 500)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 })
    // Limits are per key.
    expect((await cache.rateLimit('other-client', 3, 500)).remaining).toBe(2)
  })

  it('delivers published messages to every subscriber of the channel until it unsubscribes', async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const cache = open({ logger })
    const a = inbox()
    const b = inbox()
    const other = inbox()
    const unsubscribeA = await cache.subscribe('config', a.handler)
    await cache.subscribe('config', b.handler)
    await cache.subscribe('config', () => {
      throw new Error('handler bug')
    })
    await cache.subscribe('other', other.handler)

    await cache.publish('config', 'one')
    await Promise.all([a.until(1), b.until(1)])
    await unsubscribeA()
    await unsubscribeA()
    await cache.publish('config', 'two')
    await cache.publish('other', 'elsewhere')
    await Promise.all([b.until(2), other.until(1)])

    expect(a.messages).toEqual(['one'])
    expect(b.messages).toEqual(['one', 'two'])
    expect(other.messages).toEqual(['elsewhere'])
    expect(logger.error).toHaveBeenCalledWith(
      { channel: expect.stringMatching(/config$/), err: { message: 'handler bug' } },
      'cache subscriber failed',
    )
  })

  it('check() resolves while open and rejects with StoreUnavailableError once closed', async () => {
    const cache = open()
    await expect(cache.check()).resolves.toBeUndefined()
    await cache.close()
    await cache.close()
    const failure = await failureOf(cache.check())
    expect(isStoreUnavailableError(failure)).toBe(true)
    expect(String(failure)).toMatch(new RegExp(`${kind} is unavailable`))
    await expect(cache.get('k')).rejects.toThrow()
  })

  it.runIf(kind === 'redis')('keyPrefix keeps services sharing one Redis apart', async () => {
    const alerts = open({ keyPrefix: `${freshSchemaName('alerts')}:` })
    const tickets = open({ keyPrefix: `${freshSchemaName('tickets')}:` })
    expect(await alerts.setIfAbsent('same-key', 'alerts', 10_000)).toBe(true)
    expect(await tickets.setIfAbsent('same-key', 'tickets', 10_000)).toBe(true)
    expect(await alerts.get('same-key')).toBe('alerts')
    // Keys of the batch script are prefixed too.
    expect(await alerts.setManyIfAbsent([['batch', 'alerts']], 10_000)).toEqual([true])
    expect(
      await tickets.setManyIfAbsent(
        [
          ['batch', 'tickets'],
          ['same-key', 'x'],
        ],
        10_000,
      ),
    ).toEqual([true, false])
    expect(await alerts.get('batch')).toBe('alerts')

    const heard = inbox()
    await tickets.subscribe('events', heard.handler)
    await alerts.publish('events', 'for alerts only')
    await tickets.publish('events', 'for tickets')
    await heard.until(1)
    expect(heard.messages).toEqual(['for tickets'])
  })
}

describe('memory cache', () => {
  beforeEach(() => {
    // Window-aligned start, so the rate limiter's fixed windows are predictable.
    vi.useFakeTimers({ now: new Date('2024-01-01T00:00:00.000Z') })
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  cacheSuite('memory', undefined, (ms) => vi.advanceTimersByTimeAsync(ms))
})

describe.skipIf(!redisUrl)('redis cache', () => {
  cacheSuite('redis', redisUrl, (ms) => new Promise((resolve) => setTimeout(resolve, ms)))
})

describe('openCache', () => {
  it('rejects check() and commands quickly when Redis is unreachable', async () => {
    const cache = openCache({
      url: 'redis://:s3cret@127.0.0.1:1',
      checkTimeoutMs: 300,
      commandTimeoutMs: 500,
    })
    try {
      const started = Date.now()
      const failure = await failureOf(cache.check())
      expect(Date.now() - started).toBeLessThan(1500)
      expect(isStoreUnavailableError(failure)).toBe(true)
      expect(String(failure)).toMatch(/^StoreUnavailableError: redis is unavailable: /)
      expect(String(failure)).not.toContain('s3cret')
      await expect(cache.setIfAbsent('k', 'v', 1000)).rejects.toThrow()
    } finally {
      await cache.close()
    }
  })

  it('falls back to the in-process cache when the url is unset or empty', async () => {
    const cache = openCache({ url: '' })
    expect(cache.kind).toBe('memory')
    await cache.close()
  })
})
