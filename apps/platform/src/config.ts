import { fileURLToPath } from 'node:url'
import { ConfigError, ServiceConfigSchema } from '@agent-sre/service-kit'
import { type Static, Type } from '@sinclair/typebox'

/** The repository's `charts/`: the triggers' one source of truth. */
export const DEFAULT_CHARTS_DIR = fileURLToPath(new URL('../../../charts', import.meta.url))

/**
 * The platform's own settings (each service reads its own from the same environment). Ports are
 * per service, `<SERVICE>_PORT` (see services.ts); every entry is listed in the README.
 */
export const PlatformConfigSchema = Type.Object({
  // Loopback by default: locally the admin APIs run without keys.
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  KAFKA_BROKERS: Type.Optional(Type.String({ minLength: 1 })),
  // `--only broker` on Kafka: one half of Knative's data plane (receiver or dispatcher), or both.
  BROKER_ROLE: Type.Union([Type.Literal('all'), Type.Literal('receiver'), Type.Literal('dispatcher')], {
    default: 'all',
  }),
  BROKER_NAMESPACE: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', default: 'default' }),
  CHARTS_DIR: Type.String({ minLength: 1, default: DEFAULT_CHARTS_DIR }),
  PGLITE_DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  PLATFORM_CLOSE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000 }),
  LOG_LEVEL: ServiceConfigSchema.properties.LOG_LEVEL,
})

export type PlatformConfig = Static<typeof PlatformConfigSchema>

/**
 * The broker's role: a receiver or a dispatcher runs one half of the Kafka broker as its own
 * process (`--only broker`), so it needs KAFKA_BROKERS; the all-in-one platform runs both halves.
 */
export function brokerRole(config: PlatformConfig, allInOne: boolean): PlatformConfig['BROKER_ROLE'] {
  if (config.BROKER_ROLE === 'all') return 'all'
  if (allInOne)
    throw new ConfigError([
      {
        variable: 'BROKER_ROLE',
        message: `${config.BROKER_ROLE} applies to --only broker; the platform runs all`,
      },
    ])
  if (brokerBackend(config) === 'memory')
    throw new ConfigError([
      {
        variable: 'BROKER_ROLE',
        message: `${config.BROKER_ROLE} needs KAFKA_BROKERS (the memory broker runs all)`,
      },
    ])
  return config.BROKER_ROLE
}

/** `KAFKA_BROKERS` (`host:port,host:port`) as the broker's Kafka backend, or the in-memory one. */
export function brokerBackend(config: PlatformConfig): 'memory' | { kafka: { brokers: string[] } } {
  if (!config.KAFKA_BROKERS) return 'memory'
  const brokers = config.KAFKA_BROKERS.split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '')
  return brokers.length > 0 ? { kafka: { brokers } } : 'memory'
}
