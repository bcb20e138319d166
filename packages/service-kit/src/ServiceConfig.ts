import { type Static, Type } from '@sinclair/typebox'

const LogLevel = Type.Union(
  [
    Type.Literal('fatal'),
    Type.Literal('error'),
    Type.Literal('warn'),
    Type.Literal('info'),
    Type.Literal('debug'),
    Type.Literal('trace'),
    Type.Literal('silent'),
  ],
  { default: 'info' },
)

/**
 * Settings every service shares. Apps compose it with their own schema:
 * `loadConfig(Type.Composite([ServiceConfigSchema, AppSchema]))`. Each entry is listed in the README.
 */
export const ServiceConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: LogLevel,
  K_SERVICE: Type.Optional(Type.String({ minLength: 1 })),
  K_REVISION: Type.String({ minLength: 1, default: 'local' }),
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 5000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 1_048_576 }),
  TRUST_PROXY: Type.Boolean({ default: true }),
  READINESS_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 2000 }),
  // Delay is the overload signal: a loop busy 100% of the time can still answer quickly, so
  // utilization shedding is off (0) unless configured.
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: Type.Number({ minimum: 0, default: 200 }),
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  PRESSURE_MAX_HEAP_USED_BYTES: Type.Integer({ minimum: 0, default: 0 }),
  PRESSURE_RETRY_AFTER_S: Type.Integer({ minimum: 1, default: 10 }),
  DEPENDENCY_RETRY_AFTER_S: Type.Integer({ minimum: 1, default: 5 }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 100 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  CLOUDEVENT_DEDUP_TTL_MS: Type.Integer({ minimum: 1, default: 86_400_000 }),
})

export type ServiceConfig = Static<typeof ServiceConfigSchema>

/**
 * The store settings (`@agent-sre/store`), for a service to spread into its own schema with its
 * own default schema name: `Type.Object({ ...storeSettings('ticketing'), ... })`.
 */
export function storeSettings(defaultSchema: string) {
  return {
    DATABASE_URL: Type.Optional(Type.String({ description: 'Postgres URL; unset → embedded PGlite' })),
    DATABASE_SCHEMA: Type.String({
      default: defaultSchema,
      description: 'schema for the tables and migrations',
    }),
    DATABASE_POOL_MAX: Type.Integer({ minimum: 1, default: 10, description: 'Postgres pool size' }),
    REDIS_URL: Type.Optional(Type.String({ description: 'Redis URL; unset → in-process cache' })),
  }
}

/** Where a service emits its events, spread into its own schema: `Type.Object({ ...SinkSettings })`. */
export const SinkSettings = {
  K_SINK: Type.Optional(Type.String({ description: 'event sink URL, injected by a SinkBinding' })),
  BROKER_URL: Type.Optional(Type.String({ description: 'broker ingress URL, used when K_SINK is unset' })),
}

/** The URL to emit events to: `K_SINK`, else `BROKER_URL`; undefined when neither is set. */
export function sinkUrlOf(config: {
  K_SINK?: string | undefined
  BROKER_URL?: string | undefined
}): string | undefined {
  return config.K_SINK ?? config.BROKER_URL
}
