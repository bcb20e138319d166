import type { Env } from '@agent-sre/service-kit'

// Variables that name one service's own resources: shared by every service in one process they
// would collide (one port, one schema, one PGlite directory), so each service takes its own.
const PER_SERVICE = [
  'PORT',
  'HOST',
  'K_SERVICE',
  'K_SINK',
  'DATABASE_SCHEMA',
  'CACHE_KEY_PREFIX',
  'PGLITE_DATA_DIR',
]

export interface ServiceEnvOptions {
  readonly port: number
  readonly host: string
  /** The broker ingress the service emits to. */
  readonly sinkUrl: string
  /** Parent directory for persistent PGlite data; each service gets `<dir>/<service>`. */
  readonly pgliteRoot?: string | undefined
}

/**
 * The environment one service sees inside the all-in-one process: the platform's own (so
 * DATABASE_URL, REDIS_URL, LOG_LEVEL and the service's own settings apply), without the
 * per-service variables, which are set for it; the service's defaults pick its schema and cache
 * key prefix.
 */
export function serviceEnv(service: string, base: Env, options: ServiceEnvOptions): Env {
  const env: Record<string, string | undefined> = { ...base }
  for (const name of PER_SERVICE) delete env[name]
  env.PORT = String(options.port)
  env.HOST = options.host
  env.K_SINK = options.sinkUrl
  if (options.pgliteRoot) env.PGLITE_DATA_DIR = `${options.pgliteRoot.replace(/\/+$/, '')}/${service}`
  return env
}
