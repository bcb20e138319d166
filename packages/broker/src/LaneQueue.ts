/**
 * Runs queued work with bounded concurrency, one item at a time per lane: items of the same lane
 * (partition key of an ordered trigger) run in arrival order; items without a lane run freely.
 */
export class LaneQueue<T> {
  readonly #concurrency: number
  readonly #run: (item: T) => Promise<void>
  readonly #ready: Array<{ item: T; lane: string | undefined }> = []
  #readyHead = 0
  // Lanes with an item running, each with the items of that lane waiting behind it.
  readonly #busy = new Map<string, T[]>()
  #waiting = 0
  #running = 0
  #error: unknown
  #idle: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []

  constructor(concurrency: number, run: (item: T) => Promise<void>) {
    this.#concurrency = concurrency
    this.#run = run
  }

  /** Queued, waiting behind their lane, or running. */
  get size(): number {
    return this.#ready.length - this.#readyHead + this.#waiting + this.#running
  }

  push(item: T, lane?: string): void {
    this.#ready.push({ item, lane })
    this.#pump()
  }

  /** Resolves once nothing is queued or running; rejects with the first error a run threw. */
  drain(): Promise<void> {
    if (this.size === 0) return this.#error === undefined ? Promise.resolve() : Promise.reject(this.#error)
    return new Promise((resolve, reject) => this.#idle.push({ resolve, reject }))
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#readyHead < this.#ready.length) {
      const next = this.#ready[this.#readyHead]!
      this.#ready[this.#readyHead++] = undefined as never
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead)
        this.#readyHead = 0
      }
      if (next.lane !== undefined) {
        const behind = this.#busy.get(next.lane)
        if (behind) {
          behind.push(next.item)
          this.#waiting++
          continue
        }
        this.#busy.set(next.lane, [])
      }
      this.#start(next.item, next.lane)
    }
  }

  #start(item: T, lane: string | undefined): void {
    this.#running++
    this.#run(item).then(
      () => this.#finish(lane),
      (error: unknown) => {
        this.#error ??= error
        this.#finish(lane)
      },
    )
  }

  #finish(lane: string | undefined): void {
    this.#running--
    if (lane !== undefined) {
      const behind = this.#busy.get(lane)!
      const next = behind.shift()
      if (next === undefined) {
        this.#busy.delete(lane)
      } else {
        this.#waiting--
        this.#start(next, lane)
      }
    }
    this.#pump()
    if (this.size === 0 && this.#idle.length > 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const waiter of waiters) {
        if (this.#error === undefined) waiter.resolve()
        else waiter.reject(this.#error)
      }
    }
  }
}
