// Broker benchmark: ingest-to-delivery throughput and latency over HTTP with a no-op subscriber.
// Three processes: this one (the load generator: pre-encoded binary-mode requests pipelined on
// raw keep-alive sockets, BENCH_IN_FLIGHT in flight over BENCH_CONNECTIONS), the broker
// (bench/brokerProcess.ts, its Fastify ingress) and the subscriber (bench/noopSubscriber.ts, a raw
// socket server). The two fixtures do the least correct HTTP/1.1 allows, as wrk would, so the
// CPU goes to the broker. Only events the subscriber received count, each id once. CPU per event
// comes from /proc/<pid>/stat (utime + stime) of each process over the measured phase (and of the
// local Kafka server on Kafka runs). With KAFKA_BROKERS set, the Kafka backend runs too, next to
// raw kafkajs produce+consume of the same records; the memory backend next to its baseline, a bare
// Fastify relay (bench/relayProcess.ts: the same two HTTP hops, no broker work).
//   pnpm --filter @agent-sre/broker bench            full run
//   pnpm --filter @agent-sre/broker bench -- --smoke a few thousand events, for CI
// BENCH_CPU_PROF=<dir> starts the broker process with `node --cpu-prof` writing there.
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { toBinaryHttp, toKafkaMessage } from '@agent-sre/events'
import { CloudEvent } from 'cloudevents'
import { Kafka, logLevel } from 'kafkajs'
import { Http1Reader } from './Http1Reader.ts'

const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1'
const memoryEvents = Number(process.env.BENCH_EVENTS ?? (smoke ? 5_000 : 100_000))
const kafkaEvents = Number(process.env.BENCH_KAFKA_EVENTS ?? (smoke ? 5_000 : 50_000))
const inFlight = Number(process.env.BENCH_IN_FLIGHT ?? 256)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16)
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

/**
 * The local Kafka server (a JVM running `kafka.Kafka`), when the bench talks to one on this
 * machine: its CPU per event is reported too. Other users of the same server add to it.
 */
function localKafkaPid(): number | undefined {
  if (!kafkaBrokers?.every((address) => /^(127\.|localhost|\[::1\])/.test(address))) return undefined
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes('kafka.Kafka'))
        return Number(entry)
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined
}
const kafkaPid = localKafkaPid()

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

interface Report {
  readonly latencies: number[]
  readonly duplicates: number
  readonly error?: string
}

/** The subscriber's deliveries since the last report; throws when it failed or exited. */
function report(subscriber: ChildProcess): Promise<Report> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the subscriber exited (code ${code}) before reporting`))
    subscriber.once('exit', onExit)
    subscriber.once('message', (message: Report) => {
      subscriber.off('exit', onExit)
      if (message.error) reject(new Error(`the subscriber refused a request: ${message.error}`))
      else resolve(message)
    })
    subscriber.send('report')
  })
}

async function waitForDeliveries(subscriber: ChildProcess, total: number): Promise<number[]> {
  const latencies: number[] = []
  const deadline = Date.now() + 300_000
  let duplicates = 0
  while (latencies.length < total) {
    if (Date.now() > deadline) throw new Error(`only ${latencies.length}/${total} events delivered`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const delivered = await report(subscriber)
    for (const latency of delivered.latencies) latencies.push(latency)
    duplicates += delivered.duplicates
  }
  if (latencies.length > total) throw new Error(`${latencies.length} events delivered, ${total} sent`)
  if (duplicates > 0) console.error(`${duplicates} events were delivered more than once (counted once)`)
  return latencies.sort((a, b) => a - b)
}

interface Pending {
  readonly n: number
  readonly batch: Batch
}

interface Batch {
  left: number
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

interface Connection {
  readonly socket: Socket
  readonly reader: Http1Reader
  /** Requests written and not yet answered, in order (HTTP/1.1 answers pipelined requests in order). */
  readonly inFlight: Pending[]
}

/**
 * Binary-mode CloudEvent POSTs on raw keep-alive sockets, pipelined up to `depth` per
 * connection: each request is the pre-encoded event with its id, partition key and send time
 * filled in, the requests for one connection in one tick go out in one write, and responses are
 * read for their status and Content-Length only. A 202 completes an event, a 503 sends it again
 * after 5 ms, anything else (or a response it cannot frame, or a dropped connection) fails the
 * benchmark.
 */
class LoadGenerator {
  readonly #connections: Connection[] = []
  readonly #queue: Pending[] = []
  readonly #batches = new Set<Batch>()
  readonly #head: string
  readonly #tail: string
  readonly #tag: string
  readonly #depth: number
  #next = 0
  #queueHead = 0
  #error: Error | undefined
  #closing = false
  refused = 0

  constructor(port: number, path: string, tag: string, connections: number, depth: number) {
    const { headers, body } = toBinaryHttp(benchEvent(0))
    const fixed = Object.entries(headers)
      .filter(([name]) => !['ce-id', 'ce-partitionkey', 'ce-benchsentat', 'content-type'].includes(name))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    this.#head = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${fixed}`
    this.#tail = `content-type: ${headers['content-type']}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    this.#tag = tag
    this.#depth = depth
    for (let i = 0; i < connections; i++) {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true })
      const connection: Connection = { socket, reader: new Http1Reader(), inFlight: [] }
      socket.on('data', (chunk: Buffer) => this.#onData(connection, chunk))
      socket.on('error', (error) => this.#fail(error))
      socket.on('close', () => {
        if (!this.#closing) this.#fail(new Error('the ingress closed a connection'))
      })
      this.#connections.push(connection)
    }
  }

  /** Sends `count` new events; resolves once the ingress accepted (202) all of them. */
  send(count: number): Promise<void> {
    if (this.#error) return Promise.reject(this.#error)
    if (count === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const batch: Batch = { left: count, resolve, reject }
      this.#batches.add(batch)
      for (let i = 0; i < count; i++) this.#queue.push({ n: this.#next++, batch })
      for (const connection of this.#connections) this.#fill(connection)
    })
  }

  #fill(connection: Connection): void {
    let requests = ''
    let sentAt = ''
    while (connection.inFlight.length < this.#depth && this.#queueHead < this.#queue.length) {
      const pending = this.#queue[this.#queueHead++]!
      sentAt ||= String(performance.timeOrigin + performance.now())
      requests += `${this.#head}ce-id: ${this.#tag}-${pending.n}\r\nce-partitionkey: key-${pending.n % 64}\r\nce-benchsentat: ${sentAt}\r\n${this.#tail}`
      connection.inFlight.push(pending)
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0
      this.#queueHead = 0
    }
    if (requests) connection.socket.write(requests, 'latin1')
  }

  #onData(connection: Connection, chunk: Buffer): void {
    try {
      for (const { startLine } of connection.reader.push(chunk)) {
        const pending = connection.inFlight.shift()
        if (!pending) throw new Error(`response without a request: ${startLine}`)
        const status = startLine.slice(9, 12)
        if (status === '202') {
          if (--pending.batch.left === 0) {
            this.#batches.delete(pending.batch)
            pending.batch.resolve()
          }
        } else if (status === '503') {
          this.refused++
          setTimeout(() => {
            this.#queue.push(pending)
            for (const c of this.#connections) this.#fill(c)
          }, 5)
        } else {
          throw new Error(`ingress answered ${startLine}`)
        }
      }
    } catch (error) {
      this.#fail(error as Error)
      return
    }
    this.#fill(connection)
  }

  #fail(error: Error): void {
    this.#error ??= error
    for (const batch of this.#batches) batch.reject(this.#error)
    this.#batches.clear()
  }

  async close(): Promise<void> {
    this.#closing = true
    await Promise.all(
      this.#connections.map(({ socket }) => {
        const closed = once(socket, 'close')
        socket.end()
        return closed
      }),
    )
  }
}

/**
 * Two phases on one broker: saturated throughput (as fast as the broker takes and delivers
 * events), then latency at half that rate (latency under saturation only measures queue length).
 */
async function benchBroker(
  name: string,
  backend: 'memory' | 'kafka' | 'relay',
  total: number,
  subscriber: { proc: ChildProcess; pid: number; port: number },
  /** Kafka only: a receiver process taking the load and a dispatcher process delivering. */
  split = false,
): Promise<Result> {
  const namespace = `bench-${process.pid}-${Date.now().toString(36)}`
  const start = (role: 'all' | 'receiver' | 'dispatcher') =>
    child(
      backend === 'relay' ? 'relayProcess.ts' : 'brokerProcess.ts',
      {
        BENCH_BACKEND: backend,
        BENCH_ROLE: role,
        BENCH_NAMESPACE: namespace,
        SUBSCRIBER_URL: `http://127.0.0.1:${subscriber.port}`,
      },
      cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    )
  // The receiver first: it creates the topic the dispatcher's consumers subscribe to.
  const broker = await start(split ? 'receiver' : 'all')
  const dispatcher = split ? await start('dispatcher') : undefined
  const load = new LoadGenerator(
    broker.port,
    `/${namespace}/default`,
    namespace,
    connections,
    Math.max(1, Math.floor(inFlight / connections)),
  )
  try {
    // Warm-up: connections, JIT, consumer group assignment.
    await load.send(2_000)
    await waitForDeliveries(subscriber.proc, 2_000)

    const meter = cpuMeter({
      [backend === 'relay' ? 'relay' : split ? 'receiver' : 'broker']: broker.pid,
      ...(dispatcher && { dispatcher: dispatcher.pid }),
      subscriber: subscriber.pid,
      'load generator': process.pid,
      ...(backend === 'kafka' && kafkaPid && { 'Kafka server': kafkaPid }),
    })
    const loadBefore = loadavg()[0]!
    const started = performance.now()
    await load.send(total)
    await waitForDeliveries(subscriber.proc, total)
    const seconds = (performance.now() - started) / 1000
    const cpu = meter(total)
    if (load.refused > 0) console.error(`${name}: ${load.refused} posts answered 503 and were retried`)

    const rate = Math.round(total / seconds / 2)
    const paced = Math.min(total, rate * 5)
    const tickMs = 10
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000))
    const pacing = (async () => {
      const sends: Promise<void>[] = []
      for (let sent = 0; sent < paced; sent += perTick) {
        sends.push(load.send(Math.min(perTick, paced - sent)))
        await new Promise((resolve) => setTimeout(resolve, tickMs))
      }
      await Promise.all(sends)
    })()
    const [latencies] = await Promise.all([waitForDeliveries(subscriber.proc, paced), pacing])
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
    if (dispatcher) await stop(dispatcher.proc)
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
  const meter = cpuMeter({ 'raw kafkajs': process.pid, ...(kafkaPid && { 'Kafka server': kafkaPid }) })
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

const RELAY = 'bare Fastify relay (baseline: 2 HTTP hops, no broker)'
const MEMORY = 'broker, memory backend'
const KAFKA = 'broker, Kafka backend'
const KAFKA_SPLIT = 'broker, Kafka backend, receiver + dispatcher processes'
const subscriber = await child('noopSubscriber.ts', {})
const results: Result[] = []
try {
  if (!only || only === 'memory') {
    // The memory backend's baseline first, in the same run: two bare HTTP hops, no broker.
    results.push(await benchBroker(RELAY, 'relay', memoryEvents, subscriber))
    results.push(await benchBroker(MEMORY, 'memory', memoryEvents, subscriber))
  }
  if (kafkaBrokers) {
    if (!only || only === 'kafka') results.push(await benchBroker(KAFKA, 'kafka', kafkaEvents, subscriber))
    if (!only || only === 'kafka')
      results.push(await benchBroker(KAFKA_SPLIT, 'kafka', kafkaEvents, subscriber, true))
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
const relay = results.find((r) => r.name === RELAY)
const memory = results.find((r) => r.name === MEMORY)
if (relay && memory) {
  console.log(
    `\nMemory backend / bare Fastify relay: ${((relay.seconds / memory.seconds) * 100).toFixed(0)}% of its events/s`,
  )
}
const raw = results.find((r) => r.name.startsWith('raw'))
for (const kafkaRun of results.filter((r) => r.name.startsWith(KAFKA))) {
  if (!raw) break
  console.log(
    `\n${kafkaRun.name} end to end / raw kafkajs: ${((raw.seconds / kafkaRun.seconds) * 100).toFixed(0)}%`,
  )
}
