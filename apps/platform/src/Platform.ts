import type { AddressInfo } from 'node:net'
import { loadTriggersFromCharts, type TriggerDefinition } from '@agent-sre/broker'
import { ConfigError, closeServer, type Env, loadConfig, type ServiceInstance } from '@agent-sre/service-kit'
import { Registry } from 'prom-client'
import { brokerRole, type PlatformConfig, PlatformConfigSchema } from './config.ts'
import { envPrefix, localUrl, portFor } from './domain/ports.ts'
import { serviceEnv } from './domain/serviceEnv.ts'
import { formatListenTable, type ListenRow } from './domain/table.ts'
import { type SkippedTrigger, selectTriggers } from './domain/triggers.ts'
import { buildLocalBroker, ingressUrl } from './localBroker.ts'
import { DEFAULT_PORTS, SERVICES, type ServiceDefinition } from './services.ts'

export interface PlatformOptions {
  /** Default `process.env`. */
  readonly env?: Env
  /** Default: every service in the registry. */
  readonly services?: readonly ServiceDefinition[]
  /** Default: the `triggers:` of every chart under CHARTS_DIR. */
  readonly triggers?: readonly TriggerDefinition[]
}

export interface RunningService {
  readonly name: string
  readonly url: string
}

export interface Platform {
  readonly config: PlatformConfig
  readonly broker: RunningService & { readonly ingressUrl: string; readonly backend: 'memory' | 'kafka' }
  readonly services: readonly RunningService[]
  /** Triggers left out because a service they deliver to is not running. */
  readonly skippedTriggers: readonly SkippedTrigger[]
  /** The table printed at start-up: where each listens. */
  readonly table: string
  /** Closes every service (in parallel), then the broker. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the local broker and every service, each on its own port, on embedded defaults or on
 * DATABASE_URL / REDIS_URL / KAFKA_BROKERS. Order: the broker listens first (its URL is every
 * service's K_SINK), then the services, then the broker wires triggers to their URLs; until then
 * the ingress answers 503, which senders retry, instead of dropping events with no route yet.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const env = options.env ?? process.env
  const config = loadConfig(PlatformConfigSchema, env)
  brokerRole(config, true)
  const definitions = options.services ?? SERVICES
  const brokerPort = portFor('broker', DEFAULT_PORTS.broker, env)
  const ports = new Map(definitions.map((d) => [d.name, portFor(d.name, d.defaultPort, env)]))
  const triggers = options.triggers ?? (await loadTriggersFromCharts(config.CHARTS_DIR))
  const names = new Set(definitions.map((d) => d.name))
  const { active, skipped } = selectTriggers(triggers, (service) => names.has(service))

  const urls = new Map<string, string>()
  const local = buildLocalBroker({
    config,
    env: serviceEnv('broker', env, { port: brokerPort, host: config.HOST, sinkUrl: '' }),
    triggers: active,
    resolveSubscriber: (service) => urls.get(service),
    registry: new Registry(),
  })
  let wired = false
  local.app.addHook('onRequest', async (request, reply) => {
    if (!wired && request.method === 'POST') {
      await reply.code(503).header('retry-after', '1').send({ error: 'broker is starting' })
    }
  })

  const apps: ServiceInstance[] = []
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      await Promise.allSettled(apps.map((app) => closeServer(app)))
      await closeServer(local.app)
    })()
    return closing
  }

  try {
    const brokerUrl = await listen('broker', local.app, brokerPort, config.HOST)
    const sinkUrl = ingressUrl(brokerUrl, config.BROKER_NAMESPACE)
    const started = await Promise.allSettled(
      definitions.map(async (definition) => {
        const port = ports.get(definition.name) ?? definition.defaultPort
        const { build } = await definition.load()
        const app = await build(
          serviceEnv(
            definition.name,
            { ...definition.localDefaults, ...definedOnly(env) },
            {
              port,
              host: config.HOST,
              sinkUrl,
              pgliteRoot: config.PGLITE_DATA_DIR,
            },
          ),
          new Registry(),
        )
        apps.push(app)
        urls.set(definition.name, await listen(definition.name, app, port, config.HOST))
      }),
    )
    const failed = started.find((outcome) => outcome.status === 'rejected')
    if (failed) throw failed.reason
    await local.broker.start()
    wired = true

    const broker = { name: 'broker', url: brokerUrl, ingressUrl: sinkUrl, backend: local.broker.backend }
    const services = definitions.map((d) => ({ name: d.name, url: urls.get(d.name) ?? '' }))
    const rows: ListenRow[] = [
      {
        name: 'broker',
        url: brokerUrl,
        detail: `ingress ${sinkUrl} (${broker.backend}, ${active.length} triggers)`,
      },
      ...services.map((s) => ({ name: s.name, url: s.url, detail: '' })),
    ]
    const notes = skipped.map((s) => `trigger ${s.trigger} not wired: ${s.missing.join(', ')} not running`)
    return {
      config,
      broker,
      services,
      skippedTriggers: skipped,
      table: formatListenTable(rows, notes),
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

async function listen(name: string, app: ServiceInstance, port: number, host: string): Promise<string> {
  try {
    await app.listen({ port, host })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    const variable = `${envPrefix(name)}_PORT`
    throw new ConfigError([{ variable, message: `port ${port} on ${host} is in use; set ${variable}` }])
  }
  return localUrl(host, (app.server.address() as AddressInfo).port)
}

function definedOnly(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
}
