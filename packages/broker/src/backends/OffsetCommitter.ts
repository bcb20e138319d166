export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  /** The next offset to read (last processed + 1), as kafkajs wants it. */
  readonly offset: string
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * Coalesces offset commits of one consumer: partitions finishing batches while a commit request
 * is in flight are committed together in the next one (the newest offset per partition wins).
 * Each `commit` resolves once a request carrying its offset — or a later one of the same
 * partition — was acknowledged, so a caller still waits for its batch to be durable.
 */
export class OffsetCommitter {
  readonly #send: (offsets: TopicPartitionOffset[]) => Promise<void>
  #pending = new Map<string, { offset: TopicPartitionOffset; waiters: Waiter[] }>()
  #sending = false

  constructor(send: (offsets: TopicPartitionOffset[]) => Promise<void>) {
    this.#send = send
  }

  commit(offset: TopicPartitionOffset): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${offset.topic}\u0000${offset.partition}`
      const entry = this.#pending.get(key)
      if (entry) {
        // Batches of a partition run one after another, so a newer offset is a larger one.
        entry.waiters.push({ resolve, reject })
        this.#pending.set(key, { offset, waiters: entry.waiters })
      } else {
        this.#pending.set(key, { offset, waiters: [{ resolve, reject }] })
      }
      if (!this.#sending) void this.#flush()
    })
  }

  async #flush(): Promise<void> {
    this.#sending = true
    while (this.#pending.size > 0) {
      const batch = [...this.#pending.values()]
      this.#pending = new Map()
      try {
        await this.#send(batch.map((entry) => entry.offset))
        for (const entry of batch) for (const waiter of entry.waiters) waiter.resolve()
      } catch (error) {
        for (const entry of batch) for (const waiter of entry.waiters) waiter.reject(error)
      }
    }
    this.#sending = false
  }
}
