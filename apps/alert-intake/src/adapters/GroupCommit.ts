/**
 * Group commit: requests hand in their work and wait; one flush at a time takes everything queued
 * (up to `maxBatch`) and writes it in one transaction, then answers every request in it. Under load
 * the next batch gathers while the current one commits, so the cost of a commit is shared by many
 * requests; when idle a request waits at most `delayMs` before its flush starts.
 *
 * Other work that must not interleave with a flush (the sweeper) runs through `exclusive`.
 */
export interface GroupCommitOptions {
  readonly maxBatch: number
  /** Items waiting beyond this are refused (the caller answers 503): memory stays bounded. */
  readonly maxQueued: number
  readonly delayMs: number
}

interface Pending<In, Out> {
  readonly items: readonly In[]
  resolve(out: Out[]): void
  reject(err: unknown): void
}

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError'
}

export class GroupCommit<In, Out> {
  readonly #flush: (items: In[]) => Promise<Out[]>
  readonly #options: GroupCommitOptions
  #queue: Pending<In, Out>[] = []
  #queued = 0
  #timer: NodeJS.Timeout | undefined
  #tail: Promise<void> = Promise.resolve()
  #running = false

  constructor(flush: (items: In[]) => Promise<Out[]>, options: GroupCommitOptions) {
    this.#flush = flush
    this.#options = options
  }

  get queued(): number {
    return this.#queued
  }

  /** Resolves with one result per item, in order, once the flush holding them has committed. */
  submit(items: readonly In[]): Promise<Out[]> {
    if (items.length === 0) return Promise.resolve([])
    if (this.#queued + items.length > this.#options.maxQueued) {
      return Promise.reject(
        new QueueFullError(`more than ${this.#options.maxQueued} alerts waiting to be written`),
      )
    }
    return new Promise<Out[]>((resolve, reject) => {
      this.#queue.push({ items, resolve, reject })
      this.#queued += items.length
      this.#schedule()
    })
  }

  /** Runs `fn` between flushes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn)
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  /** Waits for everything submitted so far. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#running) {
      if (this.#timer) {
        clearTimeout(this.#timer)
        this.#timer = undefined
        this.#start()
      }
      await this.#tail
    }
  }

  #schedule(): void {
    if (this.#running || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#start()
    }, this.#options.delayMs)
  }

  #start(): void {
    if (this.#running || this.#queue.length === 0) return
    this.#running = true
    const batch: Pending<In, Out>[] = []
    let size = 0
    // Whole requests only, so each is answered by exactly one flush; a request larger than
    // maxBatch goes alone.
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Pending<In, Out>
      if (size > 0 && size + next.items.length > this.#options.maxBatch) break
      this.#queue.shift()
      batch.push(next)
      size += next.items.length
    }
    this.#queued -= size
    void this.exclusive(async () => {
      try {
        const out = await this.#flush(batch.flatMap((p) => p.items))
        let offset = 0
        for (const p of batch) {
          p.resolve(out.slice(offset, offset + p.items.length))
          offset += p.items.length
        }
      } catch (err) {
        for (const p of batch) p.reject(err)
      } finally {
        this.#running = false
        // Work that arrived during the flush goes at once: it has already waited.
        if (this.#queue.length > 0) this.#start()
      }
    })
  }
}
