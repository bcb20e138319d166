import type { AddressInfo } from 'node:net'
import { loadTriggersFromCharts } from '@agent-sre/broker'
import { type Env, loadConfig, runServer, ServiceConfigSchema } from '@agent-sre/service-kit'
import { register } from 'prom-client'
import { brokerRole, type PlatformConfig, PlatformConfigSchema } from './config.ts'
import { envPrefix, localUrl, portFor } from './domain/ports.ts'
import { formatListenTable } from './domain/table.ts'
import { selectTriggers } from './domain/triggers.ts'
import { buildLocalBroker, ingressUrl } from './localBroker.ts'
import { DEFAULT_PORTS, SERVICES } from './services.ts'

/** The names `--only` accepts. */
export function onlyNames(): string[] {
  return ['broker', ...SERVICES.map((s) => s.name)]
}

/**
 * Runs one service, or the broker alone, as its own process, the way it runs in a cluster:
 * through service-kit's runServer (on SIGTERM/SIGINT: drain, close, exit), the broker on Kafka
 * when KAFKA_BROKERS is set. Resolves once listening, with the table of where it listens.
 */
export async function runOnly(name: string, env: Env = process.env): Promise<string> {
  const config = loadConfig(PlatformConfigSchema, env)
  const drainDelayMs = loadConfig(ServiceConfigSchema, { ...env, PORT: undefined }).SHUTDOWN_DRAIN_DELAY_MS
  const serve = { host: config.HOST, drainDelayMs }
  const brokerUrl = localUrl('127.0.0.1', portFor('broker', DEFAULT_PORTS.broker, env))

  if (name === 'broker') {
    const role = brokerRole(config, false)
    const triggers = await loadTriggersFromCharts(config.CHARTS_DIR)
    const resolve = (service: string) => subscriberUrl(service, env)
    const { active, skipped } = selectTriggers(triggers, (service) => resolve(service) !== undefined)
    let backend = ''
    const app = await runServer({
      ...serve,
      port: listenPort('broker', DEFAULT_PORTS.broker, env),
      build: async () => {
        const local = buildLocalBroker({
          config,
          env,
          triggers: active,
          resolveSubscriber: resolve,
          registry: register,
          role,
        })
        backend = local.broker.backend
        // Triggers are wired before listening, so the ingress never accepts an event it cannot route.
        await local.broker.start().catch(async (err: unknown) => {
          await local.app.close()
          throw err
        })
        return local.app
      },
    })
    const url = urlOf(app.server.address() as AddressInfo, config)
    return formatListenTable(
      [
        {
          name,
          url,
          detail:
            role === 'dispatcher'
              ? `dispatcher (${backend}, ${active.length} triggers, no ingress)`
              : `ingress ${ingressUrl(url, config.BROKER_NAMESPACE)} (${backend}${role === 'receiver' ? ' receiver' : ''}, ${active.length} triggers)`,
        },
      ],
      skipped.map((s) => `trigger ${s.trigger} not wired: ${s.missing.join(', ')} not in the platform`),
    )
  }

  const definition = SERVICES.find((s) => s.name === name)
  if (!definition) throw new Error(`--only ${name}: unknown service; one of ${onlyNames().join(', ')}`)
  const port = listenPort(name, definition.defaultPort, env)
  const sinkUrl = env.K_SINK || ingressUrl(brokerUrl, config.BROKER_NAMESPACE)
  const { build } = await definition.load()
  const app = await runServer({
    ...serve,
    port,
    build: () => build({ ...env, PORT: String(port), K_SINK: sinkUrl }, register),
  })
  return formatListenTable([
    { name, url: urlOf(app.server.address() as AddressInfo, config), detail: `emits to ${sinkUrl}` },
  ])
}

/** Where the broker delivers to a platform service: `<SERVICE>_URL`, else its port on this machine. */
function subscriberUrl(service: string, env: Env): string | undefined {
  const definition = SERVICES.find((s) => s.name === service)
  if (!definition) return undefined
  return (
    env[`${envPrefix(service)}_URL`] || localUrl('127.0.0.1', portFor(service, definition.defaultPort, env))
  )
}

/** In a cluster Knative sets PORT; locally `<SERVICE>_PORT` or the default keeps processes apart. */
function listenPort(name: string, defaultPort: number, env: Env): number {
  return env.PORT ? loadConfig(ServiceConfigSchema, env).PORT : portFor(name, defaultPort, env)
}

function urlOf(address: AddressInfo, config: PlatformConfig): string {
  return localUrl(config.HOST, address.port)
}
