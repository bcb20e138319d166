// Per-event cost of the catalog on the hot paths: building an event, the HTTP and Kafka
// encode/strict-decode round trips, and data validation. Bounded: a fixed number of events.
import { test } from 'node:test'
import { CloudEvent } from 'cloudevents'
import {
  fromKafkaMessage,
  makeEvent,
  parseHttpEvent,
  toBinaryHttp,
  toKafkaMessage,
  validateEventData,
} from '../src/index.ts'
import { sampleData } from '../test/fixtures.ts'

const EVENTS = 20_000
const ROUNDS = 7
const data = sampleData['agentsre.alert.firing']
const event = makeEvent('agentsre.alert.firing', data, {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
})
const http = toBinaryHttp(event)
const httpBody = Buffer.from(http.body)
const structuredHeaders = { 'content-type': 'application/cloudevents+json' }
const structuredBody = Buffer.from(JSON.stringify(event))
const kafka = toKafkaMessage(event)
const fields = { ...Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) }

/**
 * CPU µs per call (this process's user+system time, so other load on the machine does not count
 * as ours): the median of ROUNDS hot loops of EVENTS calls each, after a warm-up.
 */
function measure(name: string, run: () => unknown): string {
  for (let i = 0; i < 2_000; i++) run()
  const rounds: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.cpuUsage()
    for (let i = 0; i < EVENTS; i++) run()
    const { user, system } = process.cpuUsage(started)
    rounds.push((user + system) / EVENTS)
  }
  rounds.sort((a, b) => a - b)
  const p50 = rounds[ROUNDS >> 1]!
  return `${name.padEnd(34)} p50 ${p50.toFixed(2)} µs CPU (min ${rounds[0]!.toFixed(2)}, max ${rounds[ROUNDS - 1]!.toFixed(2)}), ${Math.round(1e6 / p50)} per CPU-second`
}

test(`catalog costs over ${EVENTS} alert.firing events`, (t) => {
  t.diagnostic(measure('makeEvent', () => makeEvent('agentsre.alert.firing', data)))
  t.diagnostic(measure('toBinaryHttp', () => toBinaryHttp(event)))
  t.diagnostic(measure('validateEventData', () => validateEventData(event)))
  t.diagnostic(measure('toKafkaMessage', () => toKafkaMessage(event)))
})

// Strict decoding runs on every event the broker and every receiver sees. The two baselines are
// the floor under it: parsing the data, and the SDK constructor the decoded event must come from.
test(`decode costs, ${ROUNDS} rounds of ${EVENTS} events`, (t) => {
  t.diagnostic(measure('baseline: JSON.parse(data)', () => JSON.parse(http.body as string)))
  t.diagnostic(measure('baseline: new CloudEvent(…, false)', () => new CloudEvent(fields, false)))
  t.diagnostic(measure('parseHttpEvent, binary', () => parseHttpEvent(http.headers, httpBody)))
  t.diagnostic(measure('parseHttpEvent, structured', () => parseHttpEvent(structuredHeaders, structuredBody)))
  t.diagnostic(measure('fromKafkaMessage, binary', () => fromKafkaMessage(kafka)))
  // What the broker does per event: decode at the ingress and encode for Kafka, then decode
  // from Kafka and encode for delivery.
  t.diagnostic(
    measure('ingress: parseHttp → toKafka', () => toKafkaMessage(parseHttpEvent(http.headers, httpBody))),
  )
  t.diagnostic(measure('delivery: fromKafka → toBinaryHttp', () => toBinaryHttp(fromKafkaMessage(kafka))))
})
