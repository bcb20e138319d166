import type { Env, ServiceInstance } from '@agent-sre/service-kit'
import type { Registry } from 'prom-client'

/**
 * Builds a service's app (not listening) from its own environment, as its `src/server.ts` does:
 * reads its config, opens its database schema and cache, calls its `src/app.ts` factory. The app
 * owns what was opened: closing it releases everything.
 */
export type BuildService = (env: Env, registry: Registry) => Promise<ServiceInstance>

export interface ServiceDefinition {
  readonly name: string
  /** Overridden by `<SERVICE>_PORT` (e.g. `ALERT_INTAKE_PORT`). */
  readonly defaultPort: number
  /** All-in-one mode only, under the environment (set variables win): loopback conveniences. */
  readonly localDefaults?: Readonly<Record<string, string>>
  /** Loaded only when the service starts, so `--only broker` never loads a service's code. */
  readonly load: () => Promise<{ build: BuildService }>
}

/** One port per service, fixed so they can run side by side (and each as its own process). */
export const DEFAULT_PORTS = Object.freeze({
  broker: 8080,
  'alert-intake': 8081,
  experiments: 8082,
  'remediation-router': 8083,
  'function-invoker': 8084,
  ticketing: 8085,
})

/**
 * Every service the platform runs. A service joins with one entry here and a builder in
 * `services/<name>.ts`, added once its `src/app.ts` exists.
 */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'alert-intake',
    defaultPort: DEFAULT_PORTS['alert-intake'],
    // Alertmanager on this machine sends no token; a cluster sets WEBHOOK_AUTH and its secret.
    localDefaults: { WEBHOOK_AUTH: 'none' },
    load: () => import('./services/alert-intake.ts'),
  },
  {
    name: 'experiments',
    defaultPort: DEFAULT_PORTS.experiments,
    load: () => import('./services/experiments.ts'),
  },
]
