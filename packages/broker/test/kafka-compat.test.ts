// Proves that kafkajs 2 works against the Kafka that scripts/services runs (3.9, KRaft): every
// protocol feature the Kafka broker backend relies on, end to end, against the real server.
// Skipped when KAFKA_BROKERS is unset locally; fails when CI=true or AGENT_SRE_REQUIRE_SERVICES=1.
import { randomUUID } from 'node:crypto'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { type Admin, type Consumer, Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const brokers = requireServiceEnv('KAFKA_BROKERS')

type Received = { partition: number; offset: string; key: string; value: string; ceType: string }

// Collects messages for one consumer until `count` arrived, or fails after `timeoutMs`.
function collector(count: number, timeoutMs: number) {
  const received: Received[] = []
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve
    setTimeout(
      () => reject(new Error(`received ${received.length} of ${count} messages in ${timeoutMs} ms`)),
      timeoutMs,
    ).unref()
  })
  const push = (partition: number, message: KafkaMessage) => {
    received.push({
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? '',
      value: message.value?.toString() ?? '',
      ceType: message.headers?.ce_type?.toString() ?? '',
    })
    if (received.length >= count) done()
  }
  return { received, finished, push }
}

describe.skipIf(!brokers)('kafkajs against the services Kafka', () => {
  const run = randomUUID().slice(0, 8)
  const topic = `kafka-compat-${run}`
  const groupId = `kafka-compat-group-${run}`
  let kafka: Kafka
  let admin: Admin
  const consumers: Consumer[] = []

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: 'kafka-compat-test',
      // Set: the suite is skipped otherwise.
      brokers: brokers!.split(','),
      logLevel: logLevel.ERROR,
      retry: { retries: 8 },
    })
    admin = kafka.admin()
    await admin.connect()
  }, 30_000)

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()))
    if (admin) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {})
      await admin.disconnect()
    }
  }, 30_000)

  const newConsumer = async () => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 })
    consumers.push(consumer)
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    return consumer
  }

  it('creates a topic with partitions through the admin API', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(
      true,
    )
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(metadata.topics[0]?.partitions).toHaveLength(2)
  }, 30_000)

  it('produces keyed messages with headers, and a consumer group resumes from its committed offset', async () => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    // One key, so all five land in one partition in order; a second key shows keys reach the broker.
    const messages = [1, 2, 3, 4, 5].map((n) => ({
      key: 'fingerprint-a',
      value: `event-${n}`,
      headers: { ce_type: 'agentsre.alert.firing', ce_id: `id-${n}` },
    }))
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: [...messages, { key: 'fingerprint-b', value: 'other', headers: { ce_type: 'other' } }],
    })
    await producer.disconnect()
    expect(sent.every((r) => r.errorCode === 0)).toBe(true)

    // First member: reads everything, commits only after the third 'fingerprint-a' event.
    const first = collector(6, 30_000)
    const consumer1 = await newConsumer()
    await consumer1.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        first.push(partition, message)
        if (message.value?.toString() === 'event-3') {
          await consumer1.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ])
        }
      },
    })
    await first.finished
    await consumer1.disconnect()

    const a = first.received.filter((m) => m.key === 'fingerprint-a')
    expect(a.map((m) => m.value)).toEqual(['event-1', 'event-2', 'event-3', 'event-4', 'event-5'])
    expect(new Set(a.map((m) => m.partition)).size).toBe(1)
    expect(a.every((m) => m.ceType === 'agentsre.alert.firing')).toBe(true)
    expect(first.received.find((m) => m.key === 'fingerprint-b')?.ceType).toBe('other')

    const partitionA = a[0]!.partition
    const committedAt = (BigInt(a[2]!.offset) + 1n).toString()
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
    const committed = offsets[0]?.partitions.find((p) => p.partition === partitionA)?.offset
    expect(committed).toBe(committedAt)

    // A new member of the same group starts at the committed offset: events 4 and 5 again, not 1-3.
    const second = collector(2, 30_000)
    const consumer2 = await newConsumer()
    await consumer2.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (partition === partitionA && message.key?.toString() === 'fingerprint-a') {
          second.push(partition, message)
        }
      },
    })
    await second.finished
    expect(second.received.map((m) => m.value)).toEqual(['event-4', 'event-5'])
    expect(second.received[0]?.offset).toBe(committedAt)
  }, 90_000)
})
