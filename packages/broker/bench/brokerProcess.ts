// The broker of the benchmark in its own process, behind its HTTP ingress (plain Fastify, no
// request logging). Env: BENCH_BACKEND (memory | kafka), KAFKA_BROKERS, SUBSCRIBER_URL,
// BENCH_NAMESPACE, BENCH_ROLE (all | receiver | dispatcher: the Kafka broker split in two processes,
// as Knative runs it). Sends { port } once listening; closes on 'stop'.
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { type BrokerRole, createBroker } from '../src/Broker.ts'
import { parseTriggerValues } from '../src/domain/TriggerDefinition.ts'
import { serveBenchChild } from './benchChild.ts'

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }
const kafka = process.env.BENCH_BACKEND === 'kafka'

const broker = createBroker({
  // The queue holds a whole run: the saturated phase measures delivery, not 503 retries.
  backend: kafka
    ? { kafka: { brokers: process.env.KAFKA_BROKERS!.split(',') } }
    : { memory: { queueCapacity: 1_000_000 } },
  role: (process.env.BENCH_ROLE ?? 'all') as BrokerRole,
  namespace: process.env.BENCH_NAMESPACE!,
  triggers: parseTriggerValues({ triggers: [{ name: 'bench' }] }, 'noop'),
  resolveSubscriber: () => process.env.SUBSCRIBER_URL,
  registry: new Registry(),
  logger: silent,
})
await broker.start()
const app = Fastify({ logger: false, keepAliveTimeout: 30_000 })
await app.register(broker.ingress)
await serveBenchChild(app, () => broker.close())
