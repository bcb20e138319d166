import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { KitCache } from './KitCache.ts'

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void

/**
 * A `@fastify/rate-limit` store over the shared Cache (Redis across replicas, or in-process), so
 * every replica counts against one limit. The cache's sliding window decides; the answer is
 * translated into what the plugin expects: the count so far and ms until the caller may retry.
 */
export function cacheRateLimitStore(cache: Pick<KitCache, 'rateLimit'>): FastifyRateLimitStoreCtor {
  class CacheRateLimitStore implements FastifyRateLimitStore {
    readonly prefix: string

    constructor(_options?: unknown, prefix = 'ratelimit:') {
      this.prefix = prefix
    }

    incr(key: string, callback: IncrCallback, timeWindow?: number, max?: number): void {
      const limit = max ?? 1
      const windowMs = timeWindow ?? 60_000
      cache.rateLimit(this.prefix + key, limit, windowMs).then(
        (result) =>
          callback(null, {
            current: result.allowed ? limit - result.remaining : limit + 1,
            ttl: result.allowed ? windowMs : result.retryAfterMs,
          }),
        (err: Error) => callback(err),
      )
    }

    child(routeOptions: { method?: string | string[]; url?: string }): FastifyRateLimitStore {
      const method = Array.isArray(routeOptions.method) ? routeOptions.method.join(',') : routeOptions.method
      // Each route counts separately; `createRateLimit()` limiters (no route) share one space.
      const scope = routeOptions.url ? `${method} ${routeOptions.url}` : 'custom'
      return new CacheRateLimitStore(undefined, `${this.prefix}${scope}:`)
    }
  }
  return CacheRateLimitStore
}
