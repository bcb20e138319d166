import { type AnyCloudEvent, makeEvent, toBinaryHttp } from '@agent-sre/events'
import type { ResiliencePolicy } from '@agent-sre/resilience'
import type { Database } from '@agent-sre/store'
import type { OutboxEvent } from '../domain/pipeline.ts'
import {
  deleteOutbox,
  leaseOutbox,
  type OutboxRecord,
  type OutboxRow,
  outboxLagSeconds,
  type WireEvent,
} from './IntakeRepository.ts'
import type { IntakeMetrics } from './metrics.ts'

/**
 * Posts one stored event, one attempt: resolves on 2xx, rejects otherwise (HttpStatusError for a
 * status). In production the events package's emitter with `policy: false` (`emitEncoded`).
 */
export type EventSink = (event: WireEvent, signal: AbortSignal) => Promise<void>

export interface PublisherOptions {
  readonly db: Database
  readonly sink: EventSink
  /**
   * Retry/timeout/breaker around each batch send: one call per pass, not per event. An attempt
   * sends what is still unsent of the batch; its timeout covers the whole attempt.
   */
  readonly policy: Pick<ResiliencePolicy, 'execute'>
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
 * The outbox form of an event, built (and validated against the catalog) once, when its flush
 * commits: every send, re-sends included, posts these exact bytes with this CloudEvent id.
 */
export function outboxRecord(e: OutboxEvent, nowMs: number): OutboxRecord {
  const event = makeEvent(e.type, e.data as never, {
    time: new Date(nowMs),
    correlationId: e.correlationId,
    traceparent: e.traceparent,
  })
  return { eventId: event.id, type: e.type, partitionKey: event.partitionkey ?? e.type, wire: toWire(event) }
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
  /** When the lag gauge was last read from the outbox (performance.now()); -Infinity: never. */
  #lagReadAt = Number.NEGATIVE_INFINITY
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

  /** One pass; resolves with the number of events delivered (and deleted). */
  async drainOnce(): Promise<number> {
    const sent = await this.#pass([])
    await deleteOutbox(this.#o.db, sent)
    return sent.length
  }

  /**
   * Leases a batch — deleting `sentBefore`, the previous pass's delivered rows, in the same
   * statement — and sends it. Resolves with the ids delivered, for the caller to delete.
   */
  async #pass(sentBefore: readonly string[]): Promise<string[]> {
    const { db, batchSize, leaseMs, metrics, sink } = this.#o
    const rows = await leaseOutbox(db, batchSize, leaseMs, sentBefore)
    if (rows.length === 0) return []
    const byKey = new Map<string, OutboxRow[]>()
    for (const row of rows) {
      const key = partitionOf(row)
      const lane = byKey.get(key)
      if (lane) lane.push(row)
      else byKey.set(key, [row])
    }
    const lanes = [...byKey.values()]
    // Rows of each lane already delivered, kept across attempts: a retry resumes where it stopped.
    const done = new Array<number>(lanes.length).fill(0)
    const sent: OutboxRow[] = []
    const attempt = async (signal: AbortSignal) => {
      const open = lanes.flatMap((lane, i) => ((done[i] as number) < lane.length ? [i] : []))
      let next = 0
      let failure: { err: unknown } | undefined
      const worker = async () => {
        while (next < open.length) {
          const i = open[next++] as number
          const lane = lanes[i] as OutboxRow[]
          for (let j = done[i] as number; j < lane.length; j++) {
            const row = lane[j] as OutboxRow
            try {
              await sink(wireOf(row), signal)
            } catch (err) {
              failure ??= { err }
              break // keep the order of this key: the rest waits for the retry
            }
            done[i] = j + 1
            sent.push(row)
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, open.length) }, worker))
      if (failure) throw failure.err
    }
    try {
      await this.#o.policy.execute(({ signal }) => attempt(signal))
    } catch (err) {
      // One failure per key left unsent (its first unsent event), as a per-event send would count.
      const stuck = lanes.flatMap((lane, i) => {
        const row = lane[done[i] as number]
        return row ? [row] : []
      })
      metrics.publishFailures.inc(stuck.length)
      this.#o.logger?.warn(
        {
          events: stuck.map((r) => ({ eventId: r.event_id, type: r.type, attempts: r.attempts })),
          err,
        },
        'events not published, will retry',
      )
    }
    // One increment per type and pass (a labelled increment hashes its labels).
    const byType = new Map<string, number>()
    for (const r of sent) byType.set(r.type, (byType.get(r.type) ?? 0) + 1)
    for (const [type, n] of byType) metrics.published.inc({ type }, n)
    return sent.map((r) => r.id)
  }

  async refreshLag(): Promise<void> {
    this.#lagReadAt = performance.now()
    this.#o.metrics.outboxLag.set(await outboxLagSeconds(this.#o.db))
  }

  async #loop(): Promise<void> {
    clearTimeout(this.#timer)
    // Delivered rows are deleted by the next pass's lease: one round trip per batch under a backlog.
    let sent: string[] = []
    try {
      do {
        this.#again = false
        do sent = await this.#pass(sent)
        while (!this.#stopped && sent.length === this.#o.batchSize)
      } while (this.#again && !this.#stopped)
      await deleteOutbox(this.#o.db, sent.splice(0))
      // A commit wakes the publisher, so under load this loop runs once per flush; the lag query
      // scans the outbox, so it runs at most once per poll interval (the gauge is that fresh).
      if (performance.now() - this.#lagReadAt >= this.#o.pollIntervalMs) await this.refreshLag()
    } catch (err) {
      this.#o.logger?.warn({ err }, 'outbox drain failed')
      // Rows left undeleted stay leased, then are re-sent with the same id: receivers deduplicate.
      await deleteOutbox(this.#o.db, sent).catch(() => {})
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
  if (row.partition_key !== null) return row.partition_key
  const d = row.data as { alert?: { fingerprint: string }; fingerprint?: string; groupKey?: string } | null
  return d?.alert?.fingerprint ?? d?.fingerprint ?? d?.groupKey ?? row.type
}

/** The binary-mode form as the outbox stores it: the body as text (catalog events carry JSON). */
export function toWire(event: AnyCloudEvent): WireEvent {
  const { headers, body } = toBinaryHttp(event)
  return { headers, body: typeof body === 'string' ? body : body.toString('utf8') }
}

/** The stored bytes; a row from before migration 003 is encoded with its original id and time. */
function wireOf(row: OutboxRow): WireEvent {
  if (row.headers !== null && row.body !== null) return { headers: row.headers, body: row.body }
  return toWire(
    makeEvent(row.type, row.data as never, {
      id: row.event_id,
      time: new Date(row.created_at),
      correlationId: row.correlation_id ?? row.event_id,
      ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
    }),
  )
}
