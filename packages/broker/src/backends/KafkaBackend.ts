import { fromKafkaMessage, isInvalidEventError, type KafkaEventMessage } from '@agent-sre/events'
import { type Admin, type Consumer, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs'
import { brokerTopic, triggerConsumerGroup } from '../domain/Names.ts'
import { type Envelope, envelopeFromKafka, toKafkaRecord } from '../Envelope.ts'
import { attributesOf } from '../EventAttributes.ts'
import { LaneQueue } from '../LaneQueue.ts'
import type { BrokerLogger } from '../Logger.ts'
import type { BrokerMetrics } from '../Metrics.ts'
import type { Route } from '../Route.ts'
import { BackendUnavailableError, type BrokerBackend, type Deliver } from './Backend.ts'
import { OffsetCommitter } from './OffsetCommitter.ts'

export interface KafkaBackendOptions {
  /** Bootstrap servers, e.g. `['127.0.0.1:19092']` (KAFKA_BROKERS split on commas). */
  readonly brokers: readonly string[]
  readonly clientId?: string
  /** Partitions of a broker topic created by this backend (Knative's default.topic.partitions). */
  readonly partitions?: number
  readonly replicationFactor?: number
  /** Consumer group session timeout; a killed consumer's partitions move after this long. */
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  /** Deliveries in flight per partition (ordered triggers: still one per partition key). */
  readonly concurrency?: number
  /** Events accepted but not yet acknowledged by Kafka before ingress answers 503. */
  readonly maxPendingEvents?: number
}

interface Pending {
  readonly topic: string
  readonly message: KafkaEventMessage
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * The Knative Kafka broker's layout on a real Kafka: topic `knative-broker-<ns>-<broker>`,
 * binary-mode CloudEvents records keyed by `partitionkey`, a consumer group per trigger, and
 * offsets committed only once every record of a batch was delivered, dead-lettered or filtered
 * out (at-least-once: a killed consumer's uncommitted batch is delivered again).
 */
export class KafkaBackend implements BrokerBackend {
  readonly kind = 'kafka'
  readonly #options: Required<Omit<KafkaBackendOptions, 'brokers'>>
  readonly #namespace: string
  readonly #brokers: readonly string[]
  readonly #kafka: Kafka
  readonly #producer: Producer
  readonly #admin: Admin
  readonly #metrics: BrokerMetrics
  readonly #logger: BrokerLogger
  readonly #consume: boolean
  readonly #consumers: Consumer[] = []
  #pending: Pending[] = []
  #inFlight = 0
  #flushScheduled = false
  #producing = false
  #closed = false

  constructor(
    options: KafkaBackendOptions,
    namespace: string,
    brokers: readonly string[],
    metrics: BrokerMetrics,
    logger: BrokerLogger,
    /** False for a receiver: it only produces; a dispatcher elsewhere consumes and delivers. */
    consume = true,
  ) {
    this.#consume = consume
    this.#options = {
      clientId: options.clientId ?? 'agent-sre-broker',
      partitions: options.partitions ?? 10,
      replicationFactor: options.replicationFactor ?? 1,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
      concurrency: options.concurrency ?? 100,
      maxPendingEvents: options.maxPendingEvents ?? 10_000,
    }
    this.#namespace = namespace
    this.#brokers = brokers
    this.#metrics = metrics
    this.#logger = logger
    this.#kafka = new Kafka({
      clientId: this.#options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    })
    this.#producer = this.#kafka.producer({ allowAutoTopicCreation: false })
    this.#admin = this.#kafka.admin()
  }

  async start(routes: readonly Route[], deliver: Deliver): Promise<void> {
    await this.#admin.connect()
    const existing = new Set(await this.#admin.listTopics())
    const missing = this.#brokers
      .map((broker) => brokerTopic(this.#namespace, broker))
      .filter((t) => !existing.has(t))
    if (missing.length > 0) {
      await this.#admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.#options.partitions,
          replicationFactor: this.#options.replicationFactor,
        })),
      })
    }
    await this.#producer.connect()
    if (!this.#consume) return
    for (const route of routes) await this.#startConsumer(route, deliver)
  }

  async #startConsumer(route: Route, deliver: Deliver): Promise<void> {
    const topic = brokerTopic(this.#namespace, route.broker)
    const consumer = this.#kafka.consumer({
      groupId: triggerConsumerGroup(this.#namespace, route.name),
      allowAutoTopicCreation: false,
      sessionTimeout: this.#options.sessionTimeoutMs,
      heartbeatInterval: this.#options.heartbeatIntervalMs,
      maxWaitTimeInMs: 100,
    })
    this.#consumers.push(consumer)
    await consumer.connect()
    // A new trigger starts at the beginning of its broker's topic: nothing stored is skipped.
    await consumer.subscribe({ topic, fromBeginning: true })
    const lagByPartition = new Map<number, number>()
    // Partitions run their batches concurrently: their commits share requests.
    const committer = new OffsetCommitter((offsets) => consumer.commitOffsets(offsets))
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitions,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const queue = new LaneQueue<KafkaMessage>(this.#options.concurrency, async (message) => {
          const envelope = this.#decode(route, batch.partition, message)
          if (envelope && route.filter(attributesOf(envelope.event)))
            await deliver(route, envelope, Number(message.timestamp))
        })
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break
          queue.push(message, route.ordered && message.key ? message.key.toString() : undefined)
        }
        // Slow deliveries (retries, backoff) must not cost the group membership: heartbeat on a
        // timer while the batch runs rather than once per record.
        const beat = setInterval(() => {
          heartbeat().catch(() => undefined)
        }, this.#options.heartbeatIntervalMs)
        try {
          // Throws when a delivery was aborted by close: the batch stays uncommitted and is redelivered.
          await queue.drain()
        } finally {
          clearInterval(beat)
        }
        if (!isRunning() || isStale() || batch.messages.length === 0) return
        // resolveOffset moves kafkajs' fetch position; the commit makes it survive a restart.
        resolveOffset(batch.lastOffset())
        const next = (BigInt(batch.lastOffset()) + 1n).toString()
        await committer.commit({ topic, partition: batch.partition, offset: next })
        lagByPartition.set(batch.partition, Number(batch.offsetLag()))
        let lag = 0
        for (const value of lagByPartition.values()) lag += value
        this.#metrics.consumerLag(route.name, lag)
      },
    })
  }

  #decode(route: Route, partition: number, message: KafkaMessage): Envelope | undefined {
    try {
      return envelopeFromKafka(fromKafkaMessage(message), message)
    } catch (error) {
      if (!isInvalidEventError(error)) throw error
      // Someone else wrote a non-CloudEvent record to the topic: skip it, loudly.
      this.#logger.error(
        { trigger: route.name, partition, offset: message.offset, reason: error.reason },
        'skipping a record that is not a CloudEvent',
      )
      return undefined
    }
  }

  publish(broker: string, envelope: Envelope): Promise<void> {
    if (this.#closed)
      return Promise.reject(new BackendUnavailableError('unavailable', 'broker is shutting down'))
    if (this.#pending.length + this.#inFlight >= this.#options.maxPendingEvents) {
      return Promise.reject(
        new BackendUnavailableError(
          'backpressure',
          `${this.#options.maxPendingEvents} events waiting for Kafka`,
        ),
      )
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({
        topic: brokerTopic(this.#namespace, broker),
        message: toKafkaRecord(envelope),
        resolve,
        reject,
      })
      this.#scheduleFlush()
    })
  }

  // Group commit: one produce request at a time; events published while it is in flight wait
  // and go out together in the next one, so under load each request carries many events and at
  // rest an event waits one event-loop turn. Each publish resolves only once Kafka acknowledged
  // it (acks=all).
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#producing || this.#pending.length === 0) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false
    this.#producing = true
    const batch = this.#pending
    this.#pending = []
    this.#inFlight += batch.length
    const byTopic = new Map<string, Pending['message'][]>()
    for (const { topic, message } of batch) {
      const list = byTopic.get(topic) ?? []
      list.push(message)
      byTopic.set(topic, list)
    }
    try {
      await this.#producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
      for (const pending of batch) pending.resolve()
    } catch (error) {
      this.#logger.error({ err: error, events: batch.length }, 'Kafka did not take the events')
      const unavailable = new BackendUnavailableError('unavailable', 'Kafka is unavailable', { cause: error })
      for (const pending of batch) pending.reject(unavailable)
    } finally {
      this.#inFlight -= batch.length
      this.#producing = false
      this.#scheduleFlush()
    }
  }

  async check(): Promise<void> {
    if (this.#closed) throw new BackendUnavailableError('unavailable', 'broker is shutting down')
    await this.#admin.fetchTopicMetadata({
      topics: this.#brokers.map((broker) => brokerTopic(this.#namespace, broker)),
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    // kafkajs waits for the running batches; the broker aborts their deliveries after its grace.
    await Promise.all(this.#consumers.map((consumer) => consumer.disconnect()))
    await this.#producer.disconnect()
    await this.#admin.disconnect()
  }
}
