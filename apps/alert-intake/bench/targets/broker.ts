// The local broker on Kafka (KAFKA_BROKERS) in its own process: alert-intake's sink in the bench.
import type { AddressInfo } from 'node:net'
import { createBroker, createBrokerApp } from '@agent-sre/broker'
import { Registry } from 'prom-client'

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }
const kafka = process.env.KAFKA_BROKERS
const broker = createBroker({
  backend: kafka ? { kafka: { brokers: kafka.split(',') } } : 'memory',
  namespace: process.env.BENCH_NAMESPACE ?? 'alert-intake-bench',
  triggers: [],
  resolveSubscriber: () => undefined,
  registry: new Registry(),
  logger: silent,
})
await broker.start()
const app = createBrokerApp(broker, { registry: new Registry(), config: { LOG_LEVEL: 'silent' } })
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
process.once('SIGTERM', () => void app.close())
