import { EventEmitter } from 'node:events'
import { assertTtl, CACHE_DEFAULTS, type Cache, type MessageHandler, type Unsubscribe } from './Cache.ts'
import { describeError, type StoreLogger, silentLogger } from './Logger.ts'
import { assertRateLimit, describeWindow, hitWindow, type WindowState } from './SlidingWindow.ts'
import { StoreUnavailableError } from './StoreUnavailableError.ts'

interface Entry {
  value: string | WindowState
  expiresAt: number
}

export interface MemoryCacheOptions {
  maxEntries?: number | undefined
  sweepIntervalMs?: number | undefined
  logger?: StoreLogger | undefined
}

/**
 * In-process cache for one process and one instance: nothing is shared between replicas or
 * survives a restart. Bounded: at most `maxEntries` (least recently used evicted first), and
 * expired entries are swept on a timer as well as on access.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory'
  readonly #entries = new Map<string, Entry>()
  readonly #events = new EventEmitter()
  readonly #maxEntries: number
  readonly #sweeper: NodeJS.Timeout
  readonly #logger: StoreLogger
  #closed = false

  constructor(options: MemoryCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? CACHE_DEFAULTS.maxEntries
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${this.#maxEntries}`)
    }
    this.#logger = options.logger ?? silentLogger
    this.#events.setMaxListeners(0)
    this.#sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? CACHE_DEFAULTS.sweepIntervalMs)
    this.#sweeper.unref()
  }

  /** Entries held, expired or not (for tests and metrics). */
  get size(): number {
    return this.#entries.size
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = Date.now()
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen()
    assertTtl(ttlMs)
    if (this.#live(key)) return false
    this.#store(key, { value, expiresAt: Date.now() + ttlMs })
    return true
  }

  async setManyIfAbsent(
    entries: readonly (readonly [key: string, value: string])[],
    ttlMs: number,
  ): Promise<boolean[]> {
    this.#assertOpen()
    assertTtl(ttlMs)
    const expiresAt = Date.now() + ttlMs
    return entries.map(([key, value]) => {
      if (this.#live(key)) return false
      this.#store(key, { value, expiresAt })
      return true
    })
  }

  async get(key: string): Promise<string | undefined> {
    this.#assertOpen()
    const entry = this.#live(key)
    if (entry === undefined) return undefined
    if (typeof entry.value !== 'string') throw new TypeError(`key ${key} holds a rate limiter, not a value`)
    return entry.value
  }

  async delete(key: string): Promise<boolean> {
    this.#assertOpen()
    const existed = this.#live(key) !== undefined
    this.#entries.delete(key)
    return existed
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    this.#assertOpen()
    assertTtl(ttlMs)
    const entry = this.#live(key)
    if (entry === undefined) {
      this.#store(key, { value: '1', expiresAt: Date.now() + ttlMs })
      return 1
    }
    const count =
      typeof entry.value === 'string' && /^-?\d+$/.test(entry.value) ? Number(entry.value) + 1 : Number.NaN
    if (!Number.isSafeInteger(count)) throw new TypeError(`key ${key} does not hold an integer`)
    this.#store(key, { value: String(count), expiresAt: entry.expiresAt })
    return count
  }

  async rateLimit(key: string, limit: number, windowMs: number) {
    this.#assertOpen()
    assertRateLimit(limit, windowMs)
    const entry = this.#live(key)
    if (entry !== undefined && typeof entry.value === 'string') {
      throw new TypeError(`key ${key} holds a value, not a rate limiter`)
    }
    const now = Date.now()
    const hit = hitWindow(entry?.value as WindowState | undefined, now, limit, windowMs)
    // Kept to the end of the next window, where it still weighs as the previous one.
    this.#store(key, { value: hit.state, expiresAt: now + 2 * windowMs - hit.elapsedMs })
    return describeWindow(hit, limit, windowMs)
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#assertOpen()
    // Delivered after publish returns, as with Redis: a handler never runs inside its publisher.
    queueMicrotask(() => this.#events.emit(channel, message))
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.#assertOpen()
    const listener = (message: string) => {
      try {
        handler(message)
      } catch (error) {
        this.#logger.error({ channel, err: describeError(error) }, 'cache subscriber failed')
      }
    }
    this.#events.on(channel, listener)
    return async () => {
      this.#events.off(channel, listener)
    }
  }

  async check(): Promise<void> {
    if (this.#closed) throw new StoreUnavailableError('memory', 'cache is closed')
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    this.#entries.clear()
    this.#events.removeAllListeners()
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('memory', 'cache is closed')
  }

  /** The unexpired entry, marked most recently used; an expired one is dropped on the way. */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= Date.now()) return undefined
    this.#entries.set(key, entry)
    return entry
  }

  #store(key: string, entry: Entry): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) {
      // Map iterates in insertion order and every access re-inserts: the first key is the LRU.
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, entry)
  }
}
