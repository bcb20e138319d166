// The Kafka broker split as Knative deploys it: a receiver (ingress → topic) and a dispatcher
// (topic → subscribers, replies back to the topic) in separate instances, on a real Kafka.
import { toBinaryHttp } from '@agent-sre/events'
import { requireServiceEnv } from '@agent-sre/store/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { Kafka, logLevel } from 'kafkajs'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Broker, type BrokerRole, createBroker } from '../src/Broker.ts'
import { triggerConsumerGroup } from '../src/domain/Names.ts'
import { parseTriggerValues } from '../src/domain/TriggerDefinition.ts'
import { post, testEvent } from './helpers/events.ts'
import { TestSubscriber } from './helpers/TestSubscriber.ts'

const kafkaBrokers = requireServiceEnv('KAFKA_BROKERS')
const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

const triggers = parseTriggerValues(
  {
    triggers: [
      { name: 'request', filters: [{ exact: { type: 'roles.request' } }], subscriber: { path: '/request' } },
      { name: 'reply', filters: [{ exact: { type: 'roles.reply' } }], subscriber: { path: '/reply' } },
    ],
  },
  'roles',
)

describe.skipIf(!kafkaBrokers)('receiver and dispatcher as separate instances (Kafka)', () => {
  const namespace = `roles-${process.pid}-${Date.now().toString(36)}`
  let subscriber: TestSubscriber
  const running: { broker: Broker; app: FastifyInstance }[] = []

  const start = async (role: BrokerRole) => {
    const broker = createBroker({
      backend: { kafka: { brokers: kafkaBrokers!.split(','), partitions: 2, sessionTimeoutMs: 6_000 } },
      role,
      namespace,
      triggers,
      resolveSubscriber: () => subscriber.baseUrl,
      registry: new Registry(),
      logger: silent,
      closeGraceMs: 1_000,
    })
    await broker.start()
    const app = Fastify()
    await app.register(broker.ingress)
    running.push({ broker, app })
    return { broker, app }
  }

  beforeAll(async () => {
    subscriber = await TestSubscriber.start()
  })

  afterAll(async () => {
    for (const { broker, app } of running) {
      await app.close()
      await broker.close()
    }
    await subscriber?.close()
  }, 30_000)

  it('a receiver stores events without delivering them; a dispatcher started later delivers every one', async () => {
    const receiver = await start('receiver')
    expect(receiver.broker.role).toBe('receiver')
    const sent = [testEvent('roles.request'), testEvent('roles.request')]
    for (const event of sent) {
      const response = await post(receiver.app, event, `/${namespace}/default`)
      expect(response.statusCode).toBe(202)
    }
    // Nothing consumes yet: the trigger's consumer group has no member, the events wait in the topic.
    const admin = new Kafka({ brokers: kafkaBrokers!.split(','), logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const { groups } = await admin.describeGroups([triggerConsumerGroup(namespace, 'request')])
      expect(groups[0]!.members).toHaveLength(0)
    } finally {
      await admin.disconnect()
    }
    expect(subscriber.at('/request')).toHaveLength(0)

    // A reply re-enters the broker through the dispatcher's own producer.
    subscriber.on('/request', ({ event }) => {
      const reply = toBinaryHttp(testEvent('roles.reply', { subject: event.id }))
      return { status: 200, headers: reply.headers, body: reply.body }
    })
    const dispatcher = await start('dispatcher')
    const delivered = await subscriber.waitFor('/request', 2, 30_000)
    expect(delivered.map((r) => r.event.id).sort()).toEqual(sent.map((e) => e.id).sort())
    const replies = await subscriber.waitFor('/reply', 2, 30_000)
    expect(replies.map((r) => r.event.subject).sort()).toEqual(sent.map((e) => e.id).sort())

    // A dispatcher serves no ingress.
    const refused = await post(dispatcher.app, testEvent('roles.request'), `/${namespace}/default`)
    expect(refused.statusCode).toBe(404)
  }, 60_000)
})

describe('broker roles', () => {
  it('refuses a receiver or dispatcher on the memory backend (its queue lives in one process)', () => {
    for (const role of ['receiver', 'dispatcher'] as const) {
      expect(() =>
        createBroker({
          backend: 'memory',
          role,
          triggers,
          resolveSubscriber: () => undefined,
          logger: silent,
        }),
      ).toThrow(/needs the Kafka backend/)
    }
  })
})
