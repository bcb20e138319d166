import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createBroker, createBrokerApp, parseTriggerValues } from '@agent-sre/broker'
import { type AnyCloudEvent, parseHttpEvent } from '@agent-sre/events'
import { policyFor } from '@agent-sre/resilience'
import { loadConfig } from '@agent-sre/service-kit'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { buildApp } from '../../src/app.ts'
import { AppConfigSchema } from '../../src/config.ts'

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

/** A real HTTP subscriber on loopback that records every CloudEvent the broker delivers. */
export async function startObserver() {
  const events: AnyCloudEvent[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      events.push(parseHttpEvent(request.headers, Buffer.concat(chunks)))
      response.writeHead(202).end()
    })
  })
  await listen(server)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    /** Waits (real clock) until `predicate` holds over the received events. */
    async waitFor(predicate: (events: AnyCloudEvent[]) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(events)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; received: ${events.map((e) => e.type).join(', ')}`)
        await sleep(50)
      }
    },
    close: () => close(server),
  }
}

/**
 * The local broker on Kafka (a topic and consumer group of its own per run) with one trigger,
 * every agentsre.alert.* event → the observer; its ingress behind a gate that can answer 503, as
 * the Knative Kafka broker's receiver does when it cannot write to Kafka.
 */
export async function startKafkaBroker(kafkaBrokers: string, observerUrl: string) {
  const namespace = `alert-intake-it-${process.pid}-${Date.now().toString(36)}`
  const broker = createBroker({
    backend: { kafka: { brokers: kafkaBrokers.split(','), partitions: 2, sessionTimeoutMs: 6_000 } },
    namespace,
    triggers: parseTriggerValues(
      {
        triggers: [
          {
            name: 'observer',
            filters: [{ prefix: { type: 'agentsre.alert.' } }],
            subscriber: { uri: observerUrl },
            deliveryOrder: 'ordered',
          },
        ],
      },
      'alert-intake-test',
    ),
    resolveSubscriber: () => undefined,
    registry: new Registry(),
    logger: silent,
  })
  await broker.start()
  const app = createBrokerApp(broker, { registry: new Registry(), config: { LOG_LEVEL: 'silent' } })
  const brokerUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  let down = false
  const gate = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const c of request) chunks.push(c as Buffer)
    if (down) {
      response.writeHead(503, { 'retry-after': '1' }).end()
      return
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([k]) => k !== 'host' && k !== 'connection'),
    ) as Record<string, string>
    const forwarded = await fetch(`${brokerUrl}${request.url}`, {
      method: 'POST',
      headers,
      body: Buffer.concat(chunks),
    })
    response.writeHead(forwarded.status).end(Buffer.from(await forwarded.arrayBuffer()))
  })
  await listen(gate)
  return {
    ingressUrl: `http://127.0.0.1:${(gate.address() as AddressInfo).port}/${namespace}/default`,
    setDown(value: boolean) {
      down = value
    },
    async close() {
      await close(gate)
      await app.close()
    },
  }
}

export const TOKEN = 'integration-token-0123456789'

/**
 * alert-intake as in production — real sender over HTTP, background publisher and sweeper — on
 * the given backends. The sender's policy has no circuit breaker: the default one (open for 30 s
 * after 5 failures) would only make the broker-down test slow, it is tested in @agent-sre/resilience.
 */
export async function startIntake(
  urls: { db: string; redis: string; sink: string },
  env: Record<string, string> = {},
) {
  const schema = freshSchemaName('alert_intake_it')
  const registry = new Registry()
  const config = loadConfig(AppConfigSchema, {
    LOG_LEVEL: 'silent',
    WEBHOOK_BEARER_TOKEN: TOKEN,
    DATABASE_URL: urls.db,
    REDIS_URL: urls.redis,
    DATABASE_SCHEMA: schema,
    BROKER_URL: urls.sink,
    OUTBOX_POLL_INTERVAL_MS: '50',
    OUTBOX_LEASE_MS: '200',
    SWEEP_INTERVAL_MS: '50',
    ...env,
  })
  const policy = policyFor(
    'event-sink',
    {
      timeoutMs: 5_000,
      retry: { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      breaker: false,
    },
    { registry },
  )
  const built = await buildApp({ config, env: { WEBHOOK_BEARER_TOKEN: TOKEN }, registry, policy })
  const address = await built.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...built, address, registry, schema }
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function listen(server: Server) {
  return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
}

function close(server: Server) {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(resolve))
}
