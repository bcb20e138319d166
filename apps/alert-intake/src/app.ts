import { fileURLToPath } from 'node:url'
import { type CatalogEvent, createEmitter, EventTypes, traceExtensionsFrom } from '@agent-sre/events'
import { policyFor, type ResiliencePolicy } from '@agent-sre/resilience'
import type { ServiceOptions } from '@agent-sre/service-kit'
import {
  type CloudEventHandlers,
  ConfigError,
  createService,
  DependencyUnavailableError,
  OverloadedError,
  type ServiceInstance,
  secret,
  sinkUrlOf,
  ValidationError,
} from '@agent-sre/service-kit'
import { type Cache, type Database, openCache, openDatabase } from '@agent-sre/store'
import type { FastifyRequest } from 'fastify'
import { register as globalRegistry, type Registry } from 'prom-client'
import { QueueFullError } from './adapters/GroupCommit.ts'
import { Intake, newTraceparent } from './adapters/Intake.ts'
import type { AlertSource } from './adapters/IntakeRepository.ts'
import { intakeMetrics } from './adapters/metrics.ts'
import { type EventSink, OutboxPublisher } from './adapters/OutboxPublisher.ts'
import type { AppConfig } from './config.ts'
import type { AlertStatus } from './domain/alert.ts'
import { groupKeyFor } from './domain/grouping.ts'
import { AlertRejected, type Normalized, normalizeAlert } from './domain/normalize.ts'
import { alertRoutes } from './routes/alerts.ts'
import { webhookRoutes } from './routes/webhook.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))

export interface BuildOptions {
  config: AppConfig
  /** Injected resources are not closed by the app; otherwise they are opened from the config. */
  db?: Database
  cache?: Cache
  /** Default: the events emitter (one attempt per call) to K_SINK/BROKER_URL. */
  sink?: EventSink
  /** Around each outbox batch send; default policyFor('event-sink') with the resilience defaults. */
  policy?: Pick<ResiliencePolicy, 'execute'>
  registry?: Registry
  env?: Readonly<Record<string, string | undefined>>
  now?: () => number
  logDestination?: ServiceOptions['logDestination']
  /** false: no background publisher/sweeper timers (tests drive them). Default true. */
  background?: boolean
}

type PrometheusType = typeof EventTypes.PrometheusAlertFiring | typeof EventTypes.PrometheusAlertResolved
const PROMETHEUS_TYPES = new Set<string>([
  EventTypes.PrometheusAlertFiring,
  EventTypes.PrometheusAlertResolved,
])

/** `type=status,…` → map; only catalog types carrying a Prometheus alert can be mapped. */
export function parseTypeMap(text: string): Map<PrometheusType, AlertStatus> {
  const map = new Map<PrometheusType, AlertStatus>()
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [type, status] = part.split('=').map((s) => s.trim())
    if (!type || !PROMETHEUS_TYPES.has(type) || (status !== 'firing' && status !== 'resolved')) {
      throw new ConfigError([
        {
          variable: 'CLOUDEVENT_TYPE_MAP',
          message: `"${part}" is not <prometheus alert type>=firing|resolved`,
        },
      ])
    }
    map.set(type as PrometheusType, status)
  }
  return map
}

/**
 * The events package's emitter, one attempt per call: the publisher runs the resilience policy once
 * around each batch (see OutboxPublisher), and posts the stored wire form as it is.
 */
function brokerSink(sinkUrl: string, connections: number): { sink: EventSink; close(): Promise<void> } {
  const emitter = createEmitter({ sinkUrl, policy: false, connections })
  return { sink: emitter.emitEncoded, close: emitter.close }
}

export interface IntakeApp {
  app: ServiceInstance
  intake: Intake
  publisher: OutboxPublisher
}

/** Builds the service; opens what was not injected; nothing listens. */
export async function buildApp(options: BuildOptions): Promise<IntakeApp> {
  const { config } = options
  const env = options.env ?? process.env
  const registry = options.registry ?? globalRegistry
  const typeMap = parseTypeMap(config.CLOUDEVENT_TYPE_MAP)
  const groupBy = config.CLOUDEVENT_GROUP_BY.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const sinkUrl = sinkUrlOf(config)
  if (!options.sink && !sinkUrl) {
    throw new ConfigError([
      { variable: 'K_SINK', message: 'K_SINK or BROKER_URL is required to publish events' },
    ])
  }
  const credential = secret(
    config.WEBHOOK_AUTH === 'basic' ? 'WEBHOOK_BASIC_PASSWORD' : 'WEBHOOK_BEARER_TOKEN',
    {
      env,
    },
  )
  if (config.WEBHOOK_AUTH !== 'none' && !credential.value()) {
    credential.close()
    const variable = config.WEBHOOK_AUTH === 'basic' ? 'WEBHOOK_BASIC_PASSWORD' : 'WEBHOOK_BEARER_TOKEN'
    throw new ConfigError([
      { variable, message: `is required (or ${variable}_FILE) when WEBHOOK_AUTH=${config.WEBHOOK_AUTH}` },
    ])
  }

  // A read-only credential for GET /alerts*, so tools and people reading alerts need not hold the
  // token that can inject them. Configured or not is decided here, once: a file emptied later
  // matches nothing (fails closed) instead of opening the reads.
  const readTokenConfigured = Boolean(env.ALERTS_READ_TOKEN_FILE || env.ALERTS_READ_TOKEN)
  const readToken = readTokenConfigured ? secret('ALERTS_READ_TOKEN', { env }) : undefined
  if (readToken && !readToken.value()) {
    readToken.close()
    credential.close()
    throw new ConfigError([{ variable: 'ALERTS_READ_TOKEN_FILE', message: 'is empty' }])
  }

  const db =
    options.db ??
    (await openDatabase({
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrationsDir: MIGRATIONS_DIR,
      poolMax: config.DATABASE_POOL_MAX,
    }))
  // Dedup keys are a cache of this database's transitions: namespaced by its schema, so two
  // deployments (or test runs) sharing one Redis never take each other's alerts for duplicates.
  const cache =
    options.cache ?? (await openCache({ url: config.REDIS_URL, keyPrefix: `${config.DATABASE_SCHEMA}:` }))
  const metrics = intakeMetrics(registry)
  let app: ServiceInstance | undefined
  // The app (and its logger) is created after these; they log through it once it exists.
  const logger = { warn: (obj: object, msg: string) => app?.log.warn(obj, msg) }
  const out = options.sink
    ? { sink: options.sink, close: async () => {} }
    : brokerSink(sinkUrl as string, config.OUTBOX_CONCURRENCY)
  const policy =
    options.policy ??
    policyFor('event-sink', undefined, {
      registry,
      logger: {
        info: (obj, msg) => app?.log.info(obj, msg),
        warn: (obj, msg) => app?.log.warn(obj, msg),
      },
    })

  let publisher: OutboxPublisher | undefined
  const intake = new Intake({
    logger,
    db,
    cache,
    metrics,
    pipeline: {
      flap: {
        threshold: config.FLAP_THRESHOLD,
        windowMs: config.FLAP_WINDOW_MS,
        stabilizationMs: config.FLAP_STABILIZATION_MS,
      },
      storm: {
        maxPerWindow: config.STORM_MAX_PER_WINDOW,
        windowMs: config.STORM_WINDOW_MS,
        maxListedFingerprints: config.STORM_MAX_LISTED_FINGERPRINTS,
      },
    },
    groupCommit: {
      delayMs: config.GROUP_COMMIT_DELAY_MS,
      maxBatch: config.GROUP_COMMIT_MAX_BATCH,
      maxQueued: config.GROUP_COMMIT_MAX_QUEUED,
    },
    dedupTtlMs: config.DEDUP_TTL_MS,
    staleGraceMs: config.STALE_GRACE_MS,
    onEvents: () => publisher?.wake(),
    ...(options.now && { now: options.now }),
  })
  publisher = new OutboxPublisher({
    db,
    sink: out.sink,
    policy,
    metrics,
    batchSize: config.OUTBOX_BATCH_SIZE,
    leaseMs: config.OUTBOX_LEASE_MS,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    concurrency: config.OUTBOX_CONCURRENCY,
    logger,
  })

  const accept = async (alerts: readonly Normalized[], source: AlertSource) => {
    try {
      return await intake.accept(
        alerts.map((a) => a.item),
        alerts.map((a) => a.startsAtMs),
        source,
      )
    } catch (err) {
      if (err instanceof QueueFullError) throw new OverloadedError('write queue full')
      app?.log.error({ err }, 'alerts not stored')
      // Nothing was committed: the sender (Alertmanager, the broker) retries on 503.
      throw new DependencyUnavailableError('database')
    }
  }
  const traceparentFor = (request: FastifyRequest) => {
    const header = request.headers.traceparent
    if (typeof header === 'string' && /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(header)) return header
    return traceExtensionsFrom().traceparent ?? newTraceparent()
  }

  const onPrometheusAlert = async (
    event: CatalogEvent<PrometheusType>,
    ctx: { traceparent: string | undefined },
  ) => {
    const status = typeMap.get(event.type) as AlertStatus
    const data = event.data
    const group = groupKeyFor(data.labels, groupBy)
    let normalized: Normalized
    try {
      normalized = normalizeAlert(
        { ...data, status },
        { groupKey: group.key, groupLabels: group.labels, traceparent: ctx.traceparent ?? newTraceparent() },
        'data',
      )
    } catch (err) {
      if (err instanceof AlertRejected) throw new ValidationError(err.message)
      throw err
    }
    await accept([normalized], 'cloudevent')
    return undefined
  }
  const handlers: Record<string, unknown> = {}
  for (const type of typeMap.keys()) handlers[type] = onPrometheusAlert

  app = createService({
    name: 'alert-intake',
    config,
    registry,
    cache,
    ...(options.logDestination && { logDestination: options.logDestination }),
    checks: { database: () => db.check() },
    cloudEvents: { handlers: handlers as CloudEventHandlers },
    routes: async (instance) => {
      const webhookAuth = {
        mode: config.WEBHOOK_AUTH,
        username: config.WEBHOOK_BASIC_USERNAME,
        secret: () => credential.value(),
      }
      const ctx = {
        db,
        accept,
        traceparentFor,
        maxAlertsPerWebhook: config.MAX_ALERTS_PER_WEBHOOK,
        auth: webhookAuth,
        readAuth: { webhook: webhookAuth, token: readToken && (() => readToken.value()) },
      }
      await instance.register(webhookRoutes, ctx)
      await instance.register(alertRoutes, ctx)
    },
  })

  let sweepTimer: NodeJS.Timeout | undefined
  if (options.background !== false) {
    app.addHook('onReady', async () => {
      publisher.start()
      sweepTimer = setInterval(() => {
        intake.sweep().catch((err: unknown) => app?.log.warn({ err }, 'sweep failed'))
      }, config.SWEEP_INTERVAL_MS)
      sweepTimer.unref()
    })
  }
  app.addHook('onClose', async () => {
    clearInterval(sweepTimer)
    credential.close()
    readToken?.close()
    await intake.drain()
    await publisher.stop()
    // A last pass so events committed just before shutdown do not wait for the next replica.
    await publisher.drainOnce().catch(() => 0)
    await out.close()
    if (!options.cache) await cache.close()
    if (!options.db) await db.close()
  })
  return { app, intake, publisher }
}
