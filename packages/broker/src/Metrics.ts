import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from 'prom-client'

export type DeliveryOutcome = 'delivered' | 'dead_lettered' | 'dropped'
export type AttemptResult = 'success' | 'retriable' | 'failed'
export type IngressRejection = 'invalid' | 'too_large' | 'backpressure' | 'unavailable' | 'unknown_broker'
export type DropReason = 'no_dead_letter_sink' | 'dead_letter_failed' | 'reply_ttl_exhausted'

// Event types come from clients: past this many distinct values the label collapses to "other"
// so a misbehaving producer cannot blow up the series count.
const MAX_TYPE_LABELS = 200

export interface BrokerMetrics {
  ingested(broker: string, type: string): void
  rejected(broker: string, reason: IngressRejection): void
  attempt(trigger: string, result: AttemptResult): void
  outcome(trigger: string, outcome: DeliveryOutcome, seconds: number): void
  dropped(trigger: string, reason: DropReason): void
  queueDepth(trigger: string, depth: number): void
  consumerLag(trigger: string, lag: number): void
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  // The global registry outlives a broker (tests, restarts in one process): reuse its series.
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}

interface Child {
  inc(): void
  set(value: number): void
  observe(value: number): void
}

/**
 * The labelled children of a metric with one or two labels, cached by their values in label
 * order: per event the hot path then does two map lookups instead of prom-client's label hashing,
 * and allocates nothing.
 */
function cachedChildren(metric: { labels(...values: string[]): unknown }) {
  const byFirst = new Map<string, Map<string | undefined, Child>>()
  return (first: string, second?: string): Child => {
    let bySecond = byFirst.get(first)
    if (!bySecond) {
      bySecond = new Map()
      byFirst.set(first, bySecond)
    }
    let child = bySecond.get(second)
    if (!child) {
      child = (second === undefined ? metric.labels(first) : metric.labels(first, second)) as Child
      bySecond.set(second, child)
    }
    return child
  }
}

/** prom-client metrics of one broker, registered on `registry` (default: the global one). */
export function createBrokerMetrics(registry: Registry = globalRegistry): BrokerMetrics {
  const registers = [registry]
  const ingested = getOrCreate(
    registry,
    'agentsre_broker_events_ingested_total',
    () =>
      new Counter({
        name: 'agentsre_broker_events_ingested_total',
        help: 'Events accepted by the broker ingress, by broker and CloudEvent type',
        labelNames: ['broker', 'type'],
        registers,
      }),
  )
  const rejected = getOrCreate(
    registry,
    'agentsre_broker_ingress_rejected_total',
    () =>
      new Counter({
        name: 'agentsre_broker_ingress_rejected_total',
        help: 'Events refused by the broker ingress, by reason',
        labelNames: ['broker', 'reason'],
        registers,
      }),
  )
  const attempts = getOrCreate(
    registry,
    'agentsre_broker_delivery_attempts_total',
    () =>
      new Counter({
        name: 'agentsre_broker_delivery_attempts_total',
        help: 'HTTP delivery attempts to subscribers, by trigger and result',
        labelNames: ['trigger', 'result'],
        registers,
      }),
  )
  const deliveries = getOrCreate(
    registry,
    'agentsre_broker_deliveries_total',
    () =>
      new Counter({
        name: 'agentsre_broker_deliveries_total',
        help: 'Events that finished delivery, by trigger and outcome (delivered, dead_lettered, dropped)',
        labelNames: ['trigger', 'outcome'],
        registers,
      }),
  )
  const latency = getOrCreate(
    registry,
    'agentsre_broker_delivery_latency_seconds',
    () =>
      new Histogram({
        name: 'agentsre_broker_delivery_latency_seconds',
        help: 'Time from ingestion to the end of delivery (retries included), by trigger and outcome',
        labelNames: ['trigger', 'outcome'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
  )
  const deadLettered = getOrCreate(
    registry,
    'agentsre_broker_dead_lettered_total',
    () =>
      new Counter({
        name: 'agentsre_broker_dead_lettered_total',
        help: 'Events sent to a trigger dead-letter sink',
        labelNames: ['trigger'],
        registers,
      }),
  )
  const dropped = getOrCreate(
    registry,
    'agentsre_broker_events_dropped_total',
    () =>
      new Counter({
        name: 'agentsre_broker_events_dropped_total',
        help: 'Events or replies given up on, by trigger and reason',
        labelNames: ['trigger', 'reason'],
        registers,
      }),
  )
  const depth = getOrCreate(
    registry,
    'agentsre_broker_queue_depth',
    () =>
      new Gauge({
        name: 'agentsre_broker_queue_depth',
        help: 'Events queued or in flight per trigger (memory backend)',
        labelNames: ['trigger'],
        registers,
      }),
  )
  const lag = getOrCreate(
    registry,
    'agentsre_broker_consumer_lag',
    () =>
      new Gauge({
        name: 'agentsre_broker_consumer_lag',
        help: 'Records not yet processed per trigger consumer group (Kafka backend)',
        labelNames: ['trigger'],
        registers,
      }),
  )
  const seenTypes = new Set<string>()
  const ingestedBy = cachedChildren(ingested)
  const attemptsBy = cachedChildren(attempts)
  const deliveriesBy = cachedChildren(deliveries)
  const latencyBy = cachedChildren(latency)
  const depthBy = cachedChildren(depth)
  return {
    ingested(broker, type) {
      if (!seenTypes.has(type) && seenTypes.size < MAX_TYPE_LABELS) seenTypes.add(type)
      ingestedBy(broker, seenTypes.has(type) ? type : 'other').inc()
    },
    rejected: (broker, reason) => rejected.inc({ broker, reason }),
    attempt: (trigger, result) => attemptsBy(trigger, result).inc(),
    outcome(trigger, outcome, seconds) {
      deliveriesBy(trigger, outcome).inc()
      latencyBy(trigger, outcome).observe(seconds)
      if (outcome === 'dead_lettered') deadLettered.inc({ trigger })
    },
    dropped: (trigger, reason) => dropped.inc({ trigger, reason }),
    queueDepth: (trigger, value) => depthBy(trigger).set(value),
    consumerLag: (trigger, value) => lag.set({ trigger }, value),
  }
}
