import type { AnyCloudEvent } from '@agent-sre/events'
import type { FastifyPluginAsync } from 'fastify'
import pino from 'pino'
import type { Registry } from 'prom-client'
import { HttpSender } from './adapters/HttpSender.ts'
import type { BrokerBackend } from './backends/Backend.ts'
import { BackendUnavailableError } from './backends/Backend.ts'
import { KafkaBackend, type KafkaBackendOptions } from './backends/KafkaBackend.ts'
import { MemoryBackend, type MemoryBackendOptions } from './backends/MemoryBackend.ts'
import { Dispatcher } from './Dispatcher.ts'
import type { Destination } from './domain/DeliveryPolicy.ts'
import type { TriggerDefinition } from './domain/TriggerDefinition.ts'
import { type Envelope, envelopeOf } from './Envelope.ts'
import { ingressPlugin } from './Ingress.ts'
import type { BrokerLogger } from './Logger.ts'
import { createBrokerMetrics } from './Metrics.ts'
import type { Route } from './Route.ts'

export type BackendOption =
  | 'memory'
  | { readonly memory: MemoryBackendOptions }
  | { readonly kafka: KafkaBackendOptions }

/**
 * Which half of the data plane this instance runs. On Kafka, Knative runs them as two
 * deployments: the receiver (ingress → topic) and the dispatcher (topic → subscribers, replies
 * back to the topic), so each scales and uses a core of its own. `all` runs both in one process;
 * the memory backend can only run `all` (its queue lives in the process).
 */
export type BrokerRole = 'all' | 'receiver' | 'dispatcher'

export interface BrokerOptions {
  /** `'memory'` (default) or `{ kafka: { brokers } }`. */
  readonly backend?: BackendOption
  /** Default `all`; `receiver` and `dispatcher` need the Kafka backend. */
  readonly role?: BrokerRole
  /** The namespace this broker serves (ingress path, topic and consumer group names). Default `default`. */
  readonly namespace?: string
  /** Usually `await loadTriggersFromCharts('charts')`. */
  readonly triggers: readonly TriggerDefinition[]
  /** Base URL of a platform service by name (`alert-intake` → `http://127.0.0.1:8081`). */
  readonly resolveSubscriber: (service: string) => string | undefined
  /** Default: prom-client's global registry. */
  readonly registry?: Registry
  readonly logger?: BrokerLogger
  /** Largest event accepted at ingress (and reply read from a subscriber), in bytes. Default 1 MiB. */
  readonly maxEventBytes?: number
  /** On close, how long in-flight deliveries may finish before they are aborted. Default 10 s. */
  readonly closeGraceMs?: number
  /** Keep-alive connections per subscriber origin. Default 128. */
  readonly connectionsPerOrigin?: number
}

export interface Broker {
  readonly namespace: string
  readonly backend: 'memory' | 'kafka'
  readonly role: BrokerRole
  /** The broker names this instance serves: `default` plus every trigger's broker. */
  readonly brokers: readonly string[]
  /**
   * Fastify route plugin: `POST /<namespace>/<broker>` and `POST /`. Register it without
   * fastify-plugin. A dispatcher serves no ingress: the plugin adds no route.
   */
  readonly ingress: FastifyPluginAsync
  /** Stores an event in a broker as the ingress does; throws BackendUnavailableError. */
  publish(broker: string, event: AnyCloudEvent): Promise<void>
  /** Creates topics / queues and starts delivering. */
  start(): Promise<void>
  /** Readiness: throws when events cannot be stored. */
  check(): Promise<void>
  /** Stops intake, lets in-flight deliveries finish for `closeGraceMs`, then aborts them. */
  close(): Promise<void>
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`
}

/** Builds a Knative-compatible broker for development and tests (see the package README). */
export function createBroker(options: BrokerOptions): Broker {
  const namespace = options.namespace ?? 'default'
  const logger = options.logger ?? (pino({ name: 'agent-sre-broker' }) as unknown as BrokerLogger)
  const metrics = createBrokerMetrics(options.registry)
  const maxEventBytes = options.maxEventBytes ?? 1_048_576
  const brokers = [...new Set(['default', ...options.triggers.map((trigger) => trigger.broker)])]
  const known = new Set(brokers)
  const backendOption = options.backend ?? 'memory'
  const role = options.role ?? 'all'
  if (role !== 'all' && (backendOption === 'memory' || 'memory' in backendOption))
    throw new TypeError(
      `createBroker: role ${role} needs the Kafka backend; the memory backend runs role all`,
    )
  const backend: BrokerBackend =
    backendOption === 'memory'
      ? new MemoryBackend({}, metrics, logger)
      : 'memory' in backendOption
        ? new MemoryBackend(backendOption.memory, metrics, logger)
        : new KafkaBackend(backendOption.kafka, namespace, brokers, metrics, logger, role !== 'receiver')
  const sender = new HttpSender({
    connectionsPerOrigin: options.connectionsPerOrigin,
    maxResponseBytes: maxEventBytes,
  })
  const abort = new AbortController()
  let closing: Promise<void> | undefined

  const resolve = (destination: Destination, trigger: string): string => {
    if ('uri' in destination) return destination.uri
    const base = options.resolveSubscriber(destination.service)
    if (!base) throw new Error(`trigger ${trigger}: no local URL for service "${destination.service}"`)
    return joinUrl(base, destination.path)
  }

  const publishEnvelope = async (broker: string, envelope: Envelope): Promise<void> => {
    if (!known.has(broker))
      throw new BackendUnavailableError('unavailable', `no broker ${namespace}/${broker}`)
    await backend.publish(broker, envelope)
    metrics.ingested(broker, envelope.event.type)
  }

  const dispatcher = new Dispatcher({
    namespace,
    sender,
    publishReply: publishEnvelope,
    metrics,
    logger,
    signal: abort.signal,
  })

  return {
    namespace,
    backend: backend.kind,
    role,
    brokers,
    ingress:
      role === 'dispatcher'
        ? async () => {}
        : ingressPlugin({
            namespace,
            maxEventBytes,
            hasBroker: (broker) => known.has(broker),
            publish: publishEnvelope,
            rejected: (broker, reason) => metrics.rejected(broker, reason),
          }),
    publish: (broker, event) => publishEnvelope(broker, envelopeOf(event)),
    async start() {
      const routes: Route[] = options.triggers.map((trigger) => ({
        name: trigger.name,
        broker: trigger.broker,
        filter: trigger.filter,
        ordered: trigger.ordered,
        delivery: trigger.delivery,
        subscriberUrl: resolve(trigger.subscriber, trigger.name),
        ...(trigger.delivery.deadLetterSink && {
          deadLetterUrl: resolve(trigger.delivery.deadLetterSink, trigger.name),
        }),
      }))
      await backend.start(routes, async (route, envelope, ingestedAt) => {
        await dispatcher.dispatch(route, envelope, ingestedAt)
      })
      logger.info(
        { backend: backend.kind, role, namespace, brokers, triggers: routes.length },
        'broker started',
      )
    },
    check: () => backend.check(),
    close() {
      closing ??= (async () => {
        const timer = setTimeout(
          () => abort.abort(new Error('broker closed')),
          options.closeGraceMs ?? 10_000,
        )
        try {
          await backend.close()
        } finally {
          clearTimeout(timer)
          abort.abort(new Error('broker closed'))
          await sender.close()
        }
      })()
      return closing
    },
  }
}
