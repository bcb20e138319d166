// Exposure events (`agentsre.experiment.exposure`), recorded after the response and bounded.
// `record` is synchronous and never throws: it drops the exposure (with a metric) when the queue
// is full rather than letting it grow. Workers drain the queue: duplicates per user and variant
// are filtered by a local LRU and then across replicas by `setManyIfAbsent` in the shared cache,
// and the survivors are emitted to the broker. Each worker checks up to DEDUP_BATCH queued
// exposures at once (one cache round trip), so the cross-replica check keeps up with a burst of
// new users instead of one round trip per exposure (which dropped most of them at 8k/s); workers
// are added as full batches wait, so a light load is claimed in batches too.
// Memory stays bounded: at most `capacity` wait, and DEDUP_BATCH per worker are in flight. The
// local LRU is keyed by the assignment key the sticky store already holds (no second string per
// user), with the variant last exposed as its value; the shared cache's key is built by the worker.

import { type EventData, makeEvent } from '@agent-sre/events'
import { type Count, tallyEach } from '@agent-sre/service-kit'
import type { Cache } from '@agent-sre/store'
import { type Registry, register } from 'prom-client'
import { assignmentKeyParts } from '../domain/assignmentId.ts'
import { ShardedLru } from '../domain/Lru.ts'
import { gauge } from './metrics.ts'

export type Exposure = EventData<'agentsre.experiment.exposure'>
export type ExposureEvent = ReturnType<typeof makeEvent<'agentsre.experiment.exposure'>>
type Logger = { warn(obj: object, msg?: string): void }
type Item = { key: string; exposure: Exposure }

const DEDUP_BATCH = 64

export interface ExposureRecorderOptions {
  /** Delivers one event (the broker emitter); undefined: exposures are deduplicated and counted only. */
  emit: ((event: ExposureEvent) => Promise<void>) | undefined
  cache: Pick<Cache, 'setManyIfAbsent' | 'delete'>
  logger: Logger
  registry?: Registry
  capacity?: number
  concurrency?: number
  dedupTtlMs?: number
}

export class ExposureRecorder {
  readonly #emit: ExposureRecorderOptions['emit']
  readonly #cache: Pick<Cache, 'setManyIfAbsent' | 'delete'>
  readonly #logger: Logger
  readonly #capacity: number
  readonly #concurrency: number
  readonly #dedupTtlMs: number
  /** Assignment key → the variant last queued for it. */
  readonly #recent: ShardedLru<string>
  readonly #queue: Item[] = []
  readonly #outcomes: Record<'emitted' | 'duplicate' | 'dropped' | 'failed' | 'unrouted', Count>
  #active = 0
  #idle: (() => void)[] = []

  constructor(options: ExposureRecorderOptions) {
    this.#emit = options.emit
    this.#cache = options.cache
    this.#logger = options.logger
    this.#capacity = options.capacity ?? 10_000
    this.#concurrency = options.concurrency ?? 8
    this.#dedupTtlMs = options.dedupTtlMs ?? 90 * 24 * 3_600_000
    this.#recent = new ShardedLru(50_000, 3_600_000)
    const registry = options.registry ?? register
    this.#outcomes = tallyEach(
      registry,
      'agentsre_experiments_exposures_total',
      'Exposure events by outcome (emitted, duplicate, dropped, failed, unrouted)',
      'outcome',
      ['emitted', 'duplicate', 'dropped', 'failed', 'unrouted'],
    )
    gauge(
      registry,
      'agentsre_experiments_exposure_queue_length',
      'Exposures waiting to be sent',
      () => this.#queue.length,
    )
  }

  /**
   * Queues an exposure; never blocks or throws. Returns false when dropped (queue full). `key` is
   * the assignment's `assignmentKey`: it includes the bucket version, so a re-randomised experiment
   * counts exposures afresh.
   */
  record(exposure: Exposure, key: string): boolean {
    if (this.#recent.get(key) === exposure.variant) {
      this.#outcomes.duplicate.inc()
      return true
    }
    if (this.#queue.length >= this.#capacity) {
      this.#outcomes.dropped.inc()
      return false
    }
    this.#recent.set(key, exposure.variant)
    this.#queue.push({ key, exposure })
    // One more worker per full batch waiting, up to `concurrency`: a steady trickle is claimed by
    // one worker in batches rather than by every worker one exposure at a time (a cache round trip
    // each, which cost more CPU here and in Redis than the exposures themselves).
    if (this.#active < this.#concurrency && this.#queue.length > this.#active * DEDUP_BATCH) {
      this.#active++
      setImmediate(() => void this.#work())
    }
    return true
  }

  /** Resolves when the queue is empty and nothing is in flight. */
  drain(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  async #work(): Promise<void> {
    try {
      for (let batch = this.#take(); batch.length > 0; batch = this.#take()) {
        let firsts: boolean[]
        try {
          firsts = await this.#cache.setManyIfAbsent(
            batch.map((item) => [sharedKey(item), '1'] as const),
            this.#dedupTtlMs,
          )
        } catch (err) {
          for (const item of batch) await this.#failed(item, err)
          continue
        }
        for (const [i, item] of batch.entries()) {
          if (!firsts[i]) this.#outcomes.duplicate.inc()
          else await this.#send(item)
        }
      }
    } finally {
      this.#active--
      if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  #take(): Item[] {
    const batch: Item[] = []
    for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
      batch.push(item)
      if (batch.length === DEDUP_BATCH) break
    }
    return batch
  }

  async #send(item: Item): Promise<void> {
    if (!this.#emit) {
      this.#outcomes.unrouted.inc()
      return
    }
    try {
      const event = makeEvent('agentsre.experiment.exposure', item.exposure, { source: 'experiments' })
      await this.#emit(event)
      this.#outcomes.emitted.inc()
    } catch (err) {
      await this.#failed(item, err)
    }
  }

  async #failed(item: Item, err: unknown): Promise<void> {
    const { key, exposure } = item
    // Forget the dedup key so the user's next exposure is sent instead of counted as a duplicate.
    if (this.#recent.get(key) === exposure.variant) this.#recent.delete(key)
    await this.#cache.delete(sharedKey(item)).catch(() => false)
    this.#outcomes.failed.inc()
    this.#logger.warn({ err, experiment: exposure.experiment }, 'exposure event not sent')
  }
}

/** The cross-replica dedup key (unchanged since the first release: existing keys keep counting). */
function sharedKey({ key, exposure }: Item): string {
  const [experimentId, bucketVersion, userId] = assignmentKeyParts(key)
  return `exposure:${experimentId}:${bucketVersion}:${userId}:${exposure.variant}`
}
