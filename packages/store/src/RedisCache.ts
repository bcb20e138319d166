import { Redis } from 'ioredis'
import { assertTtl, CACHE_DEFAULTS, type Cache, type MessageHandler, type Unsubscribe } from './Cache.ts'
import { describeError, type StoreLogger, silentLogger } from './Logger.ts'
import { assertRateLimit, describeWindow, type RateLimitResult } from './SlidingWindow.ts'
import { probe } from './StoreUnavailableError.ts'

// INCR then PEXPIRE in one script: a crash between the two would leave a counter that never expires.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`

// SET NX PX per key, in order: N claims in one command (one round trip, one reply) instead of N.
// ARGV[1] is the TTL, ARGV[i + 1] the value of KEYS[i].
const SET_MANY_IF_ABSENT = `
local result = {}
for i = 1, #KEYS do
  result[i] = redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1], 'NX') and 1 or 0
end
return result`

// SlidingWindow.hitWindow, step for step, on the server clock shared by all replicas.
const RATE_LIMIT = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local index = math.floor(now / window)
local elapsed = now - index * window
local stored = redis.call('HMGET', KEYS[1], 'i', 'p', 'c')
local i = tonumber(stored[1])
local previous, current = 0, 0
if i == index then
  previous, current = tonumber(stored[2]), tonumber(stored[3])
elseif i == index - 1 then
  previous = tonumber(stored[3])
end
local allowed = 0
if (previous * (window - elapsed)) / window + current + 1 <= limit then
  allowed = 1
  current = current + 1
end
redis.call('HSET', KEYS[1], 'i', index, 'p', previous, 'c', current)
redis.call('PEXPIRE', KEYS[1], 2 * window - elapsed)
return {allowed, previous, current, elapsed}`

interface Scripts {
  // The key count comes first: ioredis prefixes the keys of a script called this way too.
  agentsreSetManyIfAbsent(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number[]>
  agentsreIncrement(key: string, ttlMs: number): Promise<number>
  agentsreRateLimit(key: string, windowMs: number, limit: number): Promise<[number, number, number, number]>
}

export interface RedisCacheOptions {
  url: string
  keyPrefix?: string | undefined
  commandTimeoutMs?: number | undefined
  checkTimeoutMs?: number | undefined
  logger?: StoreLogger | undefined
}

interface Subscription {
  handlers: Set<MessageHandler>
  ready: Promise<unknown>
}

/**
 * Cache on Redis through ioredis. Keys get `keyPrefix` from ioredis itself (scripts included);
 * channels get it here, since ioredis does not prefix pub/sub. Subscriptions use a second
 * connection (a subscribed connection can run nothing else), opened on first subscribe.
 */
export class RedisCache implements Cache {
  readonly kind = 'redis'
  readonly #redis: Redis & Scripts
  readonly #keyPrefix: string
  readonly #checkTimeoutMs: number
  readonly #logger: StoreLogger
  readonly #subscriptions = new Map<string, Subscription>()
  #subscriber: Redis | undefined
  #closing: Promise<void> | undefined

  constructor(options: RedisCacheOptions) {
    this.#keyPrefix = options.keyPrefix ?? CACHE_DEFAULTS.keyPrefix
    this.#checkTimeoutMs = options.checkTimeoutMs ?? CACHE_DEFAULTS.checkTimeoutMs
    this.#logger = options.logger ?? silentLogger
    const redis = new Redis(options.url, {
      keyPrefix: this.#keyPrefix,
      commandTimeout: options.commandTimeoutMs ?? CACHE_DEFAULTS.commandTimeoutMs,
      // Fail fast while Redis is away instead of queueing callers through 20 reconnects.
      maxRetriesPerRequest: 2,
      // Concurrent requests (dedup, counters on a hot path) share round trips.
      enableAutoPipelining: true,
    })
    redis.defineCommand('agentsreSetManyIfAbsent', { lua: SET_MANY_IF_ABSENT })
    redis.defineCommand('agentsreIncrement', { numberOfKeys: 1, lua: INCREMENT })
    redis.defineCommand('agentsreRateLimit', { numberOfKeys: 1, lua: RATE_LIMIT })
    this.#watch(redis, 'redis')
    this.#redis = redis as Redis & Scripts
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs)
    return (await this.#redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK'
  }

  async setManyIfAbsent(
    entries: readonly (readonly [key: string, value: string])[],
    ttlMs: number,
  ): Promise<boolean[]> {
    assertTtl(ttlMs)
    if (entries.length === 0) return []
    const args: (string | number)[] = entries.map(([key]) => key)
    args.push(ttlMs)
    for (const [, value] of entries) args.push(value)
    const stored = await this.#redis.agentsreSetManyIfAbsent(entries.length, ...args)
    return stored.map((s) => s === 1)
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#redis.get(key)) ?? undefined
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.del(key)) > 0
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtl(ttlMs)
    return this.#redis.agentsreIncrement(key, ttlMs)
  }

  async rateLimit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    assertRateLimit(limit, windowMs)
    const [allowed, previous, current, elapsedMs] = await this.#redis.agentsreRateLimit(key, windowMs, limit)
    // `index` only matters inside the script; describeWindow does not read it.
    const hit = { state: { index: 0, previous, current }, allowed: allowed === 1, elapsedMs }
    return describeWindow(hit, limit, windowMs)
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#redis.publish(this.#keyPrefix + channel, message)
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    const name = this.#keyPrefix + channel
    const subscriber = this.#subscriberConnection()
    let subscription = this.#subscriptions.get(name)
    if (subscription === undefined) {
      const created: Subscription = { handlers: new Set(), ready: subscriber.subscribe(name) }
      subscription = created
      this.#subscriptions.set(name, created)
      created.ready.catch(() => {
        if (this.#subscriptions.get(name) === created) this.#subscriptions.delete(name)
      })
    }
    await subscription.ready
    const { handlers } = subscription
    // A distinct wrapper per call: subscribing the same function twice yields two deliveries.
    const entry: MessageHandler = (message) => handler(message)
    handlers.add(entry)
    return async () => {
      if (!handlers.delete(entry) || handlers.size > 0) return
      this.#subscriptions.delete(name)
      await subscriber.unsubscribe(name)
    }
  }

  check(): Promise<void> {
    return probe('redis', this.#checkTimeoutMs, () => this.#redis.ping())
  }

  close(): Promise<void> {
    this.#closing ??= Promise.all([quit(this.#redis), this.#subscriber && quit(this.#subscriber)]).then(
      () => undefined,
    )
    return this.#closing
  }

  #subscriberConnection(): Redis {
    if (this.#subscriber === undefined) {
      const subscriber = this.#redis.duplicate()
      subscriber.on('message', (channel: string, message: string) => {
        for (const handler of this.#subscriptions.get(channel)?.handlers ?? []) {
          try {
            handler(message)
          } catch (error) {
            this.#logger.error({ channel, err: describeError(error) }, 'cache subscriber failed')
          }
        }
      })
      this.#watch(subscriber, 'redis subscriber')
      this.#subscriber = subscriber
    }
    return this.#subscriber
  }

  #watch(connection: Redis, role: string): void {
    // Without an 'error' listener ioredis prints every reconnect failure to stderr.
    connection.on('error', (error: Error) =>
      this.#logger.warn({ err: describeError(error) }, `${role} error`),
    )
    connection.on('ready', () => this.#logger.debug({}, `${role} ready`))
  }
}

const quit = async (connection: Redis): Promise<void> => {
  if (connection.status === 'end') return
  if (connection.status !== 'ready') {
    connection.disconnect()
    return
  }
  await connection.quit().catch(() => connection.disconnect())
}
