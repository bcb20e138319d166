import { ServiceConfigSchema, SinkSettings, storeSettings } from '@agent-sre/service-kit'
import { type Static, Type } from '@sinclair/typebox'

/** The experiments service's settings; every entry has a default and a line in the README. */
export const ExperimentsSettings = Type.Object({
  ...storeSettings('experiments'),
  PGLITE_DATA_DIR: Type.Optional(Type.String()),
  CACHE_KEY_PREFIX: Type.String({ default: 'agentsre:experiments:' }),
  ...SinkSettings,
  CONFIG_CACHE_TTL_MS: Type.Integer({ minimum: 1, default: 300_000 }),
  ASSIGNMENT_FLUSH_INTERVAL_MS: Type.Integer({ minimum: 1, default: 50 }),
  ASSIGNMENT_BATCH_MAX: Type.Integer({ minimum: 1, default: 1000 }),
  ASSIGNMENT_PENDING_MAX: Type.Integer({ minimum: 1, default: 100_000 }),
  ASSIGNMENT_CACHE_ENTRIES: Type.Integer({ minimum: 1, default: 100_000 }),
  ASSIGNMENT_PURGE_INTERVAL_MS: Type.Integer({ minimum: 1000, default: 3_600_000 }),
  EXPOSURE_QUEUE_CAPACITY: Type.Integer({ minimum: 1, default: 10_000 }),
  EXPOSURE_CONCURRENCY: Type.Integer({ minimum: 1, default: 8 }),
  EVALUATION_ACCESS_LOG: Type.Boolean({ default: false }),
})

export const ExperimentsConfigSchema = Type.Composite([ServiceConfigSchema, ExperimentsSettings])
export type ExperimentsConfig = Static<typeof ExperimentsConfigSchema>
