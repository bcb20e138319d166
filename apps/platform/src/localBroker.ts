import {
  type Broker,
  type BrokerRole,
  createBroker,
  createBrokerApp,
  type TriggerDefinition,
} from '@agent-sre/broker'
import {
  createLogger,
  type Env,
  loadConfig,
  ServiceConfigSchema,
  type ServiceInstance,
} from '@agent-sre/service-kit'
import type { Registry } from 'prom-client'
import { brokerBackend, type PlatformConfig } from './config.ts'

export interface LocalBrokerOptions {
  readonly config: PlatformConfig
  /** The broker's own environment (service-kit settings: body limit, drain delay…). */
  readonly env: Env
  readonly triggers: readonly TriggerDefinition[]
  readonly resolveSubscriber: (service: string) => string | undefined
  readonly registry: Registry
  /** Default `all`; see `brokerRole`. */
  readonly role?: BrokerRole
}

/** The local broker (memory, or Kafka when KAFKA_BROKERS is set) as a service-kit app. */
export function buildLocalBroker(options: LocalBrokerOptions): { broker: Broker; app: ServiceInstance } {
  const { config, registry } = options
  const kit = loadConfig(ServiceConfigSchema, options.env)
  const logger = createLogger({
    service: kit.K_SERVICE ?? 'broker',
    revision: kit.K_REVISION,
    level: kit.LOG_LEVEL,
  })
  const broker = createBroker({
    backend: brokerBackend(config),
    role: options.role,
    namespace: config.BROKER_NAMESPACE,
    triggers: options.triggers,
    resolveSubscriber: options.resolveSubscriber,
    registry,
    logger,
    // Half the shutdown budget for in-flight deliveries, the rest for everything else.
    closeGraceMs: Math.ceil(config.PLATFORM_CLOSE_TIMEOUT_MS / 2),
  })
  const app = createBrokerApp(broker, { config: kit, logger, registry })
  return { broker, app }
}

/** The ingress URL services emit to (their K_SINK). */
export function ingressUrl(brokerUrl: string, namespace: string): string {
  return `${brokerUrl}/${namespace}/default`
}
