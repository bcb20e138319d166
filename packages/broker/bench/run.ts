// Broker benchmark: ingest-to-delivery throughput and latency with a no-op subscriber (another
// process), on the memory backend and, when KAFKA_BROKERS is set, the Kafka backend next to raw
// kafkajs produce+consume of the same records.
//   pnpm --filter @agent-sre/broker bench            full run
//   pnpm --filter @agent-sre/broker bench -- --smoke a few thousand events, for CI
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { type AnyCloudEvent, toKafkaMessage } from '@agent-sre/events'
import { CloudEvent } from 'cloudevents'
import { Kafka, logLevel } from 'kafkajs'
import { Registry } from 'prom-client'
import { type BackendOption, type Broker, createBroker } from '../src/Broker.ts'
import { isBackendUnavailableError } from '../src/backends/Backend.ts'
import { parseTriggerValues } from '../src/domain/TriggerDefinition.ts'

const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1'
const memoryEvents = Number(process.env.BENCH_EVENTS ?? (smoke ? 5_000 : 200_000))
const kafkaEvents = Number(process.env.BENCH_KAFKA_EVENTS ?? (smoke ? 5_000 : 100_000))
const kafkaBrokers = process.env.KAFKA_BROKERS?.split(',')
const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

interface Result {
  readonly name: string
  readonly events: number
  readonly seconds: number
  /** Rate of the latency phase, events/s. */
  readonly rate?: number
  readonly p50?: number
  readonly p99?: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

function benchEvent(n: number): AnyCloudEvent {
  return new CloudEvent<unknown>(
    {
      specversion: '1.0',
      id: `bench-${n}`,
      source: '/agent-sre/bench',
      type: 'agentsre.bench.event',
      datacontenttype: 'application/json',
      partitionkey: `key-${n % 64}`,
      benchsentat: String(performance.timeOrigin + performance.now()),
      data: { n, fingerprint: 'a1b2c3d4e5f60718', status: 'firing' },
    },
    false,
  )
}

async function report(subscriber: ChildProcess): Promise<{ received: number; latencies: number[] }> {
  subscriber.send('report')
  const [message] = (await once(subscriber, 'message')) as [{ received: number; latencies: number[] }]
  return message
}

async function waitForDeliveries(subscriber: ChildProcess, total: number): Promise<number[]> {
  const latencies: number[] = []
  const deadline = Date.now() + 300_000
  while (latencies.length < total) {
    if (Date.now() > deadline) throw new Error(`only ${latencies.length}/${total} events delivered`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    latencies.push(...(await report(subscriber)).latencies)
  }
  return latencies.sort((a, b) => a - b)
}

async function publishAll(broker: Broker, events: AnyCloudEvent[], publishers: number): Promise<number> {
  let next = 0
  let refused = 0
  // Concurrent publishers, like many HTTP clients; a 503 (full queue) is retried after a pause.
  const publisher = async () => {
    while (next < events.length) {
      const event = events[next++]!
      for (;;) {
        try {
          await broker.publish('default', event)
          break
        } catch (error) {
          if (!isBackendUnavailableError(error)) throw error
          refused++
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
    }
  }
  await Promise.all(Array.from({ length: publishers }, publisher))
  return refused
}

/**
 * Two phases on one broker: saturated throughput (as fast as the broker takes events), then
 * latency at half that rate (latency under saturation only measures queue length).
 */
async function benchBroker(
  name: string,
  backend: BackendOption,
  total: number,
  subscriberUrl: string,
  subscriber: ChildProcess,
  publishers: number,
): Promise<Result> {
  const broker = createBroker({
    backend,
    namespace: `bench-${process.pid}-${Date.now().toString(36)}`,
    triggers: parseTriggerValues({ triggers: [{ name: 'bench' }] }, 'noop'),
    resolveSubscriber: () => subscriberUrl,
    registry: new Registry(),
    logger: silent,
  })
  await broker.start()
  // Warm-up: connections, JIT, consumer group assignment.
  await publishAll(
    broker,
    Array.from({ length: 2_000 }, (_, n) => benchEvent(n)),
    64,
  )
  await waitForDeliveries(subscriber, 2_000)

  const events = Array.from({ length: total }, (_, n) => benchEvent(n))
  const started = performance.now()
  const refused = await publishAll(broker, events, publishers)
  await waitForDeliveries(subscriber, total)
  const seconds = (performance.now() - started) / 1000
  if (refused > 0) console.error(`${name}: ${refused} publishes answered 503 (backpressure) and were retried`)

  const rate = Math.round(total / seconds / 2)
  const paced = Math.min(total, rate * 5)
  const tickMs = 10
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000))
  for (let sent = 0; sent < paced; sent += perTick) {
    const batch = Array.from({ length: Math.min(perTick, paced - sent) }, (_, n) => benchEvent(sent + n))
    await publishAll(broker, batch, batch.length)
    await new Promise((resolve) => setTimeout(resolve, tickMs))
  }
  const latencies = await waitForDeliveries(subscriber, paced)
  await broker.close()
  return {
    name,
    events: total,
    seconds,
    rate,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}

/** Raw kafkajs: produce the same records in batches, consume them with a no-op handler. */
async function benchRawKafka(brokers: string[], total: number): Promise<Result> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-raw' })
  const topic = `bench-raw-${process.pid}-${Date.now().toString(36)}`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 10, replicationFactor: 1 }],
  })
  const consumer = kafka.consumer({
    groupId: `${topic}-group`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let consumed = 0
  const done = new Promise<void>((resolve) => {
    consumer.run({
      partitionsConsumedConcurrently: 10,
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length
        if (consumed >= total) resolve()
      },
    })
  })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const started = performance.now()
  const batchSize = 500
  const sends: Promise<unknown>[] = []
  for (let offset = 0; offset < total; offset += batchSize) {
    const messages = Array.from({ length: Math.min(batchSize, total - offset) }, (_, i) =>
      toKafkaMessage(benchEvent(offset + i)),
    )
    sends.push(producer.send({ topic, acks: -1, messages }))
    if (sends.length >= 8) await sends.shift()
  }
  await Promise.all(sends)
  await done
  const seconds = (performance.now() - started) / 1000
  await producer.disconnect()
  await consumer.disconnect()
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
  await admin.disconnect()
  return { name: 'raw kafkajs produce+consume', events: total, seconds }
}

const subscriber = fork(fileURLToPath(new URL('./noopSubscriber.ts', import.meta.url)))
const [{ port }] = (await once(subscriber, 'message')) as [{ port: number }]
const subscriberUrl = `http://127.0.0.1:${port}`
const results: Result[] = []
try {
  // The queue holds the whole run, so the saturated phase measures delivery, not publishers
  // spinning on 503s (the 503 path is covered by the tests).
  results.push(
    await benchBroker(
      'broker, memory backend',
      { memory: { queueCapacity: memoryEvents } },
      memoryEvents,
      subscriberUrl,
      subscriber,
      64,
    ),
  )
  if (kafkaBrokers) {
    results.push(
      await benchBroker(
        'broker, Kafka backend',
        { kafka: { brokers: kafkaBrokers } },
        kafkaEvents,
        subscriberUrl,
        subscriber,
        // Each publish waits for Kafka's acknowledgement: more concurrent clients fill a produce request.
        512,
      ),
    )
    results.push(await benchRawKafka(kafkaBrokers, kafkaEvents))
  } else {
    console.error('KAFKA_BROKERS unset: Kafka backend skipped (eval "$(scripts/services env)")')
  }
} finally {
  subscriber.send('stop')
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : `${ms.toFixed(1)} ms`)
console.log(
  `\n${smoke ? 'SMOKE RUN (too small to quote)\n' : ''}| run | events | events/s | latency at | p50 ingest→delivery | p99 |`,
)
console.log('|---|---:|---:|---:|---:|---:|')
for (const r of results) {
  const at = r.rate === undefined ? '—' : `${r.rate}/s`
  console.log(
    `| ${r.name} | ${r.events} | ${Math.round(r.events / r.seconds)} | ${at} | ${fmt(r.p50)} | ${fmt(r.p99)} |`,
  )
}
const kafkaRun = results.find((r) => r.name === 'broker, Kafka backend')
const raw = results.find((r) => r.name.startsWith('raw'))
if (kafkaRun && raw) {
  console.log(
    `\nKafka backend end to end / raw kafkajs: ${((raw.seconds / kafkaRun.seconds) * 100).toFixed(0)}%`,
  )
}
