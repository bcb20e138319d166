import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryCache } from '../src/MemoryCache.ts'

describe('MemoryCache bounds', () => {
  let cache: MemoryCache
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(async () => {
    await cache.close()
    vi.useRealTimers()
  })

  it('never holds more than maxEntries, evicting the least recently used', async () => {
    cache = new MemoryCache({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) await cache.setIfAbsent(key, key, 60_000)
    await cache.get('a')
    await cache.setIfAbsent('d', 'd', 60_000)
    await cache.increment('e', 60_000)

    expect(cache.size).toBe(3)
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('c')).toBeUndefined()
    expect(await cache.get('a')).toBe('a')
    expect(await cache.get('d')).toBe('d')
    expect(await cache.get('e')).toBe('1')
  })

  it('sweeps expired entries on its timer, without them being read', async () => {
    cache = new MemoryCache({ sweepIntervalMs: 1000 })
    for (let i = 0; i < 100; i++) await cache.setIfAbsent(`short-${i}`, 'v', 500)
    await cache.setIfAbsent('long', 'v', 5000)
    await cache.rateLimit('limiter', 5, 300)
    expect(cache.size).toBe(102)

    await vi.advanceTimersByTimeAsync(1000)
    expect(cache.size).toBe(1)
    expect(await cache.get('long')).toBe('v')
  })

  it('keeps values and rate limiters from being mistaken for each other', async () => {
    cache = new MemoryCache()
    await cache.setIfAbsent('value', 'text', 1000)
    await cache.rateLimit('limiter', 5, 1000)
    await expect(cache.rateLimit('value', 5, 1000)).rejects.toThrow(/holds a value/)
    await expect(cache.get('limiter')).rejects.toThrow(/holds a rate limiter/)
    await expect(cache.increment('value', 1000)).rejects.toThrow(/does not hold an integer/)
  })
})
