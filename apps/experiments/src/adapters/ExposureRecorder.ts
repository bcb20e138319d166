// Exposure events (`agentsre.experiment.exposure`), sent after the response and bounded.
// Deduplication happens before they get here: the app records a user's exposure once its first
// assignment is committed, and only on the replica whose insert stored it (AssignmentStore's
// `onStored`), so the assignments table's primary key is the dedup across replicas — exact, with
// no second store and no round trip per exposure. An assignment that cannot be stored is exposed
// at once; this replica's sticky cache keeps it from being exposed again.
// `record` is synchronous and never throws: it drops the exposure (with a metric) when the queue
// is full rather than letting it grow. Up to `concurrency` workers send the queue to the broker;
// a send that fails after the emitter's retries is counted and logged, not retried later (the
// user's exposure is not recorded again).

import { type EventData, makeEvent } from '@agent-sre/events'
import { type Count, tallyEach } from '@agent-sre/service-kit'
import { type Registry, register } from 'prom-client'
import { gauge } from './metrics.ts'

export type Exposure = EventData<'agentsre.experiment.exposure'>
export type ExposureEvent = ReturnType<typeof makeEvent<'agentsre.experiment.exposure'>>
type Logger = { warn(obj: object, msg?: string): void }

export interface ExposureRecorderOptions {
  /** Delivers one event (the broker emitter); undefined: exposures are counted only. */
  emit: ((event: ExposureEvent) => Promise<void>) | undefined
  logger: Logger
  registry?: Registry
  capacity?: number
  concurrency?: number
}

export class ExposureRecorder {
  readonly #emit: ExposureRecorderOptions['emit']
  readonly #logger: Logger
  readonly #capacity: number
  readonly #concurrency: number
  readonly #queue: Exposure[] = []
  readonly #outcomes: Record<'emitted' | 'dropped' | 'failed' | 'unrouted', Count>
  #active = 0
  #idle: (() => void)[] = []

  constructor(options: ExposureRecorderOptions) {
    this.#emit = options.emit
    this.#logger = options.logger
    this.#capacity = options.capacity ?? 10_000
    this.#concurrency = options.concurrency ?? 8
    const registry = options.registry ?? register
    this.#outcomes = tallyEach(
      registry,
      'agentsre_experiments_exposures_total',
      'Exposure events by outcome (emitted, dropped, failed, unrouted)',
      'outcome',
      ['emitted', 'dropped', 'failed', 'unrouted'],
    )
    gauge(
      registry,
      'agentsre_experiments_exposure_queue_length',
      'Exposures waiting to be sent',
      () => this.#queue.length,
    )
  }

  /** Queues an exposure; never blocks or throws. Returns false when dropped (queue full). */
  record(exposure: Exposure): boolean {
    if (this.#queue.length >= this.#capacity) {
      this.#outcomes.dropped.inc()
      return false
    }
    this.#queue.push(exposure)
    if (this.#active < this.#concurrency) {
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
      for (let exposure = this.#queue.shift(); exposure; exposure = this.#queue.shift())
        await this.#send(exposure)
    } finally {
      this.#active--
      if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  async #send(exposure: Exposure): Promise<void> {
    if (!this.#emit) {
      this.#outcomes.unrouted.inc()
      return
    }
    try {
      await this.#emit(makeEvent('agentsre.experiment.exposure', exposure, { source: 'experiments' }))
      this.#outcomes.emitted.inc()
    } catch (err) {
      this.#outcomes.failed.inc()
      this.#logger.warn({ err, experiment: exposure.experiment }, 'exposure event not sent')
    }
  }
}
