import type { Cache, CacheOptions } from './Cache.ts'
import { MemoryCache } from './MemoryCache.ts'
import { RedisCache } from './RedisCache.ts'

/**
 * Opens the service's cache: Redis when `url` is set, in-process otherwise. Returns at once;
 * the Redis connection is made (and remade) in the background — `check()` tells readiness.
 */
export const openCache = (options: CacheOptions = {}): Cache => {
  const url = options.url?.trim()
  return url ? new RedisCache({ ...options, url }) : new MemoryCache(options)
}
