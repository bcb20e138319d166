// Broker benchmark: ingest-to-delivery throughput and latency over HTTP with a no-op subscriber.
// Three processes: this one (the load generator: keep-alive, pipelined undici pool, bounded
// concurrency), the broker (bench/brokerProcess.ts, its Fastify ingress) and the subscriber
// (bench/noopSubscriber.ts). Only events the subscriber received count. CPU per event comes from
// /proc/<pid>/stat (utime + stime) of each process over the measured phase. With KAFKA_BROKERS
// set, the Kafka backend runs too, next to raw kafkajs produce+consume of the same records.
//   pnpm --filter @agent-sre/broker bench            full run
//   pnpm --filter @agent-sre/broker bench -- --smoke a few thousand events, for CI
// BENCH_CPU_PROF=<dir> starts the broker process with `node --cpu-prof` writing there.
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { toBinaryHttp, toKafkaMessage } from '@agent-sre/events'
import { CloudEvent } from 'cloudevents'
import { Kafka, logLevel } from 'kafkajs'
import { Pool } from 'undici'

const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1'
const memoryEvents = Number(process.env.BENCH_EVENTS ?? (smoke ? 5_000 : 100_000))
const kafkaEvents = Number(process.env.BENCH_KAFKA_EVENTS ?? (smoke ? 5_000 : 50_000))
const inFlight = Number(process.env.BENCH_IN_FLIGHT ?? 256)
const kafkaBrokers = process.env.KAFKA_BROKERS?.split(',')
const only = process.env.BENCH_ONLY // memory | kafka | raw
const cpuProfDir = process.env.BENCH_CPU_PROF
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

interface Result {
  readonly name: string
  readonly events: number
  readonly seconds: number
  /** CPU µs per event, by process. */
  readonly cpu: Readonly<Record<string, number>>
  readonly load: number
  /** Rate of the latency phase, events/s. */
  readonly rate?: number
  readonly p50?: number
  readonly p95?: number
  readonly p99?: number
}

const TICK_US = 1_000_000 / 100 // USER_HZ is 100 on Linux
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US // utime, stime
}

function cpuMeter(processes: Record<string, number>) {
  const start = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMicros(pid)]))
  return (events: number) =>
    Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [name, (cpuMicros(pid) - start[name]!) / events]),
    )
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

function benchEvent(n: number): CloudEvent<unknown> {
  return new CloudEvent<unknown>(
    {
      specversion: '1.0',
      id: `bench-${n}`,
      source: '/agent-sre/bench',
      type: 'agentsre.bench.event',
      datacontenttype: 'application/json',
      partitionkey: `key-${n % 64}`,
      benchsentat: '0',
      data: { n, fingerprint: 'a1b2c3d4e5f60718', status: 'firing' },
    },
    false,
  )
}

async function child(file: string, env: Record<string, string>, execArgv: string[] = []) {
  const proc = fork(here(file), {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...execArgv],
  })
  const [{ port }] = (await once(proc, 'message')) as [{ port: number }]
  return { proc, port, pid: proc.pid! }
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = once(proc, 'exit')
  proc.send('stop')
  await exited
}

async function report(subscriber: ChildProcess): Promise<number[]> {
  subscriber.send('report')
  const [message] = (await once(subscriber, 'message')) as [{ latencies: number[] }]
  return message.latencies
}

async function waitForDeliveries(subscriber: ChildProcess, total: number): Promise<number[]> {
  const latencies: number[] = []
  const deadline = Date.now() + 300_000
  while (latencies.length < total) {
    if (Date.now() > deadline) throw new Error(`only ${latencies.length}/${total} events delivered`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    for (const latency of await report(subscriber)) latencies.push(latency)
  }
  return latencies.sort((a, b) => a - b)
}

/** Binary-mode POSTs from a keep-alive, pipelined pool; a 503 is retried after a pause. */
class LoadGenerator {
  readonly #pool: Pool
  readonly #path: string
  readonly #headers: Record<string, string>
  readonly #body: string
  refused = 0

  constructor(port: number, path: string) {
    this.#pool = new Pool(`http://127.0.0.1:${port}`, { connections: 32, pipelining: 8 })
    this.#path = path
    const { headers, body } = toBinaryHttp(benchEvent(0))
    this.#headers = headers
    this.#body = String(body)
  }

  async post(n: number): Promise<void> {
    for (;;) {
      const headers = {
        ...this.#headers,
        'ce-id': `bench-${n}`,
        'ce-partitionkey': `key-${n % 64}`,
        'ce-benchsentat': String(performance.timeOrigin + performance.now()),
      }
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers,
        body: this.#body,
      })
      await response.body.dump()
      if (response.statusCode === 202) return
      if (response.statusCode !== 503) throw new Error(`ingress answered ${response.statusCode}`)
      this.refused++
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** `count` events numbered from `first`, at most `concurrency` requests in flight. */
  async send(first: number, count: number, concurrency: number): Promise<void> {
    let next = first
    const end = first + count
    const worker = async () => {
      while (next < end) await this.post(next++)
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}

/**
 * Two phases on one broker: saturated throughput (as fast as the broker takes and delivers
 * events), then latency at half that rate (latency under saturation only measures queue length).
 */
async function benchBroker(
  name: string,
  backend: 'memory' | 'kafka',
  total: number,
  subscriber: { proc: ChildProcess; pid: number; port: number },
): Promise<Result> {
  const namespace = `bench-${process.pid}-${Date.now().toString(36)}`
  const broker = await child(
    'brokerProcess.ts',
    {
      BENCH_BACKEND: backend,
      BENCH_NAMESPACE: namespace,
      SUBSCRIBER_URL: `http://127.0.0.1:${subscriber.port}`,
    },
    cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
  )
  const load = new LoadGenerator(broker.port, `/${namespace}/default`)
  try {
    // Warm-up: connections, JIT, consumer group assignment.
    await load.send(0, 2_000, 64)
    await waitForDeliveries(subscriber.proc, 2_000)

    const meter = cpuMeter({ broker: broker.pid, subscriber: subscriber.pid, 'load generator': process.pid })
    const loadBefore = loadavg()[0]!
    const started = performance.now()
    await load.send(0, total, inFlight)
    await waitForDeliveries(subscriber.proc, total)
    const seconds = (performance.now() - started) / 1000
    const cpu = meter(total)
    if (load.refused > 0) console.error(`${name}: ${load.refused} posts answered 503 and were retried`)

    const rate = Math.round(total / seconds / 2)
    const paced = Math.min(total, rate * 5)
    const tickMs = 10
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000))
    const pacing = (async () => {
      for (let sent = 0; sent < paced; sent += perTick) {
        const tick = setTimeout(() => undefined, tickMs)
        void load.send(sent, Math.min(perTick, paced - sent), perTick)
        await new Promise((resolve) => setTimeout(resolve, tickMs))
        clearTimeout(tick)
      }
    })()
    const latencies = await waitForDeliveries(subscriber.proc, paced)
    await pacing
    return {
      name,
      events: total,
      seconds,
      cpu,
      load: (loadBefore + loadavg()[0]!) / 2,
      rate,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    }
  } finally {
    await load.close()
    await stop(broker.proc)
  }
}

/** Raw kafkajs in this process: produce the same records in batches, consume with a no-op handler. */
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
    void consumer.run({
      partitionsConsumedConcurrently: 10,
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length
        if (consumed >= total) resolve()
      },
    })
  })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const meter = cpuMeter({ 'raw kafkajs': process.pid })
  const loadBefore = loadavg()[0]!
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
  const cpu = meter(total)
  await producer.disconnect()
  await consumer.disconnect()
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
  await admin.disconnect()
  return {
    name: 'raw kafkajs produce+consume',
    events: total,
    seconds,
    cpu,
    load: (loadBefore + loadavg()[0]!) / 2,
  }
}

const subscriber = await child('noopSubscriber.ts', {})
const results: Result[] = []
try {
  if (!only || only === 'memory')
    results.push(await benchBroker('broker, memory backend', 'memory', memoryEvents, subscriber))
  if (kafkaBrokers) {
    if (!only || only === 'kafka')
      results.push(await benchBroker('broker, Kafka backend', 'kafka', kafkaEvents, subscriber))
    if (!only || only === 'kafka' || only === 'raw')
      results.push(await benchRawKafka(kafkaBrokers, kafkaEvents))
  } else if (only !== 'memory') {
    console.error('KAFKA_BROKERS unset: Kafka backend skipped (eval "$(bash scripts/services env)")')
  }
} finally {
  await stop(subscriber.proc)
}

const ms = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(1)} ms`)
const micros = (cpu: Readonly<Record<string, number>>) =>
  Object.entries(cpu)
    .map(([name, us]) => `${name} ${Math.round(us)}`)
    .join(', ')
console.log(
  `\n${smoke ? 'SMOKE RUN (too small to quote)\n' : ''}| run | load avg | events | events/s | latency at | p50 | p95 | p99 | CPU µs/event |`,
)
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|')
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.load.toFixed(1)} | ${r.events} | ${Math.round(r.events / r.seconds)} | ${r.rate === undefined ? '—' : `${r.rate}/s`} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${micros(r.cpu)} |`,
  )
}
const kafkaRun = results.find((r) => r.name === 'broker, Kafka backend')
const raw = results.find((r) => r.name.startsWith('raw'))
if (kafkaRun && raw) {
  console.log(
    `\nKafka backend end to end / raw kafkajs: ${((raw.seconds / kafkaRun.seconds) * 100).toFixed(0)}%`,
  )
}
