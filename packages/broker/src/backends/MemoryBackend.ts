import type { Envelope } from '../Envelope.ts'
import { attributesOf, partitionKeyOf } from '../EventAttributes.ts'
import { LaneQueue } from '../LaneQueue.ts'
import type { BrokerLogger } from '../Logger.ts'
import type { BrokerMetrics } from '../Metrics.ts'
import type { Route } from '../Route.ts'
import { BackendUnavailableError, type BrokerBackend, type Deliver } from './Backend.ts'

export interface MemoryBackendOptions {
  /** Events queued or in flight per trigger before ingress answers 503. */
  readonly queueCapacity?: number
  /** Deliveries in flight per trigger (ordered triggers: still one per partition key). */
  readonly concurrency?: number
}

interface Item {
  readonly envelope: Envelope
  readonly ingestedAt: number
}

interface Subscription {
  readonly route: Route
  readonly queue: LaneQueue<Item>
}

/**
 * Bounded in-process queues, one per trigger. Filtering happens at publish, so a full queue of
 * a matching trigger refuses the event before any queue took it. Events are lost on exit: this
 * is the embedded default for development and quick tests, not a durable store.
 */
export class MemoryBackend implements BrokerBackend {
  readonly kind = 'memory'
  readonly #capacity: number
  readonly #concurrency: number
  readonly #metrics: BrokerMetrics
  readonly #logger: BrokerLogger
  #byBroker = new Map<string, Subscription[]>()
  #closed = false
  #lost = 0

  constructor(options: MemoryBackendOptions, metrics: BrokerMetrics, logger: BrokerLogger) {
    this.#capacity = options.queueCapacity ?? 10_000
    this.#concurrency = options.concurrency ?? 100
    this.#metrics = metrics
    this.#logger = logger
  }

  async start(routes: readonly Route[], deliver: Deliver): Promise<void> {
    for (const route of routes) {
      const queue: LaneQueue<Item> = new LaneQueue(this.#concurrency, async ({ envelope, ingestedAt }) => {
        try {
          await deliver(route, envelope, ingestedAt)
        } catch {
          // Only a closing broker aborts a delivery; the event dies with the process.
          this.#lost++
        } finally {
          this.#metrics.queueDepth(route.name, queue.size - 1)
        }
      })
      const list = this.#byBroker.get(route.broker) ?? []
      list.push({ route, queue })
      this.#byBroker.set(route.broker, list)
      this.#metrics.queueDepth(route.name, 0)
    }
  }

  async publish(broker: string, envelope: Envelope): Promise<void> {
    if (this.#closed) throw new BackendUnavailableError('unavailable', 'broker is shutting down')
    const subscriptions = this.#byBroker.get(broker)
    if (!subscriptions) return
    const { event } = envelope
    const attributes = attributesOf(event)
    const matching = subscriptions.filter(({ route }) => route.filter(attributes))
    const full = matching.find(({ queue }) => queue.size >= this.#capacity)
    if (full) {
      throw new BackendUnavailableError(
        'backpressure',
        `queue of trigger ${full.route.name} is full (${this.#capacity} events)`,
      )
    }
    const item: Item = { envelope, ingestedAt: Date.now() }
    for (const { route, queue } of matching) {
      queue.push(item, route.ordered ? partitionKeyOf(event) : undefined)
      this.#metrics.queueDepth(route.name, queue.size)
    }
  }

  async check(): Promise<void> {
    if (this.#closed) throw new BackendUnavailableError('unavailable', 'broker is shutting down')
  }

  async close(): Promise<void> {
    this.#closed = true
    const subscriptions = [...this.#byBroker.values()].flat()
    await Promise.all(subscriptions.map(({ queue }) => queue.drain()))
    if (this.#lost > 0) {
      this.#logger.warn(
        { lost: this.#lost },
        'memory broker closed with undelivered events (they are not persisted)',
      )
    }
  }
}
