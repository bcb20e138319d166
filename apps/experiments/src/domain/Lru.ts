/**
 * A bounded least-recently-used map with a per-entry expiry. Map preserves insertion order, so
 * re-inserting on read moves an entry to the young end and the oldest entry is the first key.
 */
export class Lru<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>()
  readonly #max: number
  readonly #ttlMs: number
  readonly #now: () => number

  constructor(max: number, ttlMs: number, now: () => number = Date.now) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be an integer ≥ 1, got ${max}`)
    this.#max = max
    this.#ttlMs = ttlMs
    this.#now = now
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  set(key: K, value: V, ttlMs = this.#ttlMs): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as K)
  }

  delete(key: K): boolean {
    return this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}
