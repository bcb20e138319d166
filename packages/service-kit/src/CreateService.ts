import type { IncomingMessage } from 'node:http'
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { DestinationStream } from 'pino'
import { register as globalRegistry, type Registry } from 'prom-client'
import { type CloudEventHandlers, cloudEventReceiver } from './CloudEventReceiver.ts'
import { loadConfig } from './Config.ts'
import { CORRELATION_HEADER, correlationIdFor, REQUEST_ID_HEADER, requestIdFor } from './Correlation.ts'
import { createErrorHandler, notFoundHandler } from './ErrorHandler.ts'
import { healthPlugin, type ReadinessCheck } from './Health.ts'
import type { KitCache } from './KitCache.ts'
import {
  AccessLog,
  createLogger,
  flushLogger,
  type Logger,
  RequestLogger,
  requestChildLogger,
} from './Logger.ts'
import { metricsPlugin } from './Metrics.ts'
import { pressurePlugin } from './Pressure.ts'
import { cacheRateLimitStore } from './RateLimitStore.ts'
import { type ServiceConfig, ServiceConfigSchema } from './ServiceConfig.ts'
import './FastifyTypes.ts'

export type ServiceInstance = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface ServiceOptions {
  /** The service name; `K_SERVICE` overrides it in logs and metrics. */
  name: string
  /** Kit settings, usually the app's `loadConfig(...)` result; unset keys take their defaults. */
  config?: Partial<ServiceConfig>
  /** A ready logger; by default one is made from the config (see createLogger). */
  logger?: Logger
  /** Where the default logger writes; default stdout. */
  logDestination?: DestinationStream
  /** Default: prom-client's global registry, so other packages' metrics show on /metrics. */
  registry?: Registry
  /** Readiness checks by dependency name (database, broker…); the cache's is added automatically. */
  checks?: Readonly<Record<string, ReadinessCheck>>
  /** Shared cache: CloudEvent dedup and rate limits across replicas. Default rate limits: in-process. */
  cache?: KitCache
  /** Handlers by CloudEvent type, served on `POST /`; needs `cache` (dedup). */
  cloudEvents?: { handlers: CloudEventHandlers }
  /** Extra load-shedding signal, e.g. a saturated pool. */
  pressure?: {
    healthCheck?: () => Promise<boolean>
    healthCheckIntervalMs?: number
    sampleIntervalMs?: number
  }
  /** Key for rate limits; default the client IP. */
  rateLimitKey?: (request: FastifyRequest) => string
  /** The app's routes, registered as one encapsulated plugin (not wrapped in fastify-plugin). */
  routes?: FastifyPluginAsyncTypebox
}

/**
 * The Fastify app every service is: logging, correlation ids, load shedding, RED metrics,
 * health, rate limiting, error and 404 handling, the CloudEvent receiver, then the app's routes.
 * Nothing listens and nothing is read from the environment: `src/server.ts` does that.
 */
export function createService(options: ServiceOptions): ServiceInstance {
  const config: ServiceConfig = { ...loadConfig(ServiceConfigSchema, {}), ...definedOnly(options.config) }
  const service = config.K_SERVICE ?? options.name
  const logger =
    options.logger ??
    createLogger({
      service,
      revision: config.K_REVISION,
      level: config.LOG_LEVEL,
      destination: options.logDestination,
    })

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new AccessLog(),
    requestIdHeader: false,
    genReqId: (req) => requestIdFor(req.headers),
    // Made when the request first logs (most evaluation requests never do); a route with its
    // own level or serializers gets its child at once.
    childLoggerFactory: (parent, bindings, childOptions, req) => {
      for (const _ in childOptions) {
        addCorrelationId(bindings, req)
        return requestChildLogger(parent as Logger, bindings, childOptions)
      }
      return new RequestLogger(
        parent as Logger,
        bindings,
        addCorrelationId,
        req,
      ) as unknown as FastifyBaseLogger
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    // Report every failing field, not only the first.
    ajv: { customOptions: { allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>() as ServiceInstance

  app.register(pressurePlugin, {
    maxEventLoopDelayMs: config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
    maxEventLoopUtilization: config.PRESSURE_MAX_EVENT_LOOP_UTILIZATION,
    maxHeapUsedBytes: config.PRESSURE_MAX_HEAP_USED_BYTES,
    retryAfterSeconds: config.PRESSURE_RETRY_AFTER_S,
    ...options.pressure,
  })

  // Lines buffered in the destination are written before close() resolves (exit flushes too).
  app.addHook('onClose', () => flushLogger(logger))

  app.decorateRequest('correlationId', '')
  app.decorateRequest('kitRoute', null)
  app.addHook('onRequest', (request, reply, done) => {
    // Two header lookups: cheaper than carrying the logger's value over on the raw request.
    request.correlationId = correlationIdFor(request.headers, request.id)
    reply.header(CORRELATION_HEADER, request.correlationId)
    reply.header(REQUEST_ID_HEADER, request.id)
    // While draining, callers should reconnect, and so reach a replica that stays.
    if (app.draining) reply.header('connection', 'close')
    done()
  })

  app.register(metricsPlugin, {
    registry: options.registry ?? globalRegistry,
    service,
    revision: config.K_REVISION,
  })

  const checks = { ...options.checks }
  if (options.cache && !checks.cache) {
    const cache = options.cache
    checks.cache = () => cache.check()
  }
  app.register(healthPlugin, { checks, timeoutMs: config.READINESS_CHECK_TIMEOUT_MS })

  // Opt-in per route: `config: { rateLimit: {} }` (defaults below) or `{ max, timeWindow }`.
  app.register(rateLimit, {
    global: false,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    // A cache outage must not take the public API down with it.
    skipOnError: true,
    ...(options.cache && { store: cacheRateLimitStore(options.cache) }),
    ...(options.rateLimitKey && { keyGenerator: options.rateLimitKey }),
  })

  app.setErrorHandler(createErrorHandler({ dependencyRetryAfterSeconds: config.DEPENDENCY_RETRY_AFTER_S }))
  app.setNotFoundHandler(notFoundHandler)

  if (options.cloudEvents) {
    if (!options.cache)
      throw new TypeError('createService: cloudEvents needs a cache to deduplicate deliveries')
    app.register(cloudEventReceiver, {
      handlers: options.cloudEvents.handlers,
      cache: options.cache,
      dedupTtlMs: config.CLOUDEVENT_DEDUP_TTL_MS,
      bodyLimit: config.BODY_LIMIT_BYTES,
      service,
    })
  }
  if (options.routes) app.register(options.routes)
  return app
}

// Fastify makes `bindings` afresh for each request, so it is extended in place.
function addCorrelationId(bindings: Record<string, unknown>, req: IncomingMessage): void {
  bindings.correlationId = correlationIdFor(req.headers, String(bindings.reqId))
}

function definedOnly<T extends object>(values: T | undefined): Partial<T> {
  if (!values) return {}
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>
}
