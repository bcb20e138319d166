import type { StoreLogger } from './Logger.ts'
import type { RateLimitResult } from './SlidingWindow.ts'

export type MessageHandler = (message: string) => void
export type Unsubscribe = () => Promise<void>

export interface Cache {
  readonly kind: 'redis' | 'memory'
  /** Stores `value` only when `key` is absent (SET NX PX). True when stored — use it to deduplicate. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /**
   * `setIfAbsent` for each `[key, value]`, in order, in one round trip (one Lua script on Redis).
   * One result per entry; a key repeated in `entries` is stored by its first entry only. Not one
   * transaction across keys: each key is claimed on its own, as with separate calls.
   */
  setManyIfAbsent(
    entries: readonly (readonly [key: string, value: string])[],
    ttlMs: number,
  ): Promise<boolean[]>
  get(key: string): Promise<string | undefined>
  /** True when the key existed. */
  delete(key: string): Promise<boolean>
  /**
   * Adds one and returns the new count. The expiry is set when the counter is created and not
   * extended by later increments, so it counts per fixed window of `ttlMs`.
   */
  increment(key: string, ttlMs: number): Promise<number>
  /** Counts one request against `limit` per sliding `windowMs`; denied requests are not counted. */
  rateLimit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>
  publish(channel: string, message: string): Promise<void>
  /** Resolves once subscribed. Handlers run asynchronously; one that throws is logged, not fatal. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>
  /** Readiness: resolves when the backend answers in time, else rejects with StoreUnavailableError. */
  check(): Promise<void>
  /** Quits the connections (or stops the sweeper). Idempotent. */
  close(): Promise<void>
}

export interface CacheOptions {
  /** Redis URL (`REDIS_URL`); unset or empty → in-process cache. */
  url?: string | undefined
  /** Prepended to every key and channel, to share one Redis between services. Default ''. */
  keyPrefix?: string | undefined
  /** Memory only: entries kept at most; the least recently used goes first. Default 10000. */
  maxEntries?: number | undefined
  /** Memory only: how often expired entries are swept. Default 30000 ms. */
  sweepIntervalMs?: number | undefined
  /** Redis only: a command without a reply in this time fails. Default 2000 ms. */
  commandTimeoutMs?: number | undefined
  /** Deadline for `check()`. Default 1000 ms. */
  checkTimeoutMs?: number | undefined
  logger?: StoreLogger | undefined
}

export const CACHE_DEFAULTS = Object.freeze({
  keyPrefix: '',
  maxEntries: 10_000,
  sweepIntervalMs: 30_000,
  commandTimeoutMs: 2000,
  checkTimeoutMs: 1000,
})

export const assertTtl = (ttlMs: number): void => {
  if (!Number.isInteger(ttlMs) || ttlMs < 1)
    throw new RangeError(`ttlMs must be an integer ≥ 1, got ${ttlMs}`)
}
