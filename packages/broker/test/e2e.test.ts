import { fileURLToPath } from 'node:url'
import { toBinaryHttp } from '@agent-sre/events'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTriggersFromCharts } from '../src/adapters/ChartTriggers.ts'
import { type BackendOption, createBroker } from '../src/Broker.ts'
import { createBrokerApp } from '../src/BrokerApp.ts'
import { testEvent } from './helpers/events.ts'
import { TestSubscriber } from './helpers/TestSubscriber.ts'

const charts = fileURLToPath(new URL('./fixtures/charts', import.meta.url))
const kafkaBrokers = requireServiceEnv('KAFKA_BROKERS')
const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

const backends: Array<[string, BackendOption | undefined]> = [
  ['memory', 'memory'],
  [
    'kafka',
    kafkaBrokers
      ? { kafka: { brokers: kafkaBrokers.split(','), partitions: 2, sessionTimeoutMs: 6_000 } }
      : undefined,
  ],
]

describe.each(backends)(
  'end to end on the %s backend: charts → broker app → two subscribers',
  (_, backend) => {
    let alertIntake: TestSubscriber
    let ticketing: TestSubscriber
    let app: ReturnType<typeof createBrokerApp>
    let ingressUrl: string
    const namespace = `e2e-${process.pid}-${Date.now().toString(36)}`

    beforeAll(async () => {
      if (!backend) return
      alertIntake = await TestSubscriber.start()
      ticketing = await TestSubscriber.start()
      ticketing.on('/', ({ event }) => ({ status: event.type === 'agentsre.remediation.failed' ? 500 : 202 }))
      const urls: Record<string, string> = {
        'alert-intake': alertIntake.baseUrl,
        ticketing: ticketing.baseUrl,
      }
      const broker = createBroker({
        backend,
        namespace,
        triggers: await loadTriggersFromCharts(charts),
        resolveSubscriber: (service) => urls[service],
        registry: new Registry(),
        logger: silent,
      })
      await broker.start()
      app = createBrokerApp(broker, { registry: new Registry(), config: { LOG_LEVEL: 'silent' } })
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      ingressUrl = `${address}/${namespace}/default`
    }, 60_000)

    afterAll(async () => {
      await app?.close()
      await alertIntake?.close()
      await ticketing?.close()
    }, 30_000)

    it.skipIf(!backend)('delivers the right events to the right subscribers over HTTP', async () => {
      const send = async (type: string, extra: Record<string, unknown> = {}) => {
        const event = testEvent(type, extra)
        const { headers, body } = toBinaryHttp(event)
        const response = await fetch(ingressUrl, { method: 'POST', headers, body })
        expect(response.status).toBe(202)
        return event
      }
      const firing = await send('io.prometheus.alert.firing', { partitionkey: 'fp1' })
      const resolved = await send('io.prometheus.alert.resolved', { partitionkey: 'fp1' })
      const alert = await send('agentsre.alert.firing')
      const started = await send('agentsre.remediation.started')
      await send('agentsre.remediation.requested')
      const failed = await send('agentsre.remediation.failed')
      await send('agentsre.experiment.exposure')

      const intake = await alertIntake.waitFor('/events', 2)
      expect(intake.map((r) => r.event.id)).toEqual([firing.id, resolved.id])
      const dead = await ticketing.waitFor('/dead-letter', 1)
      expect(dead[0]!.event.id).toBe(failed.id)
      expect(dead[0]!.headers['ce-knativeerrorcode']).toBe('500')
      const tickets = ticketing.at('/').map((r) => r.event.id)
      expect(tickets.sort()).toEqual([alert.id, started.id, failed.id].sort())

      const ready = await fetch(ingressUrl.replace(`/${namespace}/default`, '/readyz'))
      expect(ready.status).toBe(200)
      const invalid = await fetch(ingressUrl, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0' },
        body: '',
      })
      expect(invalid.status).toBe(400)
    })
  },
)
