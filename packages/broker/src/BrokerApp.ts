import { createService, type ServiceInstance, type ServiceOptions } from '@agent-sre/service-kit'
import type { Broker } from './Broker.ts'

export type BrokerAppOptions = Omit<ServiceOptions, 'name' | 'routes' | 'checks' | 'cloudEvents'> & {
  /** Service name in logs and metrics. Default `broker`. */
  readonly name?: string
}

/**
 * The broker as a standalone service-kit app: the ingress plus /healthz, /readyz (the backend's
 * check) and /metrics. The app owns the broker's shutdown: closing the app closes the broker.
 * Start the broker (`broker.start()`) before listening.
 */
export function createBrokerApp(broker: Broker, options: BrokerAppOptions = {}): ServiceInstance {
  const app = createService({
    ...options,
    name: options.name ?? 'broker',
    checks: { broker: () => broker.check() },
    routes: broker.ingress as NonNullable<ServiceOptions['routes']>,
  })
  app.addHook('onClose', () => broker.close())
  return app
}
