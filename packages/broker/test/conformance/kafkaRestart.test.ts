import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { toKafkaMessage } from '@agent-sre/events'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { Kafka, logLevel } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { brokerTopic } from '../../src/domain/Names.ts'
import { testEvent } from '../helpers/events.ts'
import { TestSubscriber } from '../helpers/TestSubscriber.ts'

const brokers = requireServiceEnv('KAFKA_BROKERS')
const fixture = fileURLToPath(new URL('../fixtures/kafkaBrokerProcess.ts', import.meta.url))

async function startBrokerProcess(namespace: string, subscriberUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fixture], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      BROKER_NAMESPACE: namespace,
      SUBSCRIBER_URL: subscriberUrl,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  if (!chunk.toString().includes('ready')) throw new Error(`broker process said ${chunk}`)
  return child
}

describe.skipIf(!brokers)('Kafka backend: a consumer killed mid-batch', () => {
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it(
    'delivers every event after restart, losing none, keeping per-key order',
    { timeout: 60_000 },
    async () => {
      const namespace = `restart-${process.pid}-${Date.now().toString(36)}`
      const subscriber = await TestSubscriber.start()
      // Slow enough that the kill lands while batches are in flight.
      subscriber.on('/', () => new Promise((resolve) => setTimeout(() => resolve({ status: 202 }), 3)))
      try {
        const first = await startBrokerProcess(namespace, subscriber.baseUrl)
        children.push(first)

        const keys = ['a', 'b', 'c', 'd']
        const perKey = 60
        const events = Array.from({ length: perKey }, (_, seq) =>
          keys.map((key) => testEvent('restart.test', { partitionkey: key, subject: String(seq) })),
        ).flat()
        const kafka = new Kafka({ brokers: brokers!.split(','), logLevel: logLevel.NOTHING })
        const producer = kafka.producer({ allowAutoTopicCreation: false })
        await producer.connect()
        await producer.send({
          topic: brokerTopic(namespace, 'default'),
          acks: -1,
          messages: events.map(toKafkaMessage),
        })
        await producer.disconnect()

        await subscriber.waitFor('/', 40, 20_000)
        first.kill('SIGKILL')
        await once(first, 'exit')
        const beforeRestart = subscriber.received.length
        expect(beforeRestart).toBeLessThan(events.length)

        children.push(await startBrokerProcess(namespace, subscriber.baseUrl))
        const expected = new Set(events.map((event) => event.id))
        const deadline = Date.now() + 40_000
        while (![...expected].every((id) => subscriber.received.some((r) => r.event.id === id))) {
          if (Date.now() > deadline) throw new Error('not every event was delivered after the restart')
          await new Promise((resolve) => setTimeout(resolve, 20))
        }

        // The kill hit uncommitted work: some events came twice (at-least-once), none went missing.
        expect(subscriber.received.length).toBeGreaterThan(events.length)
        const segments = [
          subscriber.received.slice(0, beforeRestart),
          subscriber.received.slice(beforeRestart),
        ]
        for (const key of keys) {
          const [before, after] = segments.map((segment) =>
            segment.filter((r) => r.event.partitionkey === key).map((r) => Number(r.event.subject)),
          ) as [number[], number[]]
          // In order within each process's life; the restart resumes at or before where the kill hit.
          expect(before).toEqual([...before].sort((x, y) => x - y))
          expect(after).toEqual([...after].sort((x, y) => x - y))
          expect(new Set([...before, ...after]).size).toBe(perKey)
          if (after.length > 0)
            expect(after[0]).toBeLessThanOrEqual(before.length === 0 ? 0 : before.at(-1)! + 1)
        }
      } finally {
        await subscriber.close()
      }
    },
  )
})
