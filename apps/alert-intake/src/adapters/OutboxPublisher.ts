import { type Emitter, makeEvent } from '@agent-sre/events'
import type { Database } from '@agent-sre/store'
import { deleteOutbox, leaseOutbox, type OutboxRow, outboxLagSeconds } from './IntakeRepository.ts'
import type { IntakeMetrics } from './metrics.ts'

export interface PublisherOptions {
  readonly db: Database
  readonly emitter: Pick<Emitter, 'emit'>
  readonly metrics: IntakeMetrics
  readonly batchSize: number
  /** How long a leased row is left to this publisher before another may send it again. */
  readonly leaseMs: number
  readonly pollIntervalMs: number
  /** Partition keys sent in parallel; events of one key go one after another, in order. */
  readonly concurrency: number
  readonly logger?: { warn(obj: object, msg: string): void }
}

/**
 * Drains the outbox to the broker. Rows are leased (not held in an open transaction), sent, then
 * deleted; a row whose send failed keeps its lease until it expires, which is the retry backoff. So a
 * broker outage delays events and loses none, and a publisher that dies mid-send only causes a
 * re-send with the same CloudEvent id, which receivers deduplicate.
 */
export class OutboxPublisher {
  readonly #o: PublisherOptions
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopped = true // until start(): tests drive drainOnce themselves

  constructor(options: PublisherOptions) {
    this.#o = options
  }

  start(): void {
    this.#stopped = false
    this.#arm()
  }

  /** Asks for a drain now (after a commit); coalesces with one in progress. */
  wake(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /** One pass; resolves with the number of events delivered. */
  async drainOnce(): Promise<number> {
    const { db, batchSize, leaseMs, metrics } = this.#o
    const rows = await leaseOutbox(db, batchSize, leaseMs)
    if (rows.length === 0) return 0
    const byKey = new Map<string, OutboxRow[]>()
    for (const row of rows) {
      const key = partitionOf(row)
      const list = byKey.get(key)
      if (list) list.push(row)
      else byKey.set(key, [row])
    }
    const sent: string[] = []
    const lanes = [...byKey.values()]
    let next = 0
    const worker = async () => {
      while (next < lanes.length) {
        const lane = lanes[next++] as OutboxRow[]
        for (const row of lane) {
          try {
            await this.#o.emitter.emit(toEvent(row))
            sent.push(row.id)
            metrics.published.inc({ type: row.type })
          } catch (err) {
            metrics.publishFailures.inc()
            this.#o.logger?.warn(
              { eventId: row.event_id, type: row.type, attempts: row.attempts, err },
              'event not published, will retry',
            )
            break // keep the order of this key: the rest waits for the retry
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, lanes.length) }, worker))
    await deleteOutbox(db, sent)
    return sent.length
  }

  async refreshLag(): Promise<void> {
    this.#o.metrics.outboxLag.set(await outboxLagSeconds(this.#o.db))
  }

  async #loop(): Promise<void> {
    clearTimeout(this.#timer)
    try {
      do {
        this.#again = false
        while (!this.#stopped && (await this.drainOnce()) === this.#o.batchSize) {}
      } while (this.#again && !this.#stopped)
      await this.refreshLag()
    } catch (err) {
      this.#o.logger?.warn({ err }, 'outbox drain failed')
    } finally {
      this.#arm()
    }
  }

  #arm(): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.wake(), this.#o.pollIntervalMs)
    this.#timer.unref()
  }
}

function partitionOf(row: OutboxRow): string {
  const d = row.data as { alert?: { fingerprint: string }; fingerprint?: string; groupKey?: string }
  return d.alert?.fingerprint ?? d.fingerprint ?? d.groupKey ?? row.type
}

/** The stored event rebuilt with its original id and time, so a re-send is recognisably the same. */
function toEvent(row: OutboxRow) {
  return makeEvent(row.type, row.data as never, {
    id: row.event_id,
    time: new Date(row.created_at),
    correlationId: row.correlation_id,
    traceparent: row.traceparent,
  })
}
