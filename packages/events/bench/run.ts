// Per-event cost of the catalog on the hot paths: building an event, the HTTP and Kafka
// encode/strict-decode round trips, and data validation. Bounded: a fixed number of events.
import { test } from 'node:test'
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
const data = sampleData['agentsre.alert.firing']
const event = makeEvent('agentsre.alert.firing', data)
const http = toBinaryHttp(event)
const httpBody = Buffer.from(http.body)
const kafka = toKafkaMessage(event)

function measure(name: string, run: () => unknown): string {
  for (let i = 0; i < 1_000; i++) run() // warm-up
  const started = performance.now()
  for (let i = 0; i < EVENTS; i++) run()
  const ms = performance.now() - started
  return `${name.padEnd(28)} ${Math.round((EVENTS / ms) * 1000)} events/s, ${((ms / EVENTS) * 1000).toFixed(1)} µs each`
}

test(`catalog costs over ${EVENTS} alert.firing events`, (t) => {
  t.diagnostic(measure('makeEvent', () => makeEvent('agentsre.alert.firing', data)))
  t.diagnostic(measure('toBinaryHttp', () => toBinaryHttp(event)))
  t.diagnostic(measure('parseHttpEvent', () => parseHttpEvent(http.headers, httpBody)))
  t.diagnostic(measure('validateEventData', () => validateEventData(event)))
  t.diagnostic(measure('toKafkaMessage', () => toKafkaMessage(event)))
  t.diagnostic(measure('fromKafkaMessage', () => fromKafkaMessage(kafka)))
})
