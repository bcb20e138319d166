// The experiments app: assignment, flag evaluation (own API and OFREP) and the admin API, on the
// shared service kit. No side effects: src/server.ts opens the database and cache and listens.

import type { Emitter } from '@agent-sre/events'
import { createService, loadConfig, type ServiceInstance, type ServiceOptions } from '@agent-sre/service-kit'
import type { Cache, Database } from '@agent-sre/store'
import type { Registry } from 'prom-client'
import { AssignmentStore } from './adapters/AssignmentStore.ts'
import { ConfigCache } from './adapters/ConfigCache.ts'
import { ConfigRepository } from './adapters/ConfigRepository.ts'
import { ExposureRecorder } from './adapters/ExposureRecorder.ts'
import { type ExperimentsConfig, ExperimentsConfigSchema } from './config.ts'
import { adminRoutes } from './routes/admin.ts'
import { assignRoutes } from './routes/assign.ts'
import type { ApiKey } from './routes/auth.ts'
import { flagRoutes } from './routes/flags.ts'
import { ofrepRoutes } from './routes/ofrep.ts'
import type { Services } from './Services.ts'

export interface AppOptions {
  /** Settings; unset keys take their defaults. */
  config?: Partial<ExperimentsConfig>
  /** Opened by the caller, closed by the app on close. */
  db: Database
  cache: Cache
  /**
   * Delivers exposure events (the broker emitter), closed by the app on close once the queued
   * exposures are sent; unset: exposures are counted only (`unrouted`).
   */
  emitter?: Pick<Emitter, 'emit' | 'close'>
  registry?: Registry
  logger?: ServiceOptions['logger']
  /** Where the default logger writes; default stdout. */
  logDestination?: ServiceOptions['logDestination']
  /** Keys for /assign, /flags and OFREP; none: open (local development). */
  apiKeys?: () => readonly ApiKey[]
  /** Keys for /admin; none: open (local development). */
  adminKeys?: () => readonly ApiKey[]
  now?: () => number
}

const NO_KEYS = () => []

export function buildApp(options: AppOptions): ServiceInstance {
  const config: ExperimentsConfig = { ...loadConfig(ExperimentsConfigSchema, {}), ...options.config }
  const { db, cache, registry, emitter } = options
  const now = options.now ?? Date.now
  let services: Services | undefined
  const purgeTimer = { current: undefined as NodeJS.Timeout | undefined }

  const app = createService({
    name: 'experiments',
    config,
    ...(options.logger && { logger: options.logger }),
    ...(options.logDestination && { logDestination: options.logDestination }),
    ...(registry && { registry }),
    checks: { database: () => db.check() },
    cache,
    routes: async (instance) => {
      const s = services!
      await instance.register(adminRoutes(s))
      await instance.register(assignRoutes(s))
      await instance.register(flagRoutes(s))
      await instance.register(ofrepRoutes(s))
    },
  })

  // Set by the API-key hook; declared up front so every request keeps one object shape.
  app.decorateRequest('principal', '')

  const repository = new ConfigRepository(db)
  const exposures = new ExposureRecorder({
    emit: emitter && ((event) => emitter.emit(event)),
    logger: app.log,
    ...(registry && { registry }),
    capacity: config.EXPOSURE_QUEUE_CAPACITY,
    concurrency: config.EXPOSURE_CONCURRENCY,
  })
  services = {
    repository,
    config: new ConfigCache({
      repository,
      cache,
      ttlMs: config.CONFIG_CACHE_TTL_MS,
      logger: app.log,
      ...(registry && { registry }),
      now,
    }),
    assignments: new AssignmentStore({
      db,
      logger: app.log,
      ...(registry && { registry }),
      flushIntervalMs: config.ASSIGNMENT_FLUSH_INTERVAL_MS,
      maxBatch: config.ASSIGNMENT_BATCH_MAX,
      maxPending: config.ASSIGNMENT_PENDING_MAX,
      cacheEntries: config.ASSIGNMENT_CACHE_ENTRIES,
      now,
      // An exposure is recorded once its assignment is committed, by the replica that stored it.
      onStored: (stored) => {
        for (const exposure of stored) exposures.record(exposure)
      },
    }),
    exposures,
    apiKeys: options.apiKeys ?? NO_KEYS,
    adminKeys: options.adminKeys ?? NO_KEYS,
    now,
    // One access-log line per evaluation would dominate the cost of these routes (and the log
    // volume); their RED metrics and error logs stay on. EVALUATION_ACCESS_LOG=true turns lines on.
    evaluationRoutes: { accessLog: config.EVALUATION_ACCESS_LOG },
  }
  const s = services

  app.addHook('onReady', async () => {
    await s.config.start()
    if (s.apiKeys().length === 0)
      app.log.warn('EXPERIMENTS_API_KEYS is empty: assignment and flag APIs are open')
    if (s.adminKeys().length === 0) app.log.warn('EXPERIMENTS_ADMIN_API_KEYS is empty: the admin API is open')
    purgeTimer.current = setInterval(() => {
      s.assignments.purgeExpired().catch((err) => app.log.warn({ err }, 'purging expired assignments failed'))
    }, config.ASSIGNMENT_PURGE_INTERVAL_MS)
    purgeTimer.current.unref()
  })

  app.addHook('onClose', async () => {
    clearInterval(purgeTimer.current)
    // Persist every acknowledged assignment and send queued exposures before the pools close.
    await s.assignments.close()
    await s.exposures.drain()
    await emitter?.close()
    await s.config.close()
    await cache.close()
    await db.close()
  })
  return app
}
