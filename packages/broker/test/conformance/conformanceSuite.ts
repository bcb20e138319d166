import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBinaryHttp } from '@agent-sre/events'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadTriggersFromCharts } from '../../src/adapters/ChartTriggers.ts'
import { type BackendOption, type Broker, createBroker } from '../../src/Broker.ts'
import { InvalidTriggerError, parseTriggerValues } from '../../src/domain/TriggerDefinition.ts'
import { post, testEvent } from '../helpers/events.ts'
import { TestSubscriber } from '../helpers/TestSubscriber.ts'

export interface BackendFixture {
  readonly name: 'memory' | 'kafka'
  /** undefined: skip the suite (service not configured locally). */
  readonly backend: () => BackendOption | undefined
  /** Backoff timing with fake timers (memory) or on the real clock with short delays (Kafka). */
  readonly fakeTimers: boolean
}

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

/** Chart values of the suite's service: one trigger per scenario, each on its own event types. */
const VALUES = {
  triggers: [
    {
      name: 'filter-exact',
      filters: [{ exact: { type: 'conf.filter.a' } }],
      subscriber: { path: '/filter/exact' },
    },
    {
      name: 'filter-prefix',
      filters: [{ prefix: { type: 'conf.filter.' } }],
      subscriber: { path: '/filter/prefix' },
    },
    {
      name: 'filter-any-not',
      filters: [
        { any: [{ exact: { type: 'conf.filter.a' } }, { exact: { type: 'conf.filter.b' } }] },
        { not: { suffix: { source: '/blocked' } } },
      ],
      subscriber: { path: '/filter/any-not' },
    },
    {
      name: 'filter-legacy',
      filter: { attributes: { type: 'conf.filter.b', correlationid: '' } },
      subscriber: { path: '/filter/legacy' },
    },
    {
      name: 'retry',
      filters: [{ exact: { type: 'conf.retry' } }],
      subscriber: { path: '/retry' },
      delivery: {
        retry: 2,
        backoffPolicy: 'linear',
        backoffDelay: 'PT0.01S',
        deadLetterSink: { ref: { service: 'dls', path: '/dls/retry' } },
      },
    },
    {
      name: 'timing',
      filters: [{ exact: { type: 'conf.timing' } }],
      subscriber: { path: '/timing' },
      delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' },
    },
    {
      name: 'timeout',
      filters: [{ exact: { type: 'conf.timeout' } }],
      subscriber: { path: '/timeout' },
      delivery: {
        retry: 1,
        backoffDelay: 'PT0.01S',
        timeout: 'PT0.2S',
        deadLetterSink: { ref: { service: 'dls', path: '/dls/timeout' } },
      },
    },
    {
      name: 'reply-request',
      filters: [{ exact: { type: 'conf.reply.request' } }],
      subscriber: { path: '/reply' },
    },
    {
      name: 'reply-sink',
      filters: [{ exact: { type: 'conf.reply.response' } }],
      subscriber: { path: '/reply-sink' },
    },
    { name: 'loop', filters: [{ exact: { type: 'conf.loop' } }], subscriber: { path: '/loop' } },
    {
      name: 'not-an-event',
      filters: [{ exact: { type: 'conf.nonce' } }],
      subscriber: { path: '/nonce' },
      delivery: {
        retry: 3,
        backoffDelay: 'PT0.01S',
        deadLetterSink: { ref: { service: 'dls', path: '/dls/nonce' } },
      },
    },
    {
      name: 'ordered',
      filters: [{ exact: { type: 'conf.order' } }],
      subscriber: { path: '/order' },
      deliveryOrder: 'ordered',
    },
    { name: 'no-dead-letter', filters: [{ exact: { type: 'conf.drop' } }], subscriber: { path: '/drop' } },
  ],
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (!metric) return 0
  const { values } = await metric.get()
  return values
    .filter((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label))
    .reduce((sum, value) => sum + value.value, 0)
}

export function conformanceSuite(fixture: BackendFixture): void {
  const backend = fixture.backend()
  describe.skipIf(!backend)(`broker conformance: ${fixture.name} backend`, () => {
    const namespace = `conf-${fixture.name}-${process.pid}-${Date.now().toString(36)}`
    const registry = new Registry()
    let subscriber: TestSubscriber
    let broker: Broker
    let app: FastifyInstance

    beforeAll(async () => {
      subscriber = await TestSubscriber.start()
      const triggers = parseTriggerValues(VALUES, 'conformance')
      broker = createBroker({
        backend: backend!,
        namespace,
        triggers,
        resolveSubscriber: () => subscriber.baseUrl,
        registry,
        logger: silent,
        maxEventBytes: 4096,
        closeGraceMs: 2_000,
      })
      await broker.start()
      app = Fastify()
      await app.register(broker.ingress)
    }, 60_000)

    afterAll(async () => {
      await app?.close()
      await broker?.close()
      await subscriber?.close()
    }, 30_000)

    it('routes each event to the triggers whose filters match, in binary mode with Knative headers', async () => {
      const a = testEvent('conf.filter.a')
      const b = testEvent('conf.filter.b', { correlationid: 'c-1' })
      const bWithoutCorrelation = testEvent('conf.filter.b')
      const blocked = testEvent('conf.filter.a', { source: '/agent-sre/blocked' })
      const other = testEvent('conf.filter.c')
      for (const event of [a, b, bWithoutCorrelation, blocked, other]) {
        expect((await post(app, event, `/${namespace}/default`)).statusCode).toBe(202)
      }
      await subscriber.waitFor('/filter/prefix', 5)
      await subscriber.waitFor('/filter/any-not', 3)
      await subscriber.waitFor('/filter/exact', 2)
      await subscriber.waitFor('/filter/legacy', 1)
      const ids = (path: string) =>
        subscriber
          .at(path)
          .map((r) => r.event.id)
          .sort()
      expect(ids('/filter/exact')).toEqual([a.id, blocked.id].sort())
      expect(ids('/filter/prefix')).toEqual([a.id, b.id, bWithoutCorrelation.id, blocked.id, other.id].sort())
      expect(ids('/filter/any-not')).toEqual([a.id, b.id, bWithoutCorrelation.id].sort())
      expect(ids('/filter/legacy')).toEqual([b.id])

      const delivered = subscriber.at('/filter/legacy')[0]!
      expect(delivered.headers.prefer).toBe('reply')
      expect(delivered.headers['kn-namespace']).toBe(namespace)
      expect(delivered.headers['ce-id']).toBe(b.id)
      expect(delivered.headers['ce-correlationid']).toBe('c-1')
      expect(delivered.headers['content-type']).toBe('application/json')
      expect(delivered.headers['ce-knativebrokerttl']).toBeUndefined()
      expect(delivered.event.data).toEqual(b.data)
    })

    it('retries 404/408/409/429/5xx up to `retry` extra attempts, then dead-letters with the error extensions', async () => {
      const statuses = new Map<string, number[]>()
      subscriber.on('/retry', ({ event }) => {
        const status = statuses.get(event.id)!.shift()
        return status === undefined ? { status: 202 } : { status, body: 'subscriber says no' }
      })
      const exhausted = testEvent('conf.retry')
      const recovered = testEvent('conf.retry')
      const conflict = testEvent('conf.retry')
      const fatal = testEvent('conf.retry')
      const redirect = testEvent('conf.retry')
      statuses.set(exhausted.id, [503, 429, 500])
      statuses.set(recovered.id, [404, 408])
      statuses.set(conflict.id, [409])
      statuses.set(fatal.id, [400])
      statuses.set(redirect.id, [302])
      for (const event of [exhausted, recovered, conflict, fatal, redirect]) await post(app, event)

      const dead = await subscriber.waitFor('/dls/retry', 3)
      await subscriber.waitFor('/retry', 3 + 3 + 2 + 1 + 1)
      const attempts = (id: string) => subscriber.at('/retry').filter((r) => r.event.id === id).length
      expect(attempts(exhausted.id)).toBe(3)
      expect(attempts(recovered.id)).toBe(3)
      expect(attempts(conflict.id)).toBe(2)
      expect(attempts(fatal.id)).toBe(1)
      expect(attempts(redirect.id)).toBe(1)

      const byId = new Map(dead.map((r) => [r.event.id, r]))
      expect([...byId.keys()].sort()).toEqual([exhausted.id, fatal.id, redirect.id].sort())
      const last = byId.get(exhausted.id)!
      expect(last.headers['ce-knativeerrorcode']).toBe('500')
      expect(last.headers['ce-knativeerrordest']).toBe(`${subscriber.baseUrl}/retry`)
      expect(Buffer.from(String(last.headers['ce-knativeerrordata']), 'base64').toString()).toBe(
        'subscriber says no',
      )
      expect(last.event.data).toEqual(exhausted.data)
      expect(byId.get(fatal.id)!.headers['ce-knativeerrorcode']).toBe('400')
      expect(byId.get(redirect.id)!.headers['ce-knativeerrorcode']).toBe('302')
      await vi.waitFor(async () =>
        expect(await metricValue(registry, 'agentsre_broker_dead_lettered_total', { trigger: 'retry' })).toBe(
          3,
        ),
      )
    })

    it('counts a request over the trigger timeout as a retriable failure without a status', async () => {
      subscriber.on(
        '/timeout',
        () => new Promise((resolve) => setTimeout(() => resolve({ status: 202 }), 1_000)),
      )
      const event = testEvent('conf.timeout')
      await post(app, event)
      const [dead] = await subscriber.waitFor('/dls/timeout', 1)
      expect(subscriber.at('/timeout')).toHaveLength(2)
      expect(dead!.headers['ce-knativeerrorcode']).toBeUndefined()
      expect(dead!.headers['ce-knativeerrordest']).toBe(`${subscriber.baseUrl}/timeout`)
    })

    it('treats a non-empty 2xx body that is not a CloudEvent as a failed delivery, not retried', async () => {
      subscriber.on('/nonce', () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }))
      const event = testEvent('conf.nonce')
      await post(app, event)
      const [dead] = await subscriber.waitFor('/dls/nonce', 1)
      expect(subscriber.at('/nonce')).toHaveLength(1)
      expect(dead!.headers['ce-knativeerrorcode']).toBe('200')
      expect(Buffer.from(String(dead!.headers['ce-knativeerrordata']), 'base64').toString()).toBe('ok')
    })

    it('drops a failed event without a dead-letter sink, with a metric', async () => {
      subscriber.on('/drop', () => ({ status: 422 }))
      await post(app, testEvent('conf.drop'))
      await subscriber.waitFor('/drop', 1)
      await vi.waitFor(async () =>
        expect(
          await metricValue(registry, 'agentsre_broker_events_dropped_total', {
            trigger: 'no-dead-letter',
            reason: 'no_dead_letter_sink',
          }),
        ).toBe(1),
      )
      expect(
        await metricValue(registry, 'agentsre_broker_deliveries_total', {
          trigger: 'no-dead-letter',
          outcome: 'dropped',
        }),
      ).toBe(1)
    })

    it('routes a CloudEvent reply back into the broker', async () => {
      subscriber.on('/reply', ({ event }) => {
        const reply = toBinaryHttp(testEvent('conf.reply.response', { subject: event.id }))
        return { status: 200, headers: reply.headers, body: reply.body }
      })
      const request = testEvent('conf.reply.request')
      await post(app, request)
      const [reply] = await subscriber.waitFor('/reply-sink', 1)
      expect(reply!.event.subject).toBe(request.id)
      expect(reply!.event.type).toBe('conf.reply.response')
    })

    it('stops a reply loop when knativebrokerttl runs out', async () => {
      subscriber.on('/loop', () => {
        const reply = toBinaryHttp(testEvent('conf.loop'))
        return { status: 200, headers: reply.headers, body: reply.body }
      })
      await post(app, testEvent('conf.loop', { knativebrokerttl: 5 }))
      await subscriber.waitFor('/loop', 5)
      await vi.waitFor(async () =>
        expect(
          await metricValue(registry, 'agentsre_broker_events_dropped_total', {
            trigger: 'loop',
            reason: 'reply_ttl_exhausted',
          }),
        ).toBe(1),
      )
      expect(subscriber.at('/loop')).toHaveLength(5)
    })

    it('keeps per-partitionkey order on an ordered trigger', async () => {
      subscriber.on(
        '/order',
        () => new Promise((resolve) => setTimeout(() => resolve({ status: 202 }), Math.random() * 4)),
      )
      const keys = ['k1', 'k2', 'k3', 'k4']
      const perKey = 15
      const events = []
      for (let seq = 0; seq < perKey; seq++) {
        for (const key of keys)
          events.push(testEvent('conf.order', { partitionkey: key, subject: String(seq) }))
      }
      await Promise.all(events.map((event) => post(app, event)))
      await subscriber.waitFor('/order', events.length, 30_000)
      for (const key of keys) {
        const sequence = subscriber
          .at('/order')
          .filter((r) => r.event.partitionkey === key)
          .map((r) => Number(r.event.subject))
        expect(sequence).toEqual([...Array(perKey).keys()])
      }
    })

    it('refuses bad events at ingress with a reason', async () => {
      const valid = toBinaryHttp(testEvent('conf.ingress'))
      const missingId = { ...valid.headers }
      delete missingId['ce-id']
      const cases: Array<[string, InjectOptions, number, string]> = [
        ['missing id', { method: 'POST', url: '/', headers: missingId, body: valid.body }, 400, 'id'],
        [
          'bad time',
          {
            method: 'POST',
            url: '/',
            headers: { ...valid.headers, 'ce-time': 'yesterday' },
            body: valid.body,
          },
          400,
          'time',
        ],
        [
          'structured, not JSON',
          {
            method: 'POST',
            url: '/',
            headers: { 'content-type': 'application/cloudevents+json' },
            body: '{nope',
          },
          400,
          '',
        ],
        [
          'not a CloudEvent',
          { method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, body: 'hi' },
          400,
          'ce-specversion',
        ],
        [
          'too large',
          { method: 'POST', url: '/', headers: valid.headers, body: JSON.stringify({ x: 'y'.repeat(5000) }) },
          413,
          '4096',
        ],
        [
          'unknown broker',
          { method: 'POST', url: `/${namespace}/nope`, headers: valid.headers, body: valid.body },
          404,
          'nope',
        ],
        [
          'other namespace',
          { method: 'POST', url: '/elsewhere/default', headers: valid.headers, body: valid.body },
          404,
          'elsewhere',
        ],
      ]
      for (const [name, request, status, reason] of cases) {
        const response = await app.inject(request)
        expect(response.statusCode, name).toBe(status)
        expect(response.json().message, name).toContain(reason)
      }
      const structured = testEvent('conf.ingress')
      const accepted = await app.inject({
        method: 'POST',
        url: `/${namespace}/default`,
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(structured.toJSON()),
      })
      expect(accepted.statusCode).toBe(202)
      expect(accepted.body).toBe('')
      expect(
        await metricValue(registry, 'agentsre_broker_events_ingested_total', { type: 'conf.ingress' }),
      ).toBe(1)
    })

    it('backs off exponentially between attempts (delay·2^k)', async () => {
      // Real timing on this backend; the memory backend has a fake-timer variant below.
      if (fixture.fakeTimers) return
      subscriber.on('/timing', () => ({ status: 503 }))
      await post(app, testEvent('conf.timing'))
      const attempts = await subscriber.waitFor('/timing', 3)
      const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at]
      expect(gaps[0]).toBeGreaterThanOrEqual(195)
      expect(gaps[0]).toBeLessThan(600)
      expect(gaps[1]).toBeGreaterThanOrEqual(395)
      expect(gaps[1]).toBeLessThan(800)
    })

    it('rejects a chart whose filter entry has two dialects, as Knative does', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'broker-charts-'))
      try {
        await mkdir(join(dir, 'svc'))
        await writeFile(
          join(dir, 'svc', 'values.yaml'),
          'triggers:\n  - name: bad\n    filters:\n      - exact: { type: a }\n        prefix: { type: b }\n',
        )
        await expect(loadTriggersFromCharts(dir)).rejects.toThrow(InvalidTriggerError)
        await expect(loadTriggersFromCharts(dir)).rejects.toThrow('only one dialect is allowed per filter')
      } finally {
        await rm(dir, { recursive: true })
      }
    })
  })
}
