/**
 * A bounded, approximately least-recently-used map with a per-entry expiry. Map preserves
 * insertion order, so moving an entry to the young end is a delete and a re-insert, and the
 * oldest entry is the next key of an iterator that follows the front.
 *
 * Two V8 Map costs are avoided on purpose (both measured at 100k entries, where they made a read
 * take ~160 µs and an evicting write ~40 µs):
 * - Re-inserting a key on every read leaves one deleted slot per read in that key's hash chain
 *   until the next rehash, so a hot key's lookups grow linear. A read moves an entry only when
 *   it has aged by half the capacity in insertions; so an entry read within the last max/2
 *   insertions is never evicted (an exact LRU guarantees max).
 * - `keys().next()` on a fresh iterator skips every deleted slot at the front of the table, which
 *   eviction keeps filling. One long-lived iterator resumes where it stopped (Map iterators see
 *   later insertions and skip deletions, by specification).
 *
 * No object per entry: the map holds a slot number, and a slot's value, expiry and insertion
 * clock live in parallel arrays (two of them typed, outside the JS heap), reused through a free
 * list. At thousands of new entries per second an entry object and its boxed expiry were two of
 * the few objects every request left behind for the young-generation collector to copy.
 */
export class Lru<K, V> {
  readonly #slots = new Map<K, number>()
  readonly #max: number
  readonly #promoteAfter: number
  readonly #ttlMs: number
  readonly #now: () => number
  #values: (V | undefined)[] = []
  #expiresAt = new Float64Array(0)
  /** Insertion clock of each slot: the age of an entry, in insertions, is `#clock - insertedAt`. */
  #insertedAt = new Float64Array(0)
  /** Slots freed by deletes, reused before `#used` grows. */
  #free: number[] = []
  #used = 0
  #oldest: MapIterator<K>
  #clock = 0

  constructor(max: number, ttlMs: number, now: () => number = Date.now) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be an integer ≥ 1, got ${max}`)
    this.#max = max
    this.#promoteAfter = max >> 1
    this.#ttlMs = ttlMs
    this.#now = now
    this.#oldest = this.#slots.keys()
  }

  get size(): number {
    return this.#slots.size
  }

  get(key: K): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (this.#expiresAt[slot]! <= this.#now()) {
      this.#remove(key, slot)
      return undefined
    }
    if (this.#clock - this.#insertedAt[slot]! >= this.#promoteAfter) {
      this.#slots.delete(key)
      this.#insertedAt[slot] = ++this.#clock
      this.#slots.set(key, slot)
    }
    return this.#values[slot]
  }

  set(key: K, value: V, ttlMs = this.#ttlMs): void {
    let slot = this.#slots.get(key)
    if (slot === undefined) slot = this.#allocate()
    else this.#slots.delete(key)
    this.#values[slot] = value
    this.#expiresAt[slot] = this.#now() + ttlMs
    this.#insertedAt[slot] = ++this.#clock
    this.#slots.set(key, slot)
    if (this.#slots.size > this.#max) this.#evictOldest()
  }

  delete(key: K): boolean {
    const slot = this.#slots.get(key)
    if (slot === undefined) return false
    this.#remove(key, slot)
    return true
  }

  clear(): void {
    this.#slots.clear()
    this.#oldest = this.#slots.keys()
    this.#values = []
    this.#free = []
    this.#used = 0
  }

  #remove(key: K, slot: number): void {
    this.#slots.delete(key)
    this.#values[slot] = undefined
    this.#free.push(slot)
  }

  #allocate(): number {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if (this.#used === this.#expiresAt.length) {
      // Grown by doubling, up to max + 1 slots (an insertion precedes its eviction).
      const length = Math.min(this.#max + 1, Math.max(16, this.#used * 2))
      const expiresAt = new Float64Array(length)
      expiresAt.set(this.#expiresAt)
      this.#expiresAt = expiresAt
      const insertedAt = new Float64Array(length)
      insertedAt.set(this.#insertedAt)
      this.#insertedAt = insertedAt
    }
    return this.#used++
  }

  #evictOldest(): void {
    // Every key the iterator has returned was evicted, so its next key is the oldest one.
    let next = this.#oldest.next()
    if (next.done) {
      this.#oldest = this.#slots.keys()
      next = this.#oldest.next()
    }
    if (!next.done) this.#remove(next.value, this.#slots.get(next.value)!)
  }
}

/**
 * An `Lru` of string keys split into 16 by the keys' last two characters, each holding a
 * sixteenth of the entries (at most `max` rounded up to a multiple of 16; below 16,384 entries,
 * one part). V8 rebuilds a Map's whole table when it grows, or when deleted
 * entries fill it (which eviction does steadily): at 100k entries that stalls the event loop
 * for 5–9 ms, every few seconds at thousands of new users per second. A sixteenth of the
 * table rebuilds sixteen times as often in a sixteenth of the time. Eviction and promotion are
 * per part; keys that all end alike fall into few parts and are evicted sooner, which costs
 * hits, never correctness (these are caches).
 */
export class ShardedLru<V> {
  readonly #parts: Lru<string, V>[]
  readonly #mask: number

  constructor(max: number, ttlMs: number, now: () => number = Date.now) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be an integer ≥ 1, got ${max}`)
    const parts = max >= 16_384 ? 16 : 1
    this.#mask = parts - 1
    this.#parts = Array.from({ length: parts }, () => new Lru<string, V>(Math.ceil(max / parts), ttlMs, now))
  }

  get size(): number {
    let size = 0
    for (const part of this.#parts) size += part.size
    return size
  }

  get(key: string): V | undefined {
    return this.#part(key).get(key)
  }

  set(key: string, value: V, ttlMs?: number): void {
    this.#part(key).set(key, value, ttlMs)
  }

  delete(key: string): boolean {
    return this.#part(key).delete(key)
  }

  #part(key: string): Lru<string, V> {
    const n = key.length
    // NaN for a key shorter than two characters, and NaN & mask is 0.
    return this.#parts[(key.charCodeAt(n - 1) + 37 * key.charCodeAt(n - 2)) & this.#mask]!
  }
}
